import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import type { SecureNodesProps } from "../../lib/secure-nodes/props";
import { object } from "../support/helm";
import { ensurePromtool } from "../support/promtool";
import type { Block } from "../support/synth";
import { operatorCrds, synthNodes } from "./fixture";

let promtool = "";
// The first run builds promtool from source (minutes); later runs find it in .cache/bin.
beforeAll(() => {
  promtool = ensurePromtool();
}, 20 * 60_000);

function run(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool, args, { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The rule groups the tier ships (its PrometheusRule's spec), written as a rule file. */
function shippedRules(props: Partial<SecureNodesProps> = {}): { dir: string; file: string; groups: Block[] } {
  const { stack } = synthNodes((s) => ({ ...props, monitoring: { crds: operatorCrds(s) } }));
  const groups = object(stack, "PrometheusRule").object.spec.groups as Block[];
  const dir = mkdtempSync(join(tmpdir(), "secure-nodes-rules-"));
  const file = join(dir, "rules.yaml");
  writeFileSync(file, stringify({ groups }));
  return { dir, file, groups };
}

interface Expected {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
}

/** Runs promtool's unit tests of `tests` against `ruleFile`. */
function unitTest(dir: string, ruleFile: string, tests: { name: string; input_series: { series: string; values: string }[]; alert_rule_test: Expected[] }[]) {
  const file = join(dir, `test-${tests[0].name.replace(/\W+/g, "-")}.yaml`);
  writeFileSync(file, stringify({ rule_files: [ruleFile], evaluation_interval: "1m", tests: tests.map((t) => ({ interval: "1m", ...t })) }));
  return run("test", "rules", file);
}

const NS = 'namespace="secure-nodes"';
const none = (eval_time: string, alertname: string): Expected => ({ eval_time, alertname, exp_alerts: [] });

describe("the tier's alert rules", () => {
  const shipped = shippedRules();

  test("promtool check rules passes, and every alert has a known severity, a summary and a description", () => {
    const { status, output } = run("check", "rules", shipped.file);
    expect(status, output).toBe(0);
    for (const rule of shipped.groups.flatMap((g) => g.rules)) {
      expect(["critical", "warning", "info"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toMatch(/\S/);
      expect(rule.annotations.description, rule.alert).toMatch(/\S/);
    }
  });

  test("SecureNodesNoActiveSessions fires after 15 minutes without a session in the tier's namespace, also when nothing reports, and resolves", () => {
    const alert = "SecureNodesNoActiveSessions";
    const fired = {
      exp_labels: { severity: "warning", namespace: "secure-nodes" },
      exp_annotations: {
        summary: "The secure-node tier holds no session.",
        description:
          "No node in namespace secure-nodes has reported an active session for 15m. Check that peers reach the load balancer (source ranges, firewall, NetworkPolicy), the nodes' readiness, and that b4ae_sessions_active is scraped.",
      },
    };
    const { status, output } = unitTest(shipped.dir, shipped.file, [
      {
        name: "sessions drop to zero, then come back; another namespace's idle nodes do not count",
        input_series: [
          { series: `b4ae_sessions_active{${NS}, pod="secure-nodes-0"}`, values: "3x10 0x30 2x20" },
          { series: `b4ae_sessions_active{${NS}, pod="secure-nodes-1"}`, values: "1x10 0x30 0x20" },
          { series: 'b4ae_sessions_active{namespace="other", pod="x-0"}', values: "0x60" },
        ],
        alert_rule_test: [none("10m", alert), none("20m", alert), { eval_time: "35m", alertname: alert, exp_alerts: [fired] }, none("50m", alert)],
      },
      {
        name: "nothing reports at all",
        input_series: [],
        alert_rule_test: [none("10m", alert), { eval_time: "16m", alertname: alert, exp_alerts: [fired] }],
      },
    ]);
    expect(status, output).toBe(0);
  });

  test("SecureNodesHandshakeFailures fires when over 5% of handshakes fail for 10 minutes, and resolves", () => {
    const alert = "SecureNodesHandshakeFailures";
    const { status, output } = unitTest(shipped.dir, shipped.file, [
      {
        name: "1% failures, then 20%, then none",
        input_series: [
          { series: `b4ae_handshakes_total{${NS}, pod="secure-nodes-0"}`, values: "0+100x70" },
          { series: `b4ae_handshake_failures_total{${NS}, pod="secure-nodes-0"}`, values: "0+1x20 40+20x29 620x20" },
        ],
        alert_rule_test: [
          none("15m", alert),
          {
            eval_time: "40m",
            alertname: alert,
            exp_alerts: [
              {
                exp_labels: { severity: "warning", namespace: "secure-nodes" },
                exp_annotations: {
                  summary: "Many handshakes with the secure nodes fail.",
                  description: "20% of the handshakes in namespace secure-nodes failed over 5 minutes (threshold 0.05). Check peers' keys and auth modes, and the nodes' logs.",
                },
              },
            ],
          },
          none("65m", alert),
        ],
      },
    ]);
    expect(status, output).toBe(0);
  });

  test("SecureNodesHandshakeLatencyHigh fires when the 99th percentile of handshake time stays over 500 ms for 10 minutes, and resolves", () => {
    const alert = "SecureNodesHandshakeLatencyHigh";
    // Fast: every handshake under 100 ms. Slow: half of them between 500 ms and 1 s.
    const bucket = (le: string, values: string) => ({ series: `b4ae_handshake_duration_ms_bucket{${NS}, pod="secure-nodes-0", le="${le}"}`, values });
    const { status, output } = unitTest(shipped.dir, shipped.file, [
      {
        name: "fast, slow, fast again",
        input_series: [
          ...["100", "250", "500"].map((le) => bucket(le, "0+100x20 2050+50x29 3600+100x19")),
          ...["1000", "+Inf"].map((le) => bucket(le, "0+100x20 2100+100x29 5100+100x19")),
        ],
        alert_rule_test: [
          none("15m", alert),
          {
            eval_time: "40m",
            alertname: alert,
            exp_alerts: [
              {
                exp_labels: { severity: "warning", namespace: "secure-nodes" },
                exp_annotations: {
                  summary: "Handshakes with the secure nodes are slow.",
                  description:
                    "The 99th percentile of handshake time in namespace secure-nodes is 990 ms (threshold 500 ms). Check the nodes' CPU, the HSM's latency and the network to the peers.",
                },
              },
            ],
          },
          none("65m", alert),
        ],
      },
    ]);
    expect(status, output).toBe(0);
  });

  test("SecureNodeRestarting fires for a node container restarting 3 times within an hour, not for other containers or namespaces, and resolves", () => {
    const alert = "SecureNodeRestarting";
    const { status, output } = unitTest(shipped.dir, shipped.file, [
      {
        name: "three restarts in three minutes",
        input_series: [
          { series: `kube_pod_container_status_restarts_total{${NS}, pod="secure-nodes-1", container="node"}`, values: "0x10 1 2 3 3x80" },
          { series: `kube_pod_container_status_restarts_total{${NS}, pod="secure-nodes-0", container="node"}`, values: "0x10 1x83" },
          { series: `kube_pod_container_status_restarts_total{${NS}, pod="secure-nodes-0", container="debug"}`, values: "0x10 5 10 15x81" },
          { series: 'kube_pod_container_status_restarts_total{namespace="other", pod="x-0", container="node"}', values: "0x10 5 10 15x81" },
        ],
        alert_rule_test: [
          none("10m", alert),
          {
            eval_time: "20m",
            alertname: alert,
            exp_alerts: [
              {
                exp_labels: { severity: "warning", namespace: "secure-nodes", pod: "secure-nodes-1" },
                exp_annotations: {
                  summary: "A secure node keeps restarting.",
                  description: "Pod secure-nodes/secure-nodes-1 restarted 3 times in the last hour. Check its previous logs, its probes and its memory limit.",
                },
              },
            ],
          },
          none("90m", alert),
        ],
      },
    ]);
    expect(status, output).toBe(0);
  });

  test("the props' metric names, namespace and thresholds are what the rules read", () => {
    const custom = shippedRules({
      namespace: "b4ae",
      metricNames: { sessionsActive: "node_sessions", handshakes: "node_handshakes_total", handshakeFailures: "node_handshakes_failed_total" },
      alerts: { noSessionsFor: "5m", handshakeFailureRatio: 0.5 },
    });
    expect(run("check", "rules", custom.file).status).toBe(0);
    const { status, output } = unitTest(custom.dir, custom.file, [
      {
        name: "custom names",
        input_series: [
          // The default name no longer counts: the tier has no session after 5 minutes.
          { series: 'b4ae_sessions_active{namespace="b4ae", pod="secure-nodes-0"}', values: "3x20" },
          { series: 'node_sessions{namespace="b4ae", pod="secure-nodes-0"}', values: "3x10 0x10" },
          // 20% failures: under the ratio of 0.5.
          { series: 'node_handshakes_total{namespace="b4ae", pod="secure-nodes-0"}', values: "0+100x20" },
          { series: 'node_handshakes_failed_total{namespace="b4ae", pod="secure-nodes-0"}', values: "0+20x20" },
        ],
        alert_rule_test: [
          none("14m", "SecureNodesNoActiveSessions"),
          {
            eval_time: "17m",
            alertname: "SecureNodesNoActiveSessions",
            exp_alerts: [
              {
                exp_labels: { severity: "warning", namespace: "b4ae" },
                exp_annotations: {
                  summary: "The secure-node tier holds no session.",
                  description:
                    "No node in namespace b4ae has reported an active session for 5m. Check that peers reach the load balancer (source ranges, firewall, NetworkPolicy), the nodes' readiness, and that node_sessions is scraped.",
                },
              },
            ],
          },
          none("20m", "SecureNodesHandshakeFailures"),
        ],
      },
    ]);
    expect(status, output).toBe(0);
  });

  test("a unit test whose expectation is wrong fails (the harness can fail)", () => {
    const { status, output } = unitTest(shipped.dir, shipped.file, [
      {
        name: "wrong",
        input_series: [{ series: `b4ae_sessions_active{${NS}, pod="secure-nodes-0"}`, values: "3x30" }],
        alert_rule_test: [{ eval_time: "20m", alertname: "SecureNodesNoActiveSessions", exp_alerts: [{ exp_labels: { severity: "warning", namespace: "secure-nodes" }, exp_annotations: {} }] }],
      },
    ]);
    expect(status).not.toBe(0);
    expect(output).toMatch(/SecureNodesNoActiveSessions/);
  });
});

describe("the tier's dashboard", () => {
  test("every panel has a query, and every query is valid PromQL", () => {
    const { stack } = synthNodes();
    const configMap = stack.resource("kubernetes_config_map_v1", (c) => c.metadata.labels?.grafana_dashboard === "1");
    const dashboard = JSON.parse(Object.values(configMap.data)[0] as string);
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }));
    const panels = (dashboard.panels as Block[]).filter((p) => p.type !== "row");
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "$datasource" });
    }
    const rules = panels.flatMap((p) => p.targets).map((t: Block, i: number) => ({ record: `dashboard:query_${i}`, expr: t.expr.replaceAll("$__rate_interval", "5m") }));
    const dir = mkdtempSync(join(tmpdir(), "secure-nodes-dashboard-"));
    writeFileSync(join(dir, "queries.yaml"), stringify({ groups: [{ name: "dashboard", rules }] }));
    const { status, output } = run("check", "rules", "--lint=none", join(dir, "queries.yaml"));
    expect(status, output).toBe(0);
  });
});
