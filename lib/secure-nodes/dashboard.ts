import { createHash } from "node:crypto";
import type { SecureNodesSettings } from "./settings";
import { CONTAINER } from "./workload";

const DATASOURCE = { type: "prometheus", uid: "$datasource" };

interface Panel {
  readonly title: string;
  readonly description: string;
  readonly type: "stat" | "timeseries";
  readonly unit: string;
  readonly targets: { readonly expr: string; readonly legend?: string }[];
  readonly w: number;
  readonly h: number;
}

/** Grafana's uid: at most 40 characters. */
function uid(namespace: string): string {
  const plain = `byoc-secure-nodes-${namespace}`;
  return plain.length <= 40 ? plain : `byoc-secure-nodes-${createHash("sha256").update(namespace).digest("hex").slice(0, 16)}`;
}

/**
 * The tier's Grafana dashboard, in the shipped dashboards' form (the `datasource`
 * variable defaulting to the kit's Prometheus uid): sessions, handshakes and their
 * failures and latency, messages, and the pods' readiness and restarts, for the tier's
 * namespace, with the metric names of the props.
 */
export function secureNodesDashboard(settings: SecureNodesSettings): Record<string, unknown> {
  const ns = settings.namespace;
  const m = settings.metricNames;
  const sel = `{namespace="${ns}"}`;
  const rate = (metric: string) => `rate(${metric}${sel}[$__rate_interval])`;
  const now: Panel[] = [
    { title: "Active sessions", description: `Sessions open on all nodes (${m.sessionsActive}).`, type: "stat", unit: "none", targets: [{ expr: `sum(${m.sessionsActive}${sel}) or vector(0)` }], w: 6, h: 4 },
    {
      title: "Ready nodes",
      description: "Node pods whose readiness probe passes: the load balancer sends only to these.",
      type: "stat",
      unit: "none",
      targets: [{ expr: `sum(kube_pod_status_ready{namespace="${ns}", condition="true"}) or vector(0)` }],
      w: 6,
      h: 4,
    },
    {
      title: "Handshake failures",
      description: `Failed share of handshakes (${m.handshakeFailures} / ${m.handshakes}).`,
      type: "stat",
      unit: "percentunit",
      targets: [{ expr: `sum(${rate(m.handshakeFailures)}) / sum(${rate(m.handshakes)})` }],
      w: 6,
      h: 4,
    },
    {
      title: "Handshake p99",
      description: `99th percentile of handshake time (${m.handshakeDuration}).`,
      type: "stat",
      unit: "ms",
      targets: [{ expr: `histogram_quantile(0.99, sum by (le) (${rate(`${m.handshakeDuration}_bucket`)}))` }],
      w: 6,
      h: 4,
    },
  ];
  const history: Panel[] = [
    { title: "Sessions per node", description: "Active sessions on each pod.", type: "timeseries", unit: "none", targets: [{ expr: `sum by (pod) (${m.sessionsActive}${sel})`, legend: "{{pod}}" }], w: 12, h: 8 },
    {
      title: "Handshakes",
      description: "Handshakes per second, all and failed.",
      type: "timeseries",
      unit: "reqps",
      targets: [
        { expr: `sum(${rate(m.handshakes)})`, legend: "all" },
        { expr: `sum(${rate(m.handshakeFailures)})`, legend: "failed" },
      ],
      w: 12,
      h: 8,
    },
    {
      title: "Handshake time",
      description: "Median and 99th percentile of handshake time.",
      type: "timeseries",
      unit: "ms",
      targets: [0.5, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le) (${rate(`${m.handshakeDuration}_bucket`)}))`, legend: `p${q * 100}` })),
      w: 12,
      h: 8,
    },
    {
      title: "Messages",
      description: "Messages sent and received per second.",
      type: "timeseries",
      unit: "reqps",
      targets: [
        { expr: `sum(${rate(m.messagesSent)})`, legend: "sent" },
        { expr: `sum(${rate(m.messagesReceived)})`, legend: "received" },
      ],
      w: 12,
      h: 8,
    },
    {
      title: "Restarts",
      description: "Container restarts per pod over the last hour (SecureNodeRestarting).",
      type: "timeseries",
      unit: "none",
      targets: [{ expr: `sum by (pod) (increase(kube_pod_container_status_restarts_total{namespace="${ns}", container="${CONTAINER}"}[1h]))`, legend: "{{pod}}" }],
      w: 24,
      h: 8,
    },
  ];

  let id = 0;
  let y = 0;
  const panels: Record<string, unknown>[] = [];
  const row = (title: string, list: Panel[]) => {
    panels.push({ id: ++id, type: "row", title, collapsed: false, gridPos: { x: 0, y: y++, w: 24, h: 1 }, panels: [] });
    let x = 0;
    let rowHeight = 0;
    for (const p of list) {
      if (x + p.w > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      panels.push(panel(++id, p, { x, y, w: p.w, h: p.h }));
      x += p.w;
      rowHeight = Math.max(rowHeight, p.h);
    }
    y += rowHeight;
  };
  row("Now", now);
  row("Over time", history);

  return {
    uid: uid(ns),
    title: `cdktf-byoc / Secure nodes (${ns})`,
    description: `The UDP secure-node tier in namespace ${ns}: sessions, handshakes, messages and the pods.`,
    tags: ["cdktf-byoc"],
    editable: false,
    graphTooltip: 1,
    refresh: "1m",
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    timezone: "browser",
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: { text: "Prometheus", value: "prometheus" },
          hide: 0,
          refresh: 1,
          options: [],
          includeAll: false,
          multi: false,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

function panel(id: number, p: Panel, gridPos: { x: number; y: number; w: number; h: number }): Record<string, unknown> {
  const stat = p.type === "stat";
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos,
    targets: p.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: t.expr,
      ...(stat ? { instant: true, range: false } : { legendFormat: t.legend ?? "__auto", range: true }),
    })),
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: stat
      ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "none", textMode: "auto" }
      : { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "none" } },
  };
}
