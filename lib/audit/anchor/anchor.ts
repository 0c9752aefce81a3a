import {
  bytesToHex,
  createPublicClient,
  encodeFunctionData,
  getAbiItem,
  http,
  isAddress,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { AUDIT_ANCHOR_ABI, AUDIT_ANCHOR_BYTECODE } from "./contract";

/**
 * How a transaction pays for gas.
 * - `auto`: from the latest block: no base fee → `legacy`, a zero base fee → `free`, else `eip1559`.
 * - `free`: a legacy transaction at gas price 0 (a Besu network with `zeroBaseFee` and
 *   `min-gas-price=0`; the anchoring key needs no balance).
 * - `legacy`: a legacy transaction at the node's `eth_gasPrice`.
 * - `eip1559`: a type-2 transaction with fees estimated from the base fee and `eth_maxPriorityFeePerGas`.
 */
export type FeeMode = "auto" | "free" | "legacy" | "eip1559";

export const FEE_MODES: readonly FeeMode[] = ["auto", "free", "legacy", "eip1559"];

export interface ChainProps {
  /** JSON-RPC endpoint (HTTP) of a node of the chain. */
  readonly rpcUrl: string;
}

export interface SendProps extends ChainProps {
  /** The anchoring key: 32 bytes as 0x-prefixed hex. Read it from a secret, never from a command line. */
  readonly privateKey: Hex;
  /**
   * Chain id the transaction is signed for; the node must report the same id, so a
   * misdirected RPC URL fails before anything is signed.
   * @default - the node's eth_chainId
   */
  readonly chainId?: number;
  /** @default "auto" */
  readonly fees?: FeeMode;
  /**
   * Blocks to wait for on top of the one that includes the transaction (probabilistic-finality chains).
   * @default 1
   */
  readonly confirmations?: number;
  /** @default 120000 */
  readonly receiptTimeoutMs?: number;
}

export interface SentTransaction {
  readonly transactionHash: Hex;
  readonly blockNumber: bigint;
}

export interface DeployedAnchorContract extends SentTransaction {
  /** The contract's address: `audit.blockchain.contractAddress` in the spec. */
  readonly address: Address;
}

export type DeployAnchorContractProps = SendProps;

export interface AnchorHeadProps extends SendProps {
  /** Address of the deployed AuditAnchor contract. */
  readonly contract: Address;
  /** Ledger sequence number of the head row. */
  readonly seq: bigint;
  /** The head row's chain hash (32 bytes). */
  readonly head: Hex | Uint8Array;
}

export interface TransferAnchorOwnershipProps extends SendProps {
  readonly contract: Address;
  /** The new anchoring key's address. */
  readonly newOwner: Address;
}

export interface ReadAnchorsProps extends ChainProps {
  readonly contract: Address;
  /**
   * First block to search: the contract's deployment block saves scanning the chain before it.
   * @default 0n
   */
  readonly fromBlock?: bigint;
  /** @default - the latest block */
  readonly toBlock?: bigint;
  /**
   * Blocks per eth_getLogs request; nodes cap the range of one request.
   * @default 5000n (Besu's default --rpc-max-logs-range)
   */
  readonly maxBlockRange?: bigint;
}

/** One `Anchored` event. */
export interface Anchor {
  readonly seq: bigint;
  /** The anchored chain hash, lower-case 0x-prefixed hex. */
  readonly head: Hex;
  /** Block timestamp (seconds) when it was anchored. */
  readonly timestamp: bigint;
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
}

const ANCHORED_EVENT = getAbiItem({ abi: AUDIT_ANCHOR_ABI, name: "Anchored" });
const UINT64_MAX = 2n ** 64n - 1n;

/** Deploys the AuditAnchor contract; the deploying key becomes the only one allowed to anchor. */
export async function deployAnchorContract(props: DeployAnchorContractProps): Promise<DeployedAnchorContract> {
  const { client, account } = connect(props);
  const receipt = await send(props, client, account, { data: AUDIT_ANCHOR_BYTECODE }, () =>
    client.estimateGas({ account, data: AUDIT_ANCHOR_BYTECODE }),
  );
  if (!receipt.contractAddress) throw new Error(`deployment transaction ${receipt.transactionHash} created no contract`);
  return { address: receipt.contractAddress, transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
}

/** Records the ledger head `head` at `seq` on the chain and waits for the receipt. */
export async function anchorHead(props: AnchorHeadProps): Promise<SentTransaction> {
  const head = typeof props.head === "string" ? props.head : bytesToHex(props.head);
  if (!/^0x[0-9a-fA-F]{64}$/.test(head)) throw new Error("head: expected a 32-byte hash");
  if (props.seq < 0n || props.seq > UINT64_MAX) throw new Error(`seq: expected an unsigned 64-bit number, got ${props.seq}`);
  const call = { abi: AUDIT_ANCHOR_ABI, functionName: "anchor", args: [head, props.seq] } as const;
  // Estimating through the ABI decodes a revert (e.g. NotOwner) into a readable error.
  return callContract(props, props.contract, encodeFunctionData(call), (client, account) =>
    client.estimateContractGas({ ...call, address: props.contract, account }),
  );
}

/** Hands anchoring to another key (key rotation); signed by the current owner. */
export async function transferAnchorOwnership(props: TransferAnchorOwnershipProps): Promise<SentTransaction> {
  requireAddress("newOwner", props.newOwner);
  const call = { abi: AUDIT_ANCHOR_ABI, functionName: "transferOwnership", args: [props.newOwner] } as const;
  return callContract(props, props.contract, encodeFunctionData(call), (client, account) =>
    client.estimateContractGas({ ...call, address: props.contract, account }),
  );
}

/** The contract's current owner (the key allowed to anchor). */
export async function readAnchorOwner(props: ChainProps & { readonly contract: Address }): Promise<Address> {
  requireAddress("contract", props.contract);
  const client = rpcClient(props.rpcUrl);
  return client.readContract({ address: props.contract, abi: AUDIT_ANCHOR_ABI, functionName: "owner" });
}

/** Every `Anchored` event of the contract in the block range, in chain order. */
export async function readAnchors(props: ReadAnchorsProps): Promise<Anchor[]> {
  requireAddress("contract", props.contract);
  const step = props.maxBlockRange ?? 5000n;
  if (step < 1n) throw new Error(`maxBlockRange: expected at least 1, got ${step}`);
  const client = rpcClient(props.rpcUrl);
  const last = props.toBlock ?? (await client.getBlockNumber());
  const anchors: Anchor[] = [];
  for (let from = props.fromBlock ?? 0n; from <= last; from += step) {
    const to = from + step - 1n < last ? from + step - 1n : last;
    const logs = await client.getLogs({ address: props.contract, event: ANCHORED_EVENT, fromBlock: from, toBlock: to, strict: true });
    for (const log of logs) {
      // Logs of a block that is no longer canonical come without a block number; skip them.
      if (log.blockNumber === null || log.transactionHash === null) continue;
      anchors.push({
        seq: log.args.seq,
        head: log.args.head.toLowerCase() as Hex,
        timestamp: log.args.timestamp,
        blockNumber: log.blockNumber,
        transactionHash: log.transactionHash,
      });
    }
  }
  return anchors;
}

type RpcClient = ReturnType<typeof rpcClient>;

function rpcClient(rpcUrl: string) {
  return createPublicClient({ transport: http(rpcUrl) });
}

function connect(props: SendProps): { client: RpcClient; account: PrivateKeyAccount } {
  // Checked here so that a malformed key never reaches a library error message.
  if (!/^0x[0-9a-fA-F]{64}$/.test(props.privateKey)) {
    throw new Error("privateKey: expected 32 bytes as 0x-prefixed hex (64 hex digits)");
  }
  return { client: rpcClient(props.rpcUrl), account: privateKeyToAccount(props.privateKey) };
}

type Estimate = (client: RpcClient, account: PrivateKeyAccount) => Promise<bigint>;

async function callContract(props: SendProps, contract: Address, data: Hex, estimateGas: Estimate): Promise<SentTransaction> {
  requireAddress("contract", contract);
  const { client, account } = connect(props);
  const receipt = await send(props, client, account, { to: contract, data }, () => estimateGas(client, account));
  return { transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
}

/** Signs locally and submits with eth_sendRawTransaction: the node never holds the key. */
async function send(
  props: SendProps,
  client: RpcClient,
  account: PrivateKeyAccount,
  tx: { readonly to?: Address; readonly data: Hex },
  estimateGas: () => Promise<bigint>,
) {
  const chainId = await client.getChainId();
  if (props.chainId !== undefined && props.chainId !== chainId) {
    throw new Error(`chainId: the node at ${props.rpcUrl} serves chain ${chainId}, not ${props.chainId}`);
  }
  const [gas, nonce, fees] = await Promise.all([
    estimateGas(),
    client.getTransactionCount({ address: account.address, blockTag: "pending" }),
    feeFields(client, props.fees ?? "auto"),
  ]);
  const serializedTransaction = await account.signTransaction({ chainId, nonce, gas, ...tx, ...fees });
  const hash = await client.sendRawTransaction({ serializedTransaction });
  const receipt = await client.waitForTransactionReceipt({
    hash,
    confirmations: props.confirmations ?? 1,
    timeout: props.receiptTimeoutMs ?? 120_000,
  });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted in block ${receipt.blockNumber}`);
  return receipt;
}

async function feeFields(client: RpcClient, mode: FeeMode) {
  let resolved = mode;
  if (resolved === "auto") {
    const { baseFeePerGas } = await client.getBlock({ blockTag: "latest" });
    resolved = baseFeePerGas === null ? "legacy" : baseFeePerGas === 0n ? "free" : "eip1559";
  }
  switch (resolved) {
    case "free":
      return { type: "legacy", gasPrice: 0n } as const;
    case "legacy":
      return { type: "legacy", gasPrice: await client.getGasPrice() } as const;
    case "eip1559": {
      const { maxFeePerGas, maxPriorityFeePerGas } = await client.estimateFeesPerGas();
      return { type: "eip1559", maxFeePerGas, maxPriorityFeePerGas } as const;
    }
    default:
      throw new Error(`fees: expected one of ${FEE_MODES.join(", ")}, got ${String(mode)}`);
  }
}

/** Values are not echoed: a key pasted into the wrong field must not reach a log. */
function requireAddress(name: string, value: string): void {
  if (!isAddress(value, { strict: false })) throw new Error(`${name}: expected a 20-byte 0x-prefixed address`);
}
