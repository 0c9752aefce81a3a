/**
 * The spec's `audit` switch on every target: `database` puts the SQL ledger's Jobs on the
 * target's own PostgreSQL and tells the application where it is; `blockchain` (besu)
 * runs a private QBFT network instead and points the application at its RPC.
 */
import { describe, expect, test } from "vitest";
import { ROLE_LABEL } from "../../lib/audit/besu/pod";
import { defaultSpec, TARGET_CLOUDS } from "../../lib/config/defaults";
import { manifests } from "../support/helm";
import { synth, type StackJson } from "../support/synth";

const KEYS = [
  "0x346e1b933da962a9d39a1fd4a53139f60d6d7a40ad451c17134e6de0175fcf6dcafcd0cced0fb40b41c315ac4007749c1b3b9cf48200dd73c410c5e2820d3c50",
  "0xe7d0b8292fb3c494c34d1bb5e0bba8a1da6f5fe0ed3395d3515f6e9af906a6f25b9b32034325d2222db4bb9c9c17136c15776eda277132eb5e24ce883d82e228",
  "0x325781b49581fa145e8795cb4a77198f9d3e0772bc40cae6c6f303838a4593fcfb6fbc86f3c542cc47b5a3a104a0518dd13491e2a239647d71f8132babf976e4",
  "0x5cb9b1005d7a78466cc659b2c65e9d2d225f0162d7e0bad763d3778fca0d674987c77239ad8ae4bb8db824372860b9a50cb1703ecbc53311a282faebadc9581c",
];
const SECRET_PREFIX: Record<string, string> = { aws: "byoc/", azure: "byoc-", gcp: "byoc-", onprem: "byoc/" };

function withAudit(cloud: (typeof TARGET_CLOUDS)[number], audit: Record<string, unknown>) {
  const spec = defaultSpec(cloud) as Record<string, any>;
  // On-prem secrets come from the customer's Vault.
  const platform = cloud === "onprem" ? { ...spec.platform, secretStore: { vault: { server: "https://vault.example.com:8200", role: "byoc" } } } : spec.platform;
  return { ...spec, platform, audit };
}

const besu = (cloud: string) => ({
  type: "blockchain",
  blockchain: { type: "besu", nodes: { validators: KEYS.map((publicKey, i) => ({ name: `validator-${i}`, publicKey, secretRef: `${SECRET_PREFIX[cloud]}besu-validator-${i}` })) } },
});

const objects = (stacks: Record<string, StackJson>) => Object.values(stacks).flatMap((s) => manifests(s));
const provider = (stacks: Record<string, StackJson>) => {
  const cm = Object.values(stacks).flatMap((s) => s.resources("kubernetes_config_map_v1")).find((c) => c.metadata.name === "audit-provider");
  return cm && (cm.data["audit.yml"] as string);
};
const besuNodes = (stacks: Record<string, StackJson>) => Object.values(stacks).flatMap((s) => s.resources("kubernetes_stateful_set_v1")).filter((s) => s.metadata.labels?.[ROLE_LABEL]);

describe.each(TARGET_CLOUDS)("audit on %s", (cloud) => {
  test("database: the ledger's migration, retention and verification Jobs, and the application told where the ledger is", async () => {
    const stacks = await synth(withAudit(cloud, { type: "database" }));
    const ledger = objects(stacks).filter((m) => m.release.block.name === "audit-ledger").map((m) => `${m.object.kind}/${m.object.metadata.name.replace(/-[0-9a-f]{10}$/, "")}`);
    expect(ledger).toEqual(expect.arrayContaining(["ConfigMap/audit-migrations", "Job/audit-migrate", "CronJob/audit-retention", "CronJob/audit-verify"]));
    // Managed servers need their admin's setup first; CloudNativePG makes the roles itself.
    expect(ledger.includes("Job/audit-setup")).toBe(cloud !== "onprem");
    const endpoints = Object.values(stacks).flatMap((s) => s.resources("kubernetes_config_map_v1")).filter((c) => c.metadata.name === "data-endpoints");
    expect(endpoints.length).toBeGreaterThan(0);
    for (const cm of endpoints) expect(cm.data).toMatchObject({ AUDIT_DATABASE: "audit", AUDIT_PORT: "5432" });
    expect(provider(stacks)).toMatch(/^auditProvider:\n {2}type: database\n/);
    expect(besuNodes(stacks)).toEqual([]);
  }, 120_000);

  test("blockchain (besu): four validators and the application pointed at their RPC; no SQL ledger", async () => {
    const stacks = await synth(withAudit(cloud, besu(cloud)));
    expect(besuNodes(stacks).map((s) => s.metadata.name).sort()).toEqual(["validator-0", "validator-1", "validator-2", "validator-3"]);
    expect(objects(stacks).filter((m) => m.release.block.name === "audit-ledger")).toEqual([]);
    expect(provider(stacks)).toContain("endpoint: http://besu-rpc.besu.svc:8545");
    expect(provider(stacks)).toMatch(/^auditProvider:\n {2}type: blockchain\n/);
    // The applications reach it: their namespace's egress admits the chain's namespace on the RPC port.
    const egress = Object.values(stacks).flatMap((s) => s.resources("kubernetes_network_policy_v1")).filter((p) => p.metadata.name === "allow-to-audit-chain");
    expect(egress.length).toBeGreaterThan(0);
    for (const p of egress) {
      expect(p.spec.egress).toEqual([{ to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "besu" } } }], ports: [{ port: "8545", protocol: "TCP" }] }]);
    }
  }, 120_000);
});
