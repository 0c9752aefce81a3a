import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readAnchorOwner } from "../../lib/audit/anchor/anchor";
import { auditAnchor } from "../../lib/cli/audit-anchor";
import { startEvmNode, type EvmNode } from "../support/evm-node";

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let out = "";
  let err = "";
  const status = await auditAnchor(argv, env, { out: (t) => (out += t), err: (t) => (err += t) });
  return { status, out, err };
}

describe("audit-anchor CLI", () => {
  let node: EvmNode;
  let dir: string;
  const ownerKey = generatePrivateKey();
  let contract: Address;

  beforeAll(async () => {
    node = await startEvmNode();
    dir = mkdtempSync(join(tmpdir(), "audit-anchor-"));
  });
  afterAll(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("deploy-contract reads the key from a file and prints only the contract's address", async () => {
    // GIVEN the key as a secret manager mounts it: no 0x, a trailing newline
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, `${ownerKey.slice(2)}\n`, { mode: 0o600 });
    // WHEN deploying
    const r = await run(["deploy-contract"], { AUDIT_ANCHOR_RPC_URL: node.rpcUrl, AUDIT_ANCHOR_PRIVATE_KEY_FILE: keyFile });
    // THEN stdout is the address alone, a contract is there, owned by that key
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^0x[0-9a-fA-F]{40}\n$/);
    contract = r.out.trim() as Address;
    expect(await createPublicClient({ transport: http(node.rpcUrl) }).getCode({ address: contract })).toMatch(/^0x[0-9a-f]+$/);
    expect(await readAnchorOwner({ rpcUrl: node.rpcUrl, contract })).toBe(privateKeyToAccount(ownerKey).address);
    expect(r.err).toMatch(/verify with --from-block \d+\n$/);
  });

  test("a key on the command line is refused and never echoed", async () => {
    const cases = [["anchor", "--private-key", ownerKey], ["anchor", `--private-key=${ownerKey}`], ["anchor", ownerKey], [ownerKey]];
    for (const argv of cases) {
      const r = await run(argv, { AUDIT_ANCHOR_RPC_URL: node.rpcUrl });
      expect(r.status).toBe(2);
      expect(r.out + r.err).not.toContain(ownerKey.slice(2, 20));
    }
    const r = await run(["anchor", "--private-key", ownerKey], {});
    expect(r.err).toMatch(/Unknown option '--private-key'; secrets come only from the environment/);
  });

  test("a missing, doubled or malformed key is a usage error that does not echo the value", async () => {
    const env = { AUDIT_ANCHOR_RPC_URL: node.rpcUrl, AUDIT_ANCHOR_CONTRACT: contract };
    expect((await run(["deploy-contract"], env)).err).toMatch(/the anchoring key is required/);
    const both = await run(["deploy-contract"], { ...env, AUDIT_ANCHOR_PRIVATE_KEY: ownerKey, AUDIT_ANCHOR_PRIVATE_KEY_FILE: "/nonexistent" });
    expect(both.status).toBe(2);
    expect(both.err).toMatch(/not both/);
    const bad = await run(["deploy-contract"], { ...env, AUDIT_ANCHOR_PRIVATE_KEY: "0xdeadbeef" });
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/must be 32 bytes/);
    expect(bad.err).not.toContain("deadbeef");
  });

  test("anchor needs DATABASE_URL and sends nothing without it", async () => {
    const client = createPublicClient({ transport: http(node.rpcUrl) });
    const nonce = await client.getTransactionCount({ address: privateKeyToAccount(ownerKey).address });
    const r = await run(["anchor"], { AUDIT_ANCHOR_RPC_URL: node.rpcUrl, AUDIT_ANCHOR_CONTRACT: contract, AUDIT_ANCHOR_PRIVATE_KEY: ownerKey });
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/DATABASE_URL is required/);
    expect(await client.getTransactionCount({ address: privateKeyToAccount(ownerKey).address })).toBe(nonce);
  });

  test("verify fails when the contract holds no anchors, rather than passing on nothing", async () => {
    const r = await run(["verify", "--contract", contract], { AUDIT_ANCHOR_RPC_URL: node.rpcUrl, DATABASE_URL: "postgresql://unused" });
    expect(r.status).toBe(1);
    expect(r.err).toContain(`no anchors at ${contract}`);
  });

  test("transfer-ownership: a stranger gets the contract's reason, the owner hands over", async () => {
    const newKey = generatePrivateKey();
    const newOwner = privateKeyToAccount(newKey).address;
    const env = { AUDIT_ANCHOR_RPC_URL: node.rpcUrl, AUDIT_ANCHOR_CONTRACT: contract };
    const stranger = await run(["transfer-ownership", "--to", newOwner], { ...env, AUDIT_ANCHOR_PRIVATE_KEY: newKey });
    expect(stranger.status).toBe(1);
    expect(stranger.err).toMatch(/reverted\. \(NotOwner\)/);
    expect(stranger.err).not.toContain(newKey.slice(2, 20));
    const owner = await run(["transfer-ownership", "--to", newOwner], { ...env, AUDIT_ANCHOR_PRIVATE_KEY: ownerKey });
    expect(owner.status).toBe(0);
    expect(await readAnchorOwner({ rpcUrl: node.rpcUrl, contract })).toBe(newOwner);
  });

  test("usage errors exit 2 and --help exits 0", async () => {
    expect((await run([], {})).status).toBe(2);
    expect((await run(["rewrite-history"], { AUDIT_ANCHOR_RPC_URL: node.rpcUrl })).err).toMatch(/unknown command rewrite-history/);
    expect((await run(["verify"], {})).err).toMatch(/--rpc-url or AUDIT_ANCHOR_RPC_URL is required/);
    const fees = await run(["deploy-contract", "--fees", "cheap"], { AUDIT_ANCHOR_RPC_URL: node.rpcUrl, AUDIT_ANCHOR_PRIVATE_KEY: ownerKey });
    expect(fees.status).toBe(2);
    expect(fees.err).toMatch(/--fees: expected auto, free, legacy, eip1559, got cheap/);
    const help = await run(["--help"], {});
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/^usage: cdktf-byoc audit-anchor <command>/);
  });
});
