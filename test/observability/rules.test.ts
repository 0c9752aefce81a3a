import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { parse, stringify } from "yaml";
import { ExistingCluster } from "../../lib/cluster/existing";
import { configureClusterProviders } from "../../lib/cluster/providers";
import { HelmChart } from "../../lib/core/helm";
import { Naming } from "../../lib/core/naming";
import { OBSERVABILITY_DIR, RulesAndDashboards, loadDashboards, loadRuleFiles, type RulesAndDashboardsProps } from "../../lib/observability/rules";
import { PlatformNamespace } from "../../lib/platform/namespaces";
import { requireBuild } from "../support/build";
import { dependencies, manifests, releases } from "../support/helm";
import { ensurePromtool } from "../support/promtool";
import { StackJson } from "../support/synth";

const ROOT = join(__dirname, "..", "..");
const TESTS_DIR = join(OBSERVABILITY_DIR, "rules", "tests");
const ruleFiles = loadRuleFiles();
const testFiles = readdirSync(TESTS_DIR).filter((f) => f.endsWith(".yaml")).sort().map((f) => join(TESTS_DIR, f));

let promtool = "";
// The first run builds promtool from source (minutes); later runs find it in .cache/bin.
beforeAll(() => {
  promtool = ensurePromtool();
}, 20 * 60_000);

