import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, test } from "vitest";
import { BesuNetwork } from "../../lib/audit/besu/besu";
import { ROLE_LABEL } from "../../lib/audit/besu/pod";
import { AuditLedger } from "../../lib/audit/sql/ledger";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { loadRuleFiles } from "../../lib/observability/rules";
import { ExternalSecrets } from "../../lib/platform/external-secrets";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { OnpremPlatformTarget } from "../../lib/platform/targets/onprem";
import { manifests, releases } from "../support/helm";
import { StackJson } from "../support/synth";
import { naming } from "../support/targets";

/**
 * The audit rules find the kit's objects by name and label (the namespace differs by
 * target): these tests hold the rules to what the kit renders, so renaming a Job or the
 * Besu role label breaks a test rather than silently silencing an alert.
 */

const rules = loadRuleFiles().find((f) => f.area === "audit")!.groups.flatMap((g) => g.rules) as { alert?: string; expr: string }[];
const expr = (alert: string) => rules.find((r) => r.alert === alert)!.expr;
/** The anchored regular expressions a rule matches `label` with (PromQL anchors =~ at both ends). */
const matchers = (text: string, label: string) => [...text.matchAll(new RegExp(`${label}=~"([^"]+)"`, "g"))].map((m) => new RegExp(`^(?:${m[1]})$`));
const equalities = (text: string, label: string) => [...text.matchAll(new RegExp(`${label}="([^"]+)"`, "g"))].map((m) => m[1]);

function ledgerObjects(admin: boolean): Record<string, any>[] {
  const stack = new TerraformStack(Testing.app(), "ledger");
  new HelmProvider(stack, "helm", {});
  const secret = (name: string) => ({ secret: { name, key: "password" } });
  new AuditLedger(stack, "Ledger", {
    deployment: "acme",
    namespace: "audit",
    database: { host: "audit-db.example.com", ca: { secret: { name: "audit-db-ca", key: "ca.crt" } } },
    ...(admin ? { admin: { login: { user: "dbadmin", password: secret("audit-db-admin") }, sql: "SELECT 1;" } } : {}),
    migrator: { user: "audit_migrator", password: secret("audit-migrator") },
    maintainer: { user: "audit_keeper", password: secret("audit-keeper") },
    clients: ["audit_app"],
    retentionMonths: 12,
    image: "ghcr.io/cloudnative-pg/postgresql:17.11-standard-trixie",
    runAsUser: 26,
    dependsOn: [],
  });
  return releases(new StackJson("ledger", JSON.parse(Testing.synth(stack)), stack)).flatMap((r) => r.objects);
}

describe("the audit rules match the ledger's Jobs as AuditLedger renders them", () => {
  const objects = ledgerObjects(true);
  const named = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name as string);

  test("the setup and migration hook Jobs, and no other name, match the failed-migration rule", () => {
    const hooks = named("Job");
    expect(hooks.map((n) => n.replace(/-[0-9a-f]+$/, "")).sort()).toEqual(["audit-migrate", "audit-setup"]);
    const patterns = matchers(expr("AuditLedgerMigrationFailed"), "job_name");
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) {
      for (const name of hooks) expect(name).toMatch(pattern);
      for (const other of ["audit-migrate-manual", "audit-verify-29001440", "billing-migrate-0a1b2c3d4e"]) expect(other).not.toMatch(pattern);
    }
  });

  test("the CronJobs' runs (named <cronjob>-<minutes> by the CronJob controller) match the verification and staleness rules", () => {
    expect(named("CronJob").sort()).toEqual(["audit-retention", "audit-verify"]);
    const verify = matchers(expr("AuditLedgerVerificationFailed"), "job_name");
    expect(verify.length).toBeGreaterThan(0);
    for (const pattern of verify) {
      expect("audit-verify-29001440").toMatch(pattern);
      expect("audit-retention-29001440").not.toMatch(pattern);
    }
    const stale = matchers(expr("AuditLedgerJobNotSucceeding"), "cronjob");
    for (const pattern of stale) for (const name of named("CronJob")) expect(name).toMatch(pattern);
  });

  test("on-prem (no admin step) the migration Job alone is a hook, and still matches", () => {
    const [hook, ...more] = ledgerObjects(false).filter((o) => o.kind === "Job");
    expect(more).toEqual([]);
    for (const pattern of matchers(expr("AuditLedgerMigrationFailed"), "job_name")) expect(hook.metadata.name).toMatch(pattern);
  });
});

