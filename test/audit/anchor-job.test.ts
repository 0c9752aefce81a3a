import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import type { Address, Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployAnchorContract, readAnchors } from "../../lib/audit/anchor/anchor";
import { ANCHOR_JOB_BUNDLE, bundleAnchorJob } from "../../lib/audit/anchor/bundle";
import { ANCHOR_NODE_IMAGE, AuditAnchorJob, type AuditAnchorJobProps } from "../../lib/audit/anchor/job";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { startEvmNode, type EvmNode } from "../support/evm-node";
import { manifests } from "../support/helm";
import { startPostgres, type PostgresServer } from "../support/postgres";
import { StackJson } from "../support/synth";
import { naming } from "../support/targets";
import { createLedger, createLogin, createMigrator } from "./ledger-fixture";

/**
 * The anchoring CronJob as an on-prem cluster with Vault gets it (the real ExternalSecrets
 * construct), its program bundled here from the sources with the build's own function.
 */

const work = mkdtempSync(join(tmpdir(), "byoc-anchor-job-"));
const BUNDLE = join(work, "build", ANCHOR_JOB_BUNDLE);
const READER = "anchor_reader";
const SOME_CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function synthJob(props: Partial<AuditAnchorJobProps> = {}): StackJson {
  const stack = new TerraformStack(Testing.app(), "anchor");
  const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab" });
  configureClusterProviders(stack, cluster.connection);
  const target = new OnpremPlatformTarget(stack, "Target", { naming, cluster, vault: { server: "https://vault.lab:8200", role: "byoc" } });
  const secrets = new ExternalSecrets(stack, "ExternalSecrets", { naming, target });
  new AuditAnchorJob(stack, "Anchor", {
    deployment: "acme",
    namespace: "data",
    secrets,
    signingKeySecretRef: "acme/audit-anchor",
    rpcUrl: "http://besu-rpc.besu.svc:8545",
    contractAddress: SOME_CONTRACT,
    database: { host: "postgres-rw.data.svc.cluster.local", ca: { secret: { name: "postgres-tls", key: "ca.crt" } } },
    login: { user: READER, password: { secret: { name: "postgres-audit-reader", key: "password" } } },
    bundle: BUNDLE,
    ...props,
  });
  return new StackJson("anchor", JSON.parse(Testing.synth(stack)), stack);
}

const objectOf = (stack: StackJson, kind: string, name: string) => manifests(stack).find((m) => m.object.kind === kind && m.object.metadata.name === name)!.object;
const cronJob = (stack: StackJson) => objectOf(stack, "CronJob", "audit-anchor");
const podOf = (stack: StackJson) => cronJob(stack).spec.jobTemplate.spec.template;
const envOf = (container: { env: { name: string; value: string }[] }) => Object.fromEntries(container.env.map((e) => [e.name, e.value]));

