import { createHash } from "node:crypto";
import {
  concat,
  createPublicClient,
  createTestClient,
  http,
  keccak256,
  numberToHex,
  pad,
  parseEther,
  toBytes,
  toFunctionSelector,
  type Address,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileAuditAnchor } from "../../contracts/compile";
import {
  anchorHead,
  deployAnchorContract,
  readAnchorOwner,
  readAnchors,
  transferAnchorOwnership,
  type Anchor,
} from "../../lib/audit/anchor/anchor";
import { AUDIT_ANCHOR_ABI, AUDIT_ANCHOR_BYTECODE } from "../../lib/audit/anchor/contract";
import { verifyAnchors, type LedgerReader } from "../../lib/audit/anchor/ledger";
import { startEvmNode, type EvmNode } from "../support/evm-node";

/** A ledger row hash as the SQL ledger makes them: sha256, 32 bytes. */
const rowHash = (text: string) => new Uint8Array(createHash("sha256").update(text).digest());
const hex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`;
/** Topic 0 of the event, from its signature, independent of the shipped ABI. */
const ANCHORED_TOPIC = keccak256(toBytes("Anchored(bytes32,uint64,uint256)"));

function fakeLedger(rows: Map<bigint, Uint8Array>): LedgerReader {
  return { hashAt: async (seq) => rows.get(seq) };
}

describe("AuditAnchor contract", () => {
  test("the shipped ABI and bytecode are what solc 0.8.37 makes of contracts/AuditAnchor.sol", () => {
    // GIVEN the source shipped in contracts/, WHEN compiled with the recorded settings
    const compiled = compileAuditAnchor();
    // THEN the package's bytecode and ABI are exactly the compiler's
    expect(AUDIT_ANCHOR_BYTECODE).toBe(compiled.bytecode);
    expect(AUDIT_ANCHOR_ABI).toEqual(compiled.abi);
  });
});

describe("anchoring on a free-gas chain (base fee 0, gas price 0, like Besu with zeroBaseFee)", () => {
  let node: EvmNode;
  // An unfunded key: on a free-gas network the anchoring key needs no balance.
  const ownerKey = generatePrivateKey();
  const owner = privateKeyToAccount(ownerKey);
  let contract: Address;
  let deployBlock: bigint;

  beforeAll(async () => {
    node = await startEvmNode();
    const deployed = await deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey: ownerKey });
    contract = deployed.address;
    deployBlock = deployed.blockNumber;
  });
  afterAll(async () => node?.stop());

  const client = () => createPublicClient({ transport: http(node.rpcUrl) });

  test("deployment makes the deploying key the owner", async () => {
    expect(await client().getCode({ address: contract })).toMatch(/^0x[0-9a-f]{100,}$/);
    expect(await readAnchorOwner({ rpcUrl: node.rpcUrl, contract })).toBe(owner.address);
  });

  test("an anchor is a signed zero-price transaction whose event carries exactly the head and seq", async () => {
    // GIVEN a ledger head
    const head = rowHash("row 41");
    // WHEN it is anchored
    const sent = await anchorHead({ rpcUrl: node.rpcUrl, privateKey: ownerKey, contract, seq: 41n, head });
    // THEN the transaction was signed by the anchoring key (the node holds no key) at gas price 0 and succeeded
    const tx = await client().getTransaction({ hash: sent.transactionHash });
    expect(tx.from).toBe(owner.address.toLowerCase());
    expect(tx.gasPrice).toBe(0n);
    expect((await client().getTransactionReceipt({ hash: sent.transactionHash })).status).toBe("success");
    // AND the raw log has the event's topic, the head and the seq as indexed topics
    const logs = await client().request({
      method: "eth_getLogs",
      params: [{ address: contract, fromBlock: numberToHex(sent.blockNumber), toBlock: numberToHex(sent.blockNumber) }],
    });
    expect(logs).toHaveLength(1);
    expect(logs[0].topics).toEqual([ANCHORED_TOPIC, hex(head), pad(numberToHex(41n))]);
    // AND readAnchors decodes the same values
    const anchors = await readAnchors({ rpcUrl: node.rpcUrl, contract, fromBlock: sent.blockNumber, toBlock: sent.blockNumber });
    expect(anchors).toEqual([
      expect.objectContaining({ seq: 41n, head: hex(head), blockNumber: sent.blockNumber, transactionHash: sent.transactionHash }),
    ]);
    const block = await client().getBlock({ blockNumber: sent.blockNumber });
    expect(anchors[0].timestamp).toBe(block.timestamp);
  });

  test("readAnchors pages through the range and returns every anchor in chain order", async () => {
    const a = await anchorHead({ rpcUrl: node.rpcUrl, privateKey: ownerKey, contract, seq: 100n, head: rowHash("row 100") });
    const b = await anchorHead({ rpcUrl: node.rpcUrl, privateKey: ownerKey, contract, seq: 101n, head: hex(rowHash("row 101")) });
    expect(b.blockNumber).toBeGreaterThan(a.blockNumber);
    // One block per eth_getLogs request: the anchors come from separate pages.
    const anchors = await readAnchors({ rpcUrl: node.rpcUrl, contract, fromBlock: a.blockNumber, maxBlockRange: 1n });
    expect(anchors.map((x) => [x.seq, x.head])).toEqual([
      [100n, hex(rowHash("row 100"))],
      [101n, hex(rowHash("row 101"))],
    ]);
  });

  test("a key that is not the owner cannot anchor", async () => {
    const intruderKey = generatePrivateKey();
    const before = await readAnchors({ rpcUrl: node.rpcUrl, contract, fromBlock: deployBlock });
    // Through the library: the contract's revert reason comes back.
    await expect(
      anchorHead({ rpcUrl: node.rpcUrl, privateKey: intruderKey, contract, seq: 7n, head: rowHash("forged") }),
    ).rejects.toThrow(/NotOwner/);
    // Straight to the chain, skipping gas estimation: the transaction is mined and reverts.
    const intruder = privateKeyToAccount(intruderKey);
    const chainId = await client().getChainId();
    const nonce = await client().getTransactionCount({ address: intruder.address });
    const data = concat([toFunctionSelector("anchor(bytes32,uint64)"), hex(rowHash("forged")), pad(numberToHex(7n))]);
    const raw = await intruder.signTransaction({ chainId, nonce, to: contract, data, gas: 100_000n, gasPrice: 0n, type: "legacy" });
    const hash = await client().sendRawTransaction({ serializedTransaction: raw });
    expect((await client().waitForTransactionReceipt({ hash })).status).toBe("reverted");
    expect(await readAnchors({ rpcUrl: node.rpcUrl, contract, fromBlock: deployBlock })).toEqual(before);
  });

  test("a transaction for another chain id is refused before anything is sent", async () => {
    const nonce = await client().getTransactionCount({ address: owner.address });
    await expect(
      anchorHead({ rpcUrl: node.rpcUrl, privateKey: ownerKey, contract, seq: 1n, head: rowHash("x"), chainId: 1 }),
    ).rejects.toThrow(`serves chain ${node.chainId}, not 1`);
    expect(await client().getTransactionCount({ address: owner.address })).toBe(nonce);
  });

  test("bad input is rejected without echoing the key", async () => {
    const badKey = "0x1234" as Hex;
    const error = await anchorHead({ rpcUrl: node.rpcUrl, privateKey: badKey, contract, seq: 1n, head: rowHash("x") }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/privateKey: expected 32 bytes/);
    expect((error as Error).message).not.toContain("1234");
    await expect(anchorHead({ rpcUrl: node.rpcUrl, privateKey: ownerKey, contract, seq: 1n, head: "0x1234" })).rejects.toThrow(/head: expected a 32-byte hash/);
    await expect(anchorHead({ rpcUrl: node.rpcUrl, privateKey: ownerKey, contract, seq: 2n ** 64n, head: rowHash("x") })).rejects.toThrow(
      /seq: expected an unsigned 64-bit number/,
    );
  });
});

describe("key rotation", () => {
  let node: EvmNode;
  beforeAll(async () => {
    node = await startEvmNode();
  });
  afterAll(async () => node?.stop());

  test("after transferOwnership only the new key anchors, on the same contract", async () => {
    const oldKey = generatePrivateKey();
    const newKey = generatePrivateKey();
    const newOwner = privateKeyToAccount(newKey).address;
    const { address: contract } = await deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey: oldKey });
    // A stranger cannot take the contract over.
    await expect(
      transferAnchorOwnership({ rpcUrl: node.rpcUrl, privateKey: newKey, contract, newOwner }),
    ).rejects.toThrow(/NotOwner/);
    await transferAnchorOwnership({ rpcUrl: node.rpcUrl, privateKey: oldKey, contract, newOwner });
    expect(await readAnchorOwner({ rpcUrl: node.rpcUrl, contract })).toBe(newOwner);
    await expect(anchorHead({ rpcUrl: node.rpcUrl, privateKey: oldKey, contract, seq: 1n, head: rowHash("a") })).rejects.toThrow(/NotOwner/);
    await anchorHead({ rpcUrl: node.rpcUrl, privateKey: newKey, contract, seq: 1n, head: rowHash("a") });
    expect((await readAnchors({ rpcUrl: node.rpcUrl, contract })).map((a) => a.seq)).toEqual([1n]);
  });

  test("ownership cannot go to the zero address", async () => {
    const key = generatePrivateKey();
    const { address: contract } = await deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey: key });
    await expect(
      transferAnchorOwnership({ rpcUrl: node.rpcUrl, privateKey: key, contract, newOwner: "0x0000000000000000000000000000000000000000" }),
    ).rejects.toThrow(/ZeroOwner/);
    expect(await readAnchorOwner({ rpcUrl: node.rpcUrl, contract })).toBe(privateKeyToAccount(key).address);
  });
});

describe("anchoring on a chain with a base fee (EIP-1559)", () => {
  let node: EvmNode;
  beforeAll(async () => {
    node = await startEvmNode({ baseFee: 1_000_000_000n, chainId: 1338 });
  });
  afterAll(async () => node?.stop());

  test("fees auto sends a funded type-2 transaction, and an unfunded key is refused", async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    const client = createPublicClient({ transport: http(node.rpcUrl) });
    await expect(deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey: key })).rejects.toThrow(/fund/i);
    await createTestClient({ mode: "anvil", transport: http(node.rpcUrl) }).setBalance({ address, value: parseEther("1") });
    const deployed = await deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey: key, chainId: 1338 });
    const sent = await anchorHead({ rpcUrl: node.rpcUrl, privateKey: key, contract: deployed.address, seq: 9n, head: rowHash("row 9") });
    const tx = await client.getTransaction({ hash: sent.transactionHash });
    expect(tx.type).toBe("eip1559");
    expect(tx.maxFeePerGas).toBeGreaterThanOrEqual(1_000_000_000n);
    expect(await readAnchors({ rpcUrl: node.rpcUrl, contract: deployed.address })).toEqual([
      expect.objectContaining({ seq: 9n, head: hex(rowHash("row 9")) }),
    ]);
  });
});

describe("verifyAnchors", () => {
  let node: EvmNode;
  let anchors: Anchor[];
  const ledger = new Map<bigint, Uint8Array>([1n, 2n, 3n].map((seq) => [seq, rowHash(`row ${seq}`)]));

  beforeAll(async () => {
    node = await startEvmNode();
    const privateKey = generatePrivateKey();
    const { address: contract } = await deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey });
    for (const [seq, head] of ledger) await anchorHead({ rpcUrl: node.rpcUrl, privateKey, contract, seq, head });
    anchors = await readAnchors({ rpcUrl: node.rpcUrl, contract });
  });
  afterAll(async () => node?.stop());

  test("a ledger with the anchored hashes passes", async () => {
    expect(anchors).toHaveLength(3);
    expect(await verifyAnchors(fakeLedger(new Map(ledger)), anchors)).toEqual([]);
  });

  test("one altered row is reported at exactly its seq, with both hashes", async () => {
    const altered = new Map(ledger).set(2n, rowHash("row 2, rewritten"));
    const mismatches = await verifyAnchors(fakeLedger(altered), anchors);
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0].anchor.seq).toBe(2n);
    expect(mismatches[0].anchor.head).toBe(hex(rowHash("row 2")));
    expect(mismatches[0].ledgerHash).toBe(hex(rowHash("row 2, rewritten")));
  });

  test("a missing row is a mismatch, unless it lies below fromSeq (dropped by retention)", async () => {
    const truncated = new Map(ledger);
    truncated.delete(1n);
    const mismatches = await verifyAnchors(fakeLedger(truncated), anchors);
    expect(mismatches.map((m) => [m.anchor.seq, m.ledgerHash])).toEqual([[1n, undefined]]);
    expect(await verifyAnchors(fakeLedger(truncated), anchors, { fromSeq: 2n })).toEqual([]);
  });
});