describe("the Besu rules match the network BesuNetwork renders", () => {
  const node = (name: string) => ({ name, publicKey: privateKeyToAccount(generatePrivateKey()).publicKey.slice(4), secretRef: `acme/besu-${name}` });
  const stack = (() => {
    const s = new TerraformStack(Testing.app(), "besu");
    const cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab" });
    configureClusterProviders(s, cluster.connection);
    const target = new OnpremPlatformTarget(s, "Target", { naming, cluster, vault: { server: "https://vault.lab:8200", role: "byoc" } });
    const secrets = new ExternalSecrets(s, "ExternalSecrets", { naming, target });
    const metricsCrds = new PlatformNamespace(s, "Crds", { name: "crds-stand-in", naming, component: "metrics" }).namespace;
    new BesuNetwork(s, "Besu", { naming, secrets, metricsCrds, chainId: 4242, validators: ["a", "b", "c", "d"].map(node), rpcNodes: [node("reader")] });
    return new StackJson("besu", JSON.parse(Testing.synth(s)), s);
  })();
  const besuRules = rules.filter((r) => r.alert?.startsWith("BesuValidator"));

  test("the role label the rules read is kube-state-metrics' name for the StatefulSets' role label", () => {
    // kube-state-metrics exports an allowed label `k` as `label_` + k with every character
    // outside [a-zA-Z0-9_] replaced by "_".
    const exported = `label_${ROLE_LABEL.replace(/[^a-zA-Z0-9_]/g, "_")}`;
    expect(besuRules.map((r) => r.alert).sort()).toEqual(["BesuValidatorDown", "BesuValidatorPeersBelowQuorum", "BesuValidatorQuorumLost"]);
    for (const rule of besuRules) {
      const used = [...rule.expr.matchAll(/(label_[a-z0-9_]+)=/g)].map((m) => m[1]);
      expect(used.length, rule.alert).toBeGreaterThan(0);
      expect(new Set(used), rule.alert).toEqual(new Set([exported]));
      expect(new Set(equalities(rule.expr, exported)), rule.alert).toEqual(new Set(["validator"]));
    }
    const roles = Object.fromEntries(stack.resources("kubernetes_stateful_set_v1").map((s) => [s.metadata.name, s.metadata.labels[ROLE_LABEL]]));
    expect(roles).toEqual({ a: "validator", b: "validator", c: "validator", d: "validator", reader: "rpc" });
  });

  test("each node's metrics carry its StatefulSet's name as `service`: the ServiceMonitor scrapes the governing Service, named as the StatefulSet", () => {
    const [monitor] = manifests(stack).filter((m) => m.object.kind === "ServiceMonitor").map((m) => m.object);
    expect(monitor.spec.jobLabel).toBeUndefined();
    const { matchLabels, matchExpressions } = monitor.spec.selector;
    const services = stack.resources("kubernetes_service_v1").filter(
      (svc) =>
        Object.entries(matchLabels as Record<string, string>).every(([k, v]) => svc.metadata.labels[k] === v) &&
        (matchExpressions as { key: string }[]).every((e) => e.key in svc.metadata.labels),
    );
    const statefulSets = stack.resources("kubernetes_stateful_set_v1");
    expect(services.map((s) => s.metadata.name).sort()).toEqual(statefulSets.map((s) => s.metadata.name).sort());
    for (const set of statefulSets) {
      const governing = services.find((s) => s.metadata.name === set.metadata.name)!;
      expect(set.spec.service_name).toBe(stack.ref(governing, "metadata[0].name"));
    }
    expect(expr("BesuValidatorPeersBelowQuorum")).toContain('label_replace(ethereum_peer_count, "statefulset", "$1", "service", "(.+)")');
  });
});
