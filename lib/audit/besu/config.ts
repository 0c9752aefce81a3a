import { P2P_PORT } from "./genesis";

/**
 * What each Besu node reads: paths in the container, ports, and its config.toml. Option
 * names as Besu 26.9 spells them (besu.hyperledger.org/public-networks/reference/cli/options).
 */

export const RPC_PORT = 8545;
export const METRICS_PORT = 9545;

/** Where the pod mounts each piece. */
export const PATHS = {
  config: "/etc/besu/config",
  genesis: "/etc/besu/genesis",
  staticNodes: "/etc/besu/static",
  key: "/etc/besu/key",
  data: "/data",
  tmp: "/tmp",
} as const;

/**
 * The JSON-RPC APIs an RPC node serves: reading the chain and sending signed
 * transactions, and QBFT's validator queries. ADMIN, DEBUG, TXPOOL and the rest stay off.
 */
export const RPC_APIS = ["ETH", "NET", "WEB3", "QBFT"] as const;
/**
 * Validators serve the same minus QBFT: its qbft_proposeValidatorVote would let any RPC
 * client vote validators in or out through a validator (a vote sent to an RPC node has no
 * effect: only proposers put votes in blocks).
 */
export const VALIDATOR_RPC_APIS = ["ETH", "NET", "WEB3"] as const;

/**
 * config.toml for one role: Bonsai storage with full sync from genesis (what Besu
 * documents for private networks; both pinned so a new default never changes a running
 * network), free gas (min-gas-price 0 on every node), static peers by DNS name with
 * discovery off, JSON-RPC over HTTP only (no WebSocket, no GraphQL), Prometheus metrics.
 * The host allowlist comes from the environment (it must include the pod's own address).
 */
export function configToml(apis: readonly string[]): string {
  const options: [string, string | number | boolean | readonly string[]][] = [
    ["data-path", `${PATHS.data}/besu`],
    ["genesis-file", `${PATHS.genesis}/genesis.json`],
    ["node-private-key-file", `${PATHS.key}/nodekey`],
    ["data-storage-format", "BONSAI"],
    ["sync-mode", "FULL"],
    // Full sync with Bonsai cannot limit trie logs: said here, Besu does not warn that it turns it off.
    ["bonsai-limit-trie-logs-enabled", false],
    // Free gas: blocks take zero-price transactions, and so does every node's pool
    // (whose own floor is 1000 wei unless set).
    ["min-gas-price", 0],
    ["tx-pool-min-gas-price", 0],
    // No NAT between pods: the advertised address is the pod's own (BESU_P2P_HOST).
    ["nat-method", "NONE"],
    ["p2p-port", P2P_PORT],
    ["discovery-enabled", false],
    ["static-nodes-file", `${PATHS.staticNodes}/static-nodes.json`],
    ["rpc-http-enabled", true],
    ["rpc-http-host", "0.0.0.0"],
    ["rpc-http-port", RPC_PORT],
    ["rpc-http-api", apis],
    ["rpc-ws-enabled", false],
    ["graphql-http-enabled", false],
    ["metrics-enabled", true],
    ["metrics-host", "0.0.0.0"],
    ["metrics-port", METRICS_PORT],
  ];
  return `${options.map(([key, value]) => `${key}=${tomlValue(value)}`).join("\n")}\n`;
}

/** A TOML value: strings as basic strings (JSON's escapes are TOML's), arrays of strings, numbers, booleans. */
function tomlValue(value: string | number | boolean | readonly string[]): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(",")}]`;
  return String(value);
}
