import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils";

/** A 0x-prefixed hex string. */
export type Hex = `0x${string}`;

/**
 * A QBFT network's genesis, built deterministically from the validators' addresses: the
 * same inputs give the same bytes on every run and machine, so the genesis ConfigMap
 * changes only when an input does (a changed genesis is a different chain).
 */

/** The mixHash QBFT requires: the ASCII of "(Pra)ctical byzantine fault tolerance". */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";
/** The difficulty QBFT requires. */
export const QBFT_DIFFICULTY = "0x1";
/** The port nodes listen on for RLPx (TCP) and discovery (UDP). */
export const P2P_PORT = 30303;

/** The field size of secp256k1: public key coordinates are below it. */
const SECP256K1_P = 2n ** 256n - 2n ** 32n - 977n;
const ZERO_ADDRESS = `0x${"00".repeat(20)}`;
const VANITY = new Uint8Array(32);
const ADDRESS = /^0x[0-9a-f]{40}$/;

/**
 * A node's public key as Besu writes it in an enode: 128 lower-case hex digits (the X and
 * Y coordinates, without the 0x04 prefix). Takes them with or without `0x`, and refuses a
 * value that is not a point of secp256k1 (a mistyped key would make a validator nobody
 * holds the key of).
 */
export function normalizePublicKey(publicKey: string): string {
  const hex = publicKey.toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{128}$/.test(hex)) {
    throw new Error(`a node public key must be 64 bytes in hex (128 digits, the X and Y coordinates without the 04 prefix) (got ${JSON.stringify(publicKey)})`);
  }
  const x = BigInt(`0x${hex.slice(0, 64)}`);
  const y = BigInt(`0x${hex.slice(64)}`);
  const mod = (n: bigint) => ((n % SECP256K1_P) + SECP256K1_P) % SECP256K1_P;
  if (x >= SECP256K1_P || y >= SECP256K1_P || mod(y * y - (x * x * x + 7n)) !== 0n) {
    throw new Error(`${JSON.stringify(publicKey)} is not a secp256k1 public key (the point is not on the curve): copy it again from the key generator's output`);
  }
  return hex;
}

/**
 * The node's address, which is also its QBFT validator address: the last 20 bytes of
 * keccak256 of the 64-byte public key, in lower case.
 */
export function nodeAddress(publicKey: string): Hex {
  return `0x${bytesToHex(keccak_256(hexToBytes(normalizePublicKey(publicKey))).slice(-20))}`;
}

/** `enode://<public key>@<host>:<port>`: how static nodes name a peer (a DNS name needs Besu's DNS support on). */
export function enodeUrl(publicKey: string, host: string, port = P2P_PORT): string {
  return `enode://${normalizePublicKey(publicKey)}@${host}:${port}`;
}

/**
 * QBFT's genesis extraData, as Besu's QbftExtraDataCodec writes it: the RLP list of a
 * 32-byte zero vanity, the validators' addresses in the order given, no vote (an empty
 * list), round 0 (an empty byte string) and no seals (an empty list).
 */
export function qbftExtraData(validators: readonly string[]): Hex {
  const addresses = validators.map((a) => {
    const address = a.toLowerCase();
    if (!ADDRESS.test(address)) throw new Error(`a validator address must be 0x and 40 hex digits (got ${JSON.stringify(a)})`);
    return Buffer.from(address.slice(2), "hex");
  });
  return `0x${Buffer.from(rlp([VANITY, addresses, [], new Uint8Array(0), []])).toString("hex")}`;
}

/** An RLP item: a byte string, or a list of items. */
type RlpItem = Uint8Array | readonly RlpItem[];

/** Recursive Length Prefix encoding (Ethereum's yellow paper, appendix B). */
function rlp(item: RlpItem): Uint8Array {
  if (item instanceof Uint8Array) {
    // A single byte below 0x80 is its own encoding.
    return item.length === 1 && item[0] < 0x80 ? item : Buffer.concat([rlpLength(0x80, item.length), item]);
  }
  const body = Buffer.concat(item.map(rlp));
  return Buffer.concat([rlpLength(0xc0, body.length), body]);
}

/** The prefix of a string (0x80) or list (0xc0) of `length` bytes: short forms to 55 bytes, then the length's own bytes. */
function rlpLength(offset: number, length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length);
  const bytes = Buffer.from(length.toString(16).padStart(2 * Math.ceil(length.toString(16).length / 2), "0"), "hex");
  return Buffer.concat([Uint8Array.of(offset + 55 + bytes.length), bytes]);
}

/** An account funded or deployed at genesis. */
export interface GenesisAccount {
  /** Wei, as a decimal or 0x-hex string. */
  readonly balance: string;
  /** Contract bytecode. @default none */
  readonly code?: string;
  /** Storage slots (32-byte hex keys and values). @default none */
  readonly storage?: Readonly<Record<string, string>>;
}