beforeAll(async () => {
  mkdirSync(dirname(BUNDLE), { recursive: true });
  await bundleAnchorJob(BUNDLE, join(__dirname, "..", "..", "lib", "audit", "anchor", "job-main.ts"));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("AuditAnchorJob as rendered", () => {
  test("an hourly CronJob, one run at a time, a failed run retried twice then failed", () => {
    const cron = cronJob(synthJob());
    expect(cron.spec.schedule).toBe("13 * * * *");
    expect(cron.spec.concurrencyPolicy).toBe("Forbid");
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(2);
    expect(cron.spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(120);
    expect(cronJob(synthJob({ schedule: "*/10 * * * *" })).spec.schedule).toBe("*/10 * * * *");
  });

  test("a pinned Node.js LTS image runs the bundled program from the ConfigMap, as a non-root user with nothing writable but /tmp", () => {
    const stack = synthJob();
    const pod = podOf(stack);
    const [container] = pod.spec.containers;
    expect(container.image).toMatch(/^docker\.io\/library\/node:\d+\.\d+\.\d+-alpine[\d.]+$/);
    expect(container.image).toBe(ANCHOR_NODE_IMAGE);
    // Even-numbered majors become LTS.
    expect(Number(/node:(\d+)\./.exec(container.image)![1]) % 2).toBe(0);
    expect(container.command[2]).toContain(`exec node /opt/audit/anchor/${ANCHOR_JOB_BUNDLE} anchor`);
    const programVolume = pod.spec.volumes.find((v: any) => v.configMap?.name === "audit-anchor");
    expect(container.volumeMounts).toContainEqual({ name: programVolume.name, mountPath: "/opt/audit/anchor", readOnly: true });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    const writable = container.volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath);
    expect(writable).toEqual(["/tmp"]);
    expect(objectOf(stack, "ConfigMap", "audit-anchor").data[ANCHOR_JOB_BUNDLE].length).toBeGreaterThan(10_000);
  });

  test("the anchoring key comes from the secret manager as a mounted file; no secret value or secret reference sits in the environment", () => {
    const stack = synthJob();
    const synced = objectOf(stack, "ExternalSecret", "audit-anchor-key");
    expect(synced.metadata.namespace).toBe("data");
    expect(synced.spec.data).toEqual([{ secretKey: "privateKey", remoteRef: { key: "acme/audit-anchor", property: "privateKey" } }]);
    const pod = podOf(stack);
    const [container] = pod.spec.containers;
    const keyVolume = pod.spec.volumes.find((v: any) => v.secret?.secretName === "audit-anchor-key");
    expect(keyVolume.secret.items).toEqual([{ key: "privateKey", path: "key" }]);
    expect(keyVolume.secret.defaultMode).toBe(0o440);
    const keyMount = container.volumeMounts.find((m: any) => m.name === keyVolume.name);
    expect(keyMount.readOnly).toBe(true);
    expect(envOf(container).AUDIT_ANCHOR_PRIVATE_KEY_FILE).toBe(`${keyMount.mountPath}/key`);
    expect(container.env.some((e: any) => e.valueFrom !== undefined || ["AUDIT_ANCHOR_PRIVATE_KEY", "PGPASSWORD", "DATABASE_URL"].includes(e.name))).toBe(false);
    // The release holding the CronJob waits for the key's sync.
    const anchorRelease = manifests(stack).find((m) => m.object.kind === "CronJob")!.release;
    const keyRelease = manifests(stack).find((m) => m.object.kind === "ExternalSecret" && m.object.metadata.name === "audit-anchor-key")!.release;
    expect(anchorRelease.block.depends_on).toContain(keyRelease.block.tfAddress);
  });

  test("the database over TLS verifying the server's name, as a reader login; the chain and contract by environment", () => {
    const [container] = podOf(synthJob({ chainId: 4242, fees: "free" })).spec.containers;
    const env = envOf(container);
    expect(env).toMatchObject({ PGSSLMODE: "verify-full", PGUSER: READER, PGHOST: "postgres-rw.data.svc.cluster.local" });
    expect(container.command[2]).toContain("sslmode=$PGSSLMODE&sslrootcert=$PGSSLROOTCERT&uselibpqcompat=true");
    expect(env).toMatchObject({ AUDIT_ANCHOR_RPC_URL: "http://besu-rpc.besu.svc:8545", AUDIT_ANCHOR_CHAIN_ID: "4242", AUDIT_ANCHOR_FEES: "free" });
    expect(container.command[2]).toContain(` anchor --contract ${SOME_CONTRACT}`);
  });

  test("the pods carry the labels the Besu network's RPC policy admits", () => {
    const pod = podOf(synthJob());
    const peer = AuditAnchorJob.peer("data");
    for (const [k, v] of Object.entries(peer.pods!.matchLabels!)) expect(pod.metadata.labels[k]).toBe(v);
    const allow = AuditAnchorJob.egressAllow({ rpc: { peers: [{ namespace: "besu" }], ports: [{ port: 8545 }] }, database: { peers: [{ cidr: "10.0.8.0/24" }], ports: [{ port: 5432 }] } });
    expect(allow.pods).toEqual(peer.pods);
    expect(allow.egress?.flatMap((r) => r.ports?.map((p) => p.port) ?? [])).toEqual(expect.arrayContaining([53, 8545, 5432]));
  });

  test("a plain-HTTP chain outside the cluster, a malformed contract, a key where its name belongs are refused", () => {
    expect(() => synthJob({ rpcUrl: "http://rpc.example.com:8545" })).toThrow(
      'AuditAnchorJob anchor/Anchor: rpcUrl must be an https:// URL, or http:// to a Service inside the cluster (<service>.<namespace>.svc[.<domain>]) (got "http://rpc.example.com:8545")',
    );
    expect(() => synthJob({ contractAddress: "0x1234" })).toThrow('AuditAnchorJob anchor/Anchor: contractAddress must be a 20-byte address, 0x and 40 hex digits (got "0x1234")');
    const key = generatePrivateKey();
    let message = "";
    try {
      synthJob({ signingKeySecretRef: `{"privateKey":"${key}"}` });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe("AuditAnchorJob anchor/Anchor: signingKeySecretRef must be a secret's name in the secret manager, not the key itself");
    expect(() => synthJob({ schedule: "hourly" })).toThrow(/schedule must be a cron schedule of five fields/);
  });
});

/**
 * The rendered pod's own script and the program from the rendered ConfigMap, run by a
 * shell against a local EVM node (anvil) and a real PostgreSQL holding the ledger. What
 * the cluster provides is replaced: the mount paths by temporary directories, the TLS
 * settings (the test server speaks none) and the RPC URL by the local node's.
 */
describe("the anchoring CronJob against a local chain and ledger", () => {
  let node: EvmNode;
  let pg: PostgresServer;
  let contract: Address;
  const ownerKey = generatePrivateKey();

  beforeAll(async () => {
    [node, pg] = await Promise.all([startEvmNode(), startPostgres()]);
    contract = (await deployAnchorContract({ rpcUrl: node.rpcUrl, privateKey: ownerKey })).address;
    const su = await pg.connect("postgres");
    await createMigrator(su);
    await createLedger(pg, su, "audit");
    await createLogin(su, READER, "audit_reader");
    await createLogin(su, "app", "audit_writer");
    await su.end();
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
    pg?.stop();
  });

  /** Runs the CronJob's container as rendered, the program and the key in place of their mounts. */
  function runJob(stack: StackJson, key: string = ownerKey): { status: number | null; out: string } {
    // Terraform reads `$${` and `%%{` in the values as literal `${` and `%{`.
    const program = (objectOf(stack, "ConfigMap", "audit-anchor").data[ANCHOR_JOB_BUNDLE] as string).replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
    const pod = podOf(stack);
    const [container] = pod.spec.containers;
    const dir = mkdtempSync(join(work, "run-"));
    const mounts: Record<string, string> = {};
    for (const m of container.volumeMounts) {
      const volume = pod.spec.volumes.find((v: any) => v.name === m.name);
      const local = join(dir, m.name);
      mkdirSync(local);
      mounts[m.mountPath] = local;
      if (volume.configMap) writeFileSync(join(local, ANCHOR_JOB_BUNDLE), program);
      // The key as a secret manager holds it: 0x and hex, a trailing newline.
      if (volume.secret?.secretName === "audit-anchor-key") writeFileSync(join(local, "key"), `${key}\n`, { mode: 0o600 });
      if (volume.secret?.items?.[0]?.path === "password") writeFileSync(join(local, "password"), "unused-under-trust-auth");
    }
    // One pass, longest path first: the local directories are under /tmp, a mount path too.
    const paths = new RegExp(Object.keys(mounts).sort((x, y) => y.length - x.length).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|"), "g");
    const local = (text: string) => text.replace(paths, (p) => mounts[p]);
    const env = envOf(container);
    const r = spawnSync("/bin/sh", ["-c", local(container.command[2])], {
      env: {
        PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
        ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, local(v)])),
        PGHOST: pg.host,
        PGPORT: String(pg.port),
        PGSSLMODE: "disable",
        PGSSLROOTCERT: "",
        AUDIT_ANCHOR_RPC_URL: node.rpcUrl,
      },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }

  test("an empty ledger: nothing is sent, and the run succeeds", async () => {
    const r = runJob(synthJob({ contractAddress: contract }));
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("the ledger is empty: nothing to anchor");
    expect(await readAnchors({ rpcUrl: node.rpcUrl, contract })).toEqual([]);
  }, 60_000);

  test("the head the reader login sees is anchored: the event on the chain carries the ledger's seq and row hash", async () => {
    const app = await pg.connect("audit", "app");
    for (const actor of ["alice", "bob", "carol"]) await app.query("SELECT audit.append('data_access', $1, '{}')", [actor]);
    await app.end();
    const su = await pg.connect("audit");
    const { rows } = await su.query<{ seq: string; row_hash: Buffer }>("SELECT seq::text AS seq, row_hash FROM audit.events ORDER BY seq DESC LIMIT 1");
    await su.end();

    const r = runJob(synthJob({ contractAddress: contract, chainId: node.chainId }));
    expect(r.status, r.out).toBe(0);
    const anchors = await readAnchors({ rpcUrl: node.rpcUrl, contract });
    expect(anchors).toHaveLength(1);
    expect(anchors[0].seq).toBe(BigInt(rows[0].seq));
    expect(anchors[0].head).toBe(`0x${rows[0].row_hash.toString("hex")}` as Hex);
    expect(r.out).toContain(`anchored seq ${rows[0].seq}`);
  }, 60_000);

  test("a node of another chain than the one configured: nothing is signed, the run fails", async () => {
    const before = (await readAnchors({ rpcUrl: node.rpcUrl, contract })).length;
    const r = runJob(synthJob({ contractAddress: contract, chainId: 4242 }));
    expect(r.status).toBe(1);
    expect(r.out).toContain(`serves chain ${node.chainId}, not 4242`);
    expect(await readAnchors({ rpcUrl: node.rpcUrl, contract })).toHaveLength(before);
  }, 60_000);

  test("a key that does not own the contract: the run fails with the contract's reason and never prints the key", async () => {
    const stranger = generatePrivateKey();
    const r = runJob(synthJob({ contractAddress: contract }), stranger);
    expect(r.status).toBe(1);
    expect(r.out).toContain("NotOwner");
    expect(r.out).not.toContain(stranger.slice(2, 18));
  }, 60_000);
});
