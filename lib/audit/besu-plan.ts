import { createHash } from "node:crypto";
import type { AuditPlan } from "../config/audit";
import type { BesuNetworkProps } from "./besu/besu";

/** What the spec decides of a Besu network; the stacks add the cluster's parts (secrets, CRDs, clients, storage). */
export type BesuPlanProps = Pick<BesuNetworkProps, "chainId" | "validators" | "rpcNodes">;

/** Chain ids below this are left to public and well-known dev chains (1, 137, 1337, 31337, ...). */
const DERIVED_CHAIN_ID_BASE = 1_000_000;
const DERIVED_CHAIN_ID_SPAN = 2 ** 31 - DERIVED_CHAIN_ID_BASE;

/**
 * A chain id of the deployment's own, stable for its name: two deployments' networks get
 * different ids (so a transaction signed for one is refused by the other) without the
 * user picking one. Changing it would change the genesis, so it depends on nothing else.
 */
export function derivedChainId(deployment: string): number {
  const digest = createHash("sha256").update(`cdktf-byoc/audit-besu/${deployment}`).digest();
  return DERIVED_CHAIN_ID_BASE + (digest.readUInt32BE(0) % DERIVED_CHAIN_ID_SPAN);
}

/**
 * The Besu network the spec asks for, as BesuNetwork's props: the nodes as besu-keys
 * printed them and the chain id (the spec's, else derived from the deployment's name).
 * Undefined when the audit backend provisions no Besu network.
 */
export function besuNetworkPlan(audit: AuditPlan | undefined, deployment: string): BesuPlanProps | undefined {
  const chain = audit?.blockchain;
  if (chain?.type !== "besu") return undefined;
  if (!chain.nodes) throw new Error("audit.blockchain.nodes: a besu network needs its nodes' keys (the spec's validation requires them)");
  const node = (n: { name: string; publicKey: string; secretRef: string }) => ({ name: n.name, publicKey: n.publicKey, secretRef: n.secretRef });
  return {
    chainId: chain.chainId ?? derivedChainId(deployment),
    validators: chain.nodes.validators.map(node),
    rpcNodes: chain.nodes.rpcNodes.map(node),
  };
}
