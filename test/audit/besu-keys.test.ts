import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { parse } from "yaml";
import { besuKeys } from "../../lib/cli/besu-keys";

/** Runs the command, capturing what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await besuKeys(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

/** The YAML the command prints after its commands: the nodes' public parts. */
function printedNodes(out: string): { validators: Node[]; rpcNodes: Node[] } {
  return parse(out.slice(out.indexOf("# The nodes' public parts")));
}
interface Node {
  name: string;
  publicKey: Hex;
  address: Hex;
  secretRef: string;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "besu-keys-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("besu-keys", () => {
  test("writes one key file per node, readable by its owner only", async () => {
    const { code } = await run(["--deployment", "acme", "--format", "aws", "--out", join(dir, "keys"), "--validators", "4", "--rpc-nodes", "2"]);
    expect(code).toBe(0);
    const files = readdirSync(join(dir, "keys")).sort();
    expect(files).toEqual(["rpc-0.json", "rpc-1.json", "validator-0.json", "validator-1.json", "validator-2.json", "validator-3.json"]);
    for (const file of files) {
      expect(statSync(join(dir, "keys", file)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(join(dir, "keys", file), "utf8")).nodekey).toMatch(/^0x[0-9a-f]{64}$/);
    }
    expect(statSync(join(dir, "keys")).mode & 0o077).toBe(0);
  });

  test("prints each node's public key and address, which derive from the key in its file; never a private key", async () => {
    const { code, out } = await run(["--deployment", "acme", "--format", "aws", "--out", dir, "--rpc-nodes", "1"]);
    expect(code).toBe(0);
    const nodes = printedNodes(out);
    expect(nodes.validators.map((n) => n.name)).toEqual(["validator-0", "validator-1", "validator-2", "validator-3"]);
    expect(nodes.rpcNodes.map((n) => n.name)).toEqual(["rpc-0"]);
    const keys = new Set<string>();
    for (const node of [...nodes.validators, ...nodes.rpcNodes]) {
      const privateKey = JSON.parse(readFileSync(join(dir, `${node.name}.json`), "utf8")).nodekey as Hex;
      const account = privateKeyToAccount(privateKey);
      expect(node.publicKey).toBe(`0x${account.publicKey.slice(4)}`);
      expect(node.address).toBe(account.address.toLowerCase());
      expect(node.address).toBe(`0x${keccak256(`0x${node.publicKey.slice(2)}`).slice(-40)}`);
      expect(out).not.toContain(privateKey.slice(2));
      keys.add(privateKey);
    }
    expect(keys.size).toBe(5);
  });

  test("public keys are printed whole, one line each, for copying into the spec", async () => {
    const { out } = await run(["--deployment", "acme", "--format", "aws", "--out", dir]);
    const lines = out.split("\n").filter((l) => l.includes("publicKey:"));
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/^\s+publicKey: "?0x[0-9a-f]{128}"?$/);
  });

  test("--help prints the usage and writes nothing", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: cdktf-byoc besu-keys --deployment <name> --format <aws\|azure\|gcp\|vault\|kubernetes> --out <dir>/);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("prints the AWS command creating each secret under the deployment's prefix, and names it in the spec", async () => {
    const { out } = await run(["--deployment", "acme", "--format", "aws", "--out", dir]);
    expect(out).toContain(`aws secretsmanager create-secret --name acme/besu-validator-0 --secret-string file://${join(dir, "validator-0.json")}\n`);
    expect(printedNodes(out).validators[3].secretRef).toBe("acme/besu-validator-3");
    expect(out).toContain(`rm ${join(dir, "validator-0.json")} `);
  });

  test.each([
    [["--format", "azure", "--vault", "acme-keys"], "validator-0.json", (p: string) => `az keyvault secret set --vault-name acme-keys --name acme-besu-validator-0 --file ${p} --content-type application/json`],
    [["--format", "gcp", "--project", "acme-prod"], "validator-0.json", (p: string) => `gcloud secrets create acme-besu-validator-0 --data-file=${p} --project=acme-prod`],
    [["--format", "vault"], "validator-0.json", (p: string) => `vault kv put -mount=secret -cas=0 acme/besu-validator-0 @${p}`],
    [["--format", "kubernetes", "--namespace", "keys"], "validator-0.yaml", (p: string) => `kubectl create -f ${p}`],
  ])("%j: the create command for the secret manager", async (args, file, command) => {
    const { code, out } = await run(["--deployment", "acme", "--out", dir, ...args]);
    expect(code).toBe(0);
    expect(out).toContain(`${command(join(dir, file))}\n`);
  });

  test("kubernetes: a Secret manifest in the namespace given, with the key under nodekey", async () => {
    await run(["--deployment", "acme", "--format", "kubernetes", "--namespace", "keys", "--out", dir]);
    const secret = parse(readFileSync(join(dir, "validator-2.yaml"), "utf8"));
    expect(secret).toMatchObject({ apiVersion: "v1", kind: "Secret", metadata: { name: "acme-besu-validator-2", namespace: "keys" } });
    expect(secret.stringData.nodekey).toMatch(/^0x[0-9a-f]{64}$/);
  });

  test("paths with spaces are quoted for the shell", async () => {
    const spaced = join(dir, "my keys");
    const { out } = await run(["--deployment", "acme", "--format", "gcp", "--out", spaced]);
    expect(out).toContain(`--data-file='${join(spaced, "validator-0.json")}'`);
  });

  test("refuses to overwrite: an existing file stops the run before anything is written", async () => {
    const first = await run(["--deployment", "acme", "--format", "aws", "--out", dir]);
    expect(first.code).toBe(0);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
    const second = await run(["--deployment", "acme", "--format", "aws", "--out", dir, "--rpc-nodes", "1"]);
    expect(second.code).toBe(1);
    expect(second.err).toMatch(/refusing to overwrite existing key files: .*validator-0\.json/);
    expect(second.out).toBe("");
    expect(Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]))).toEqual(before);
  });

  test("refuses to replace a lone file too", async () => {
    writeFileSync(join(dir, "rpc-0.json"), "mine\n");
    const { code } = await run(["--deployment", "acme", "--format", "aws", "--out", dir, "--rpc-nodes", "1"]);
    expect(code).toBe(1);
    expect(readFileSync(join(dir, "rpc-0.json"), "utf8")).toBe("mine\n");
    expect(readdirSync(dir)).toEqual(["rpc-0.json"]);
  });

  test.each([
    [["--format", "aws", "--validators", "3"], /--validators must be a whole number of at least 4/],
    [["--format", "aws", "--rpc-nodes=1.5"], /--rpc-nodes must be a whole number/],
    [["--format", "azure"], /azure needs the Key Vault's name \(--vault\)/],
    [["--format", "kubernetes"], /kubernetes needs the namespace/],
    [["--format", "ftp"], /--format must be one of aws, azure, gcp, vault, kubernetes/],
    [["--format", "aws", "--key", "x"], /Unknown option '--key'/],
  ])("%j is a usage error", async (args, message) => {
    const { code, err } = await run(["--deployment", "acme", "--out", dir, ...args]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });
});