function run(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool, args, { encoding: "utf8", cwd: ROOT });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Seconds in a Prometheus duration such as "35h" or "1h30m". */
function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== duration) throw new Error(`not a duration: ${duration}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0);
}

interface AlertTest {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts?: { exp_labels?: Record<string, string> }[];
}
interface TestFile {
  readonly rule_files: string[];
  readonly tests: { name?: string; alert_rule_test?: AlertTest[] }[];
}

describe("shipped alert rules", () => {
  test("promtool check rules passes on every rule file", () => {
    expect(ruleFiles.map((f) => f.area).sort()).toEqual(["audit", "certificates", "cluster", "data", "observability", "platform"]);
    const { status, output } = run("check", "rules", ...ruleFiles.map((f) => f.path));
    expect(status, output).toBe(0);
  });

  test("promtool test rules passes on every unit test file", () => {
    const { status, output } = run("test", "rules", ...testFiles);
    expect(status, output).toBe(0);
  });

  test("a unit test whose expectation is wrong fails (the harness can fail)", () => {
    const dir = mkdtempSync(join(tmpdir(), "rules-"));
    const source = join(TESTS_DIR, "certificates.yaml");
    const doc = parse(readFileSync(source, "utf8")) as TestFile;
    const wrong = {
      ...doc,
      rule_files: doc.rule_files.map((f) => resolve(TESTS_DIR, f)),
      tests: doc.tests.slice(0, 1).map((t) => ({
        ...t,
        alert_rule_test: t.alert_rule_test!.map((a) => ({ ...a, exp_alerts: (a.exp_alerts ?? []).map((e) => ({ ...e, exp_labels: { ...e.exp_labels, severity: "info" } })) })),
      })),
    };
    writeFileSync(join(dir, "wrong.yaml"), stringify(wrong));
    const { status, output } = run("test", "rules", join(dir, "wrong.yaml"));
    expect(status).not.toBe(0);
    expect(output).toMatch(/CertificateExpiringSoon/);
  });

  test("every alert, at each of its severities, has a unit test that fires it and one that resolves it afterwards", () => {
    const alerts = new Set<string>();
    const names = new Set<string>();
    for (const file of ruleFiles) {
      for (const group of file.groups) {
        for (const rule of group.rules) {
          if (typeof rule.alert !== "string") continue;
          names.add(rule.alert);
          alerts.add(`${rule.alert} ${(rule.labels as Record<string, string>).severity}`);
        }
      }
    }
    const fired = new Set<string>();
    const resolved = new Set<string>();
    const tested = new Set<string>();
    for (const path of testFiles) {
      const doc = parse(readFileSync(path, "utf8")) as TestFile;
      for (const ruleFile of doc.rule_files) tested.add(resolve(dirname(path), ruleFile));
      for (const group of doc.tests) {
        const checks = group.alert_rule_test ?? [];
        for (const check of checks) {
          for (const alert of check.exp_alerts ?? []) fired.add(`${check.alertname} ${alert.exp_labels?.severity}`);
          const firedBefore = checks.some(
            (c) => c.alertname === check.alertname && (c.exp_alerts ?? []).length > 0 && seconds(c.eval_time) < seconds(check.eval_time),
          );
          if ((check.exp_alerts ?? []).length === 0 && firedBefore) resolved.add(check.alertname);
        }
      }
    }
    expect([...alerts].filter((a) => !fired.has(a)), "alerts without a test that fires them").toEqual([]);
    expect([...names].filter((n) => !resolved.has(n)), "alerts without a test that resolves them").toEqual([]);
    expect(ruleFiles.map((f) => f.path).filter((p) => !tested.has(p)), "rule files no test loads").toEqual([]);
  });

  test("every dashboard query is valid PromQL", () => {
    const dir = mkdtempSync(join(tmpdir(), "dashboards-"));
    for (const dashboard of loadDashboards()) {
      const panels = (JSON.parse(dashboard.json).panels as { type: string; targets?: { expr: string }[] }[]).filter((p) => p.type !== "row");
      const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
      expect(panels.every((p) => (p.targets ?? []).length > 0), `${dashboard.area}: a panel without a query`).toBe(true);
      const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll("$__rate_interval", "5m") }));
      const file = join(dir, `${dashboard.area}.yaml`);
      writeFileSync(file, stringify({ groups: [{ name: dashboard.area, rules }] }));
      const { status, output } = run("check", "rules", "--lint=none", file);
      expect(status, `${dashboard.area}: ${output}`).toBe(0);
    }
  });
});

describe("shipped dashboards", () => {
  test.each(loadDashboards().map((d) => [d.area, d] as const))("%s reads Prometheus through the datasource variable, whose default is the kit's uid", (_, dashboard) => {
    const json = JSON.parse(dashboard.json);
    expect(dashboard.uid).toBe(`byoc-${dashboard.area}`);
    expect(json.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus", current: expect.objectContaining({ value: "prometheus" }) }));
    for (const panel of json.panels.filter((p: { type: string }) => p.type !== "row")) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "$datasource" });
      for (const target of panel.targets) expect(target.datasource, panel.title).toEqual({ type: "prometheus", uid: "$datasource" });
    }
  });
});

describe("loadRuleFiles and loadDashboards", () => {
  const write = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "areas-"));
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const alert = (extra: Record<string, unknown>) =>
    stringify({ groups: [{ name: "g", rules: [{ alert: "A", expr: "up == 0", labels: { severity: "warning" }, annotations: { summary: "s", description: "d" }, ...extra }] }] });

  test("find observability/ from the module, in the source tree and in the built package", () => {
    expect(OBSERVABILITY_DIR).toBe(join(ROOT, "observability"));
    requireBuild();
    const built = require(join(ROOT, "dist", "lib", "observability", "rules.js")) as { OBSERVABILITY_DIR: string };
    expect(built.OBSERVABILITY_DIR).toBe(join(ROOT, "observability"));
  });

  test("refuse an alert without a known severity, or without a description", () => {
    expect(() => loadRuleFiles(write({ "x.yaml": alert({ labels: { severity: "page" } }) }))).toThrow(/alert A has severity "page"; it must be one of critical, warning, info/);
    expect(() => loadRuleFiles(write({ "x.yaml": alert({ annotations: { summary: "s" } }) }))).toThrow(/alert A needs a "description" annotation/);
  });

  test("refuse text Terraform would read as a template, and file names that are not area names", () => {
    expect(() => loadRuleFiles(write({ "x.yaml": alert({ expr: 'label_replace(up, "a", "${1}", "b", "(.*)")' }) }))).toThrow(/Terraform would read as a template/);
    expect(() => loadDashboards(write({ "x.json": JSON.stringify({ uid: "u", title: "t", panels: [{ expr: "rate(x[${__interval}])" }] }) }))).toThrow(/Terraform would read as a template/);
    expect(() => loadRuleFiles(write({ "Cluster_Rules.yaml": alert({}) }))).toThrow(/lower-case area name/);
  });

  test("refuse dashboards sharing a uid", () => {
    const dashboard = JSON.stringify({ uid: "same", title: "t", panels: [] });
    expect(() => loadDashboards(write({ "a.json": dashboard, "b.json": dashboard }))).toThrow(/uid same is used by another dashboard/);
  });
});

describe("RulesAndDashboards", () => {
  const synthStack = (props: Partial<RulesAndDashboardsProps> = {}): StackJson => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "mine");
    configureClusterProviders(stack, new ExistingCluster({ kubeconfig: "~/.kube/lab", context: "lab" }).connection);
    const naming = new Naming("lab");
    const namespace = new PlatformNamespace(stack, "Observability", { name: "observability", naming, component: "observability" });
    // Stands in for the metrics stack's release of the Prometheus operator's CRDs.
    const crds = new HelmChart(stack, "OperatorCrds", {
      chart: { repository: "oci://registry.example/charts", chart: "operator-crds", version: "1.0.0" },
      namespace: "observability",
      values: {},
    }).release;
    new RulesAndDashboards(stack, "Rules", { namespace, naming, crds, ...props });
    return new StackJson("mine", JSON.parse(Testing.synth(stack)), stack);
  };

  test("ships one PrometheusRule per rule file, holding the file's groups unchanged, after the operator's CRDs", () => {
    const stack = synthStack();
    const rules = manifests(stack).filter((m) => m.object.kind === "PrometheusRule");
    expect(rules.map((r) => r.object.metadata.name)).toEqual(ruleFiles.map((f) => `rules-${f.area}`));
    for (const file of ruleFiles) {
      const { object, release } = rules.find((r) => r.object.metadata.name === `rules-${file.area}`)!;
      expect(object.apiVersion).toBe("monitoring.coreos.com/v1");
      expect(object.metadata.namespace).toBe("observability");
      expect(object.spec.groups).toEqual(file.groups);
      expect(dependencies(stack, release).map((r) => r.block.chart)).toContain("operator-crds");
      expect(release.block.depends_on).toContain(stack.resource("kubernetes_namespace_v1").tfAddress);
    }
  });

  test("ships each dashboard as a ConfigMap in the namespace that Grafana's sidecar collects", () => {
    const stack = synthStack();
    const configMaps = stack.resources("kubernetes_config_map_v1");
    const dashboards = loadDashboards();
    expect(configMaps.map((c) => c.metadata.name).sort()).toEqual(dashboards.map((d) => `dashboard-${d.area}`).sort());
    const namespace = stack.resource("kubernetes_namespace_v1");
    for (const dashboard of dashboards) {
      const configMap = configMaps.find((c) => c.metadata.name === `dashboard-${dashboard.area}`)!;
      expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: "1", "app.kubernetes.io/part-of": "lab" });
      expect(configMap.metadata.namespace).toBe(stack.ref(namespace, "metadata[0].name"));
      expect(configMap.data).toEqual({ [`${dashboard.area}.json`]: readFileSync(dashboard.path, "utf8") });
    }
  });

  test("include ships the named areas only", () => {
    const stack = synthStack({ include: ["certificates", "data"] });
    expect(manifests(stack).map((m) => m.object.metadata.name)).toEqual(["rules-certificates", "rules-data"]);
    expect(stack.resources("kubernetes_config_map_v1").map((c) => c.metadata.name).sort()).toEqual(["dashboard-certificates", "dashboard-data"]);
    expect(releases(stack).filter((r) => r.objects.length > 0)).toHaveLength(1);
  });

  test("refuses an area it does not ship, naming the ones it does", () => {
    expect(() => synthStack({ include: ["data", "udp"] })).toThrow(
      /RulesAndDashboards Rules: include has "udp"; the shipped areas are "audit", "certificates", "cluster", "data", "observability", "platform"/,
    );
  });
});