export interface QbftGenesisOptions {
  /** The chain id: signed transactions name it, so a transaction for one chain cannot be replayed on another. */
  readonly chainId: number;
  /** The genesis validators' addresses (`nodeAddress` of their public keys); at least one. */
  readonly validators: readonly string[];
  /** Minimum seconds between blocks. @default 5 */
  readonly blockPeriodSeconds?: number;
  /** Blocks between resets of validator votes. Never change it on a live chain. @default 30000 */
  readonly epochLength?: number;
  /** Seconds before a round times out (doubling each failed round). @default twice `blockPeriodSeconds` */
  readonly requestTimeoutSeconds?: number;
  /** The block gas limit. @default 30000000 */
  readonly gasLimit?: number;
  /** Accounts funded or deployed at genesis. @default none: free gas needs no balance */
  readonly alloc?: Readonly<Record<string, GenesisAccount>>;
}

/** The genesis file Besu reads (`--genesis-file`). */
export interface QbftGenesis {
  readonly config: Record<string, unknown>;
  readonly nonce: string;
  readonly timestamp: string;
  readonly extraData: Hex;
  readonly gasLimit: string;
  readonly difficulty: string;
  readonly mixHash: string;
  readonly coinbase: string;
  readonly baseFeePerGas: string;
  readonly alloc?: Record<string, GenesisAccount>;
}

export const DEFAULT_BLOCK_PERIOD_SECONDS = 5;
export const DEFAULT_EPOCH_LENGTH = 30000;
export const DEFAULT_GAS_LIMIT = 30_000_000;

/** Every block-numbered fork up to London, at block 0 (later forks are timestamp-based and left off). */
const FORKS_AT_GENESIS = [
  "homesteadBlock",
  "eip150Block",
  "eip158Block",
  "byzantiumBlock",
  "constantinopleBlock",
  "petersburgBlock",
  "istanbulBlock",
  "berlinBlock",
  "londonBlock",
] as const;

/**
 * A QBFT genesis with free gas: London from block 0 with `zeroBaseFee` (and a zero base
 * fee in the genesis block itself), so transactions with gas price 0 are mined when every
 * node also runs with `min-gas-price=0`. Validators are written in ascending address
 * order (as Besu's documentation asks), so the genesis does not depend on the order a
 * spec lists them in. The timestamp is 0: a genesis must not depend on when it was made.
 */
export function qbftGenesis(options: QbftGenesisOptions): QbftGenesis {
  const blockPeriod = options.blockPeriodSeconds ?? DEFAULT_BLOCK_PERIOD_SECONDS;
  const epochLength = options.epochLength ?? DEFAULT_EPOCH_LENGTH;
  const requestTimeout = options.requestTimeoutSeconds ?? 2 * blockPeriod;
  const gasLimit = options.gasLimit ?? DEFAULT_GAS_LIMIT;
  const positive = (name: string, value: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new Error(`qbftGenesis: ${name} must be an integer from 1 to ${max} (got ${value})`);
  };
  positive("chainId", options.chainId, Number.MAX_SAFE_INTEGER);
  positive("blockPeriodSeconds", blockPeriod, 3600);
  positive("epochLength", epochLength, Number.MAX_SAFE_INTEGER);
  positive("requestTimeoutSeconds", requestTimeout, 3600);
  positive("gasLimit", gasLimit, Number.MAX_SAFE_INTEGER);
  if (options.validators.length === 0) throw new Error("qbftGenesis: validators is empty: a QBFT chain needs its validators in the genesis");
  const validators = [...new Set(options.validators.map((a) => a.toLowerCase()))].sort();
  if (validators.length !== options.validators.length) throw new Error("qbftGenesis: validators lists an address twice");

  return {
    config: {
      chainId: options.chainId,
      ...Object.fromEntries(FORKS_AT_GENESIS.map((fork) => [fork, 0])),
      zeroBaseFee: true,
      qbft: { blockperiodseconds: blockPeriod, epochlength: epochLength, requesttimeoutseconds: requestTimeout },
    },
    nonce: "0x0",
    timestamp: "0x0",
    extraData: qbftExtraData(validators),
    gasLimit: `0x${gasLimit.toString(16)}`,
    difficulty: QBFT_DIFFICULTY,
    mixHash: QBFT_MIX_HASH,
    coinbase: ZERO_ADDRESS,
    baseFeePerGas: "0x0",
    ...(options.alloc ? { alloc: sortedAlloc(options.alloc) } : {}),
  };
}

/** The genesis as Besu reads it: two-space JSON, keys in the order `qbftGenesis` sets them. */
export function genesisJson(genesis: QbftGenesis): string {
  return `${JSON.stringify(genesis, null, 2)}\n`;
}

/** Accounts by lower-case address, ascending, with their storage slots sorted too. */
function sortedAlloc(alloc: Readonly<Record<string, GenesisAccount>>): Record<string, GenesisAccount> {
  const entries = Object.entries(alloc).map(([address, account]) => {
    const key = address.toLowerCase().replace(/^0x/, "");
    if (!/^[0-9a-f]{40}$/.test(key)) throw new Error(`qbftGenesis: alloc key must be an address (got ${JSON.stringify(address)})`);
    const storage = account.storage && Object.fromEntries(Object.entries(account.storage).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return [key, { balance: account.balance, ...(account.code !== undefined ? { code: account.code } : {}), ...(storage ? { storage } : {}) }] as const;
  });
  if (new Set(entries.map(([k]) => k)).size !== entries.length) throw new Error("qbftGenesis: alloc lists an address twice");
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
}
