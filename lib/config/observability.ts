import { z } from "zod";
import { oneOf, SecretRef } from "./fields";

/**
 * The spec's observability section: what is collected, how long it is kept, and where
 * alerts go. Receivers are secret references, never literals. Cross-field rules (the
 * buckets it needs, bucket lifecycles that would cut retention short) live in
 * validateObservability below.
 */

/** Days the bucket's lifecycle runs behind a compactor's retention: the compactor deletes whole blocks first. */
export const BUCKET_RETENTION_MARGIN_DAYS = 7;

const days = (min: number, max: number) => z.number().int().min(min).max(max);

const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "must be an e-mail address such as ops@example.com");

export const Observability = z
  .object({
    enabled: z
      .boolean()
      .optional()
      .describe("Metrics, logs, traces, dashboards and alerts on the cluster, alarms on the cloud's resources. Default: true (false on OpenShift, which monitors itself)"),
    metrics: z
      .object({
        retentionDays: days(1, 90).default(15).describe("Days Prometheus keeps metrics on its own volume. Default: 15"),
        longTermDays: days(0, 3650)
          .default(395)
          .describe("Days metrics are kept in the metrics bucket (Thanos: full resolution for 30 days, 5-minute points for 120, hourly points after); 0 keeps them in the cluster only. Default: 395 (13 months)"),
        volumeGb: z.number().int().min(10).max(4096).optional().describe("Prometheus's volume. Default: from the tier (small 50, medium 100, large 250)"),
      })
      .strict()
      .default({ retentionDays: 15, longTermDays: 395 }),
    logs: z
      .object({
        retentionDays: days(1, 3650).default(30).describe("Days Loki keeps logs (and the logs bucket keeps the raw archive). Default: 30"),
        mode: oneOf(["monolithic", "distributed"]).optional().describe("Loki's deployment. Default: from the tier (large: distributed)"),
      })
      .strict()
      .default({ retentionDays: 30 }),
    traces: z
      .object({
        backend: oneOf(["tempo", "jaeger", "none"]).default("tempo").describe("Where traces are stored: Tempo on the logs bucket, Jaeger on a volume, or none. Default: tempo"),
        retentionDays: days(1, 90).default(7).describe("Days traces are kept. Default: 7"),
      })
      .strict()
      .default({ backend: "tempo", retentionDays: 7 }),
    alerts: z
      .object({
        pagerduty: SecretRef.optional().describe("A secret whose JSON value has `routingKey`, a PagerDuty Events API v2 integration key."),
        slack: SecretRef.extend({ channel: z.string().regex(/^[#@]?[\w.-]{1,80}$/, "must be a Slack channel such as #ops-alerts").optional() })
          .strict()
          .optional()
          .describe("A secret whose JSON value has `url`, a Slack incoming webhook; `channel` overrides the webhook's."),
        email: z
          .object({
            to: z.array(email).min(1).describe("Addresses that receive alerts."),
            smtp: z
              .object({
                smarthost: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "must be host:port such as smtp.example.com:587"),
                from: email.describe("The sender address."),
                username: z.string().min(1).max(256).optional(),
                secretRef: SecretRef.shape.secretRef.optional().describe("A secret whose JSON value has `password`."),
              })
              .strict()
              .optional()
              .describe("Alertmanager's mail relay. Default: none (the cloud alarms mail `to`; Alertmanager does not)"),
          })
          .strict()
          .optional(),
        webhook: SecretRef.optional().describe("A secret whose JSON value has `url`, an HTTPS endpoint taking Alertmanager's webhook JSON."),
      })
      .strict()
      .default({})
      .describe("Where alerts go. Without a receiver alerts are only visible in Grafana and Alertmanager."),
    grafana: z
      .object({
        admin: SecretRef.optional().describe("A secret whose JSON value has `username` and `password` for Grafana's admin. Default: a password generated in the cluster"),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({
    metrics: { retentionDays: 15, longTermDays: 395 },
    logs: { retentionDays: 30 },
    traces: { backend: "tempo", retentionDays: 7 },
    alerts: {},
    grafana: {},
  });

type Issue = (path: (string | number)[], message: string) => void;

// The spec as the field-level parse left it: every rule checks the shape it relies on.
interface Loose {
  target?: { cloud?: string; distribution?: string; keyVaultId?: string };
  platform?: { secretStore?: object };
  data?: { buckets?: unknown; retentionDays?: unknown };
  observability?: {
    enabled?: boolean;
    metrics?: { retentionDays?: number; longTermDays?: number };
    logs?: { retentionDays?: number };
    traces?: { backend?: string; retentionDays?: number };
    alerts?: { pagerduty?: unknown; slack?: unknown; webhook?: unknown; email?: { smtp?: { secretRef?: unknown } } };
    grafana?: { admin?: unknown };
  };
}

/**
 * OpenShift ships its own monitoring (cluster and user-workload Prometheus), which owns
 * the Prometheus operator's CRDs: the kit's stack would fight it, so it is off there.
 */
export function observabilityEnabled(spec: { target?: { cloud?: string; distribution?: string }; observability?: { enabled?: boolean } }): boolean {
  return spec.observability?.enabled ?? !(spec.target?.cloud === "onprem" && spec.target.distribution === "openshift");
}

/** The data layer's buckets observability writes to, and the retention each needs. */
export function observabilityBuckets(o: NonNullable<Loose["observability"]>): { bucket: string; days: number; field: string }[] {
  const wanted: { bucket: string; days: number; field: string }[] = [];
  const longTerm = o.metrics?.longTermDays;
  if (typeof longTerm === "number" && longTerm > 0) wanted.push({ bucket: "metrics", days: longTerm, field: "metrics.longTermDays" });
  const logs = o.logs?.retentionDays;
  if (typeof logs === "number") wanted.push({ bucket: "logs", days: logs, field: "logs.retentionDays" });
  const traces = o.traces;
  if (traces?.backend === "tempo" && typeof traces.retentionDays === "number") wanted.push({ bucket: "logs", days: traces.retentionDays, field: "traces.retentionDays" });
  return wanted;
}

/** Cross-field rules: the buckets observability writes exist, and their lifecycle keeps what it keeps. */
export function validateObservability(input: { target?: unknown; data?: unknown; observability?: unknown }, addIssue: z.RefinementCtx["addIssue"]): void {
  const issue: Issue = (path, message) => addIssue({ code: "custom", path, message });
  const spec = input as Loose;
  const o = spec.observability;
  if (!o || typeof o !== "object") return;
  if (o.enabled === true && spec.target?.cloud === "onprem" && spec.target.distribution === "openshift") {
    issue(
      ["observability", "enabled"],
      "OpenShift monitors itself: its cluster monitoring owns the Prometheus operator's CRDs, which the kit's metrics stack would take over; leave it unset (or false) and use OpenShift's user-workload monitoring",
    );
    return;
  }
  if (!observabilityEnabled(spec)) return;
  const buckets = Array.isArray(spec.data?.buckets) ? (spec.data.buckets as unknown[]) : undefined;
  const retention = spec.data?.retentionDays && typeof spec.data.retentionDays === "object" ? (spec.data.retentionDays as Record<string, unknown>) : {};
  const reported = new Set<string>();
  for (const { bucket, days, field } of observabilityBuckets(o)) {
    if (buckets && !buckets.includes(bucket) && !reported.has(bucket)) {
      reported.add(bucket);
      const off = bucket === "metrics" ? "set observability.metrics.longTermDays to 0 to keep metrics in the cluster only" : "set observability.enabled to false";
      issue(["data", "buckets"], `observability.${field} needs the "${bucket}" bucket: add "${bucket}" to data.buckets, or ${off}`);
    }
    const kept = retention[bucket];
    if (typeof kept === "number" && kept < days) {
      issue(
        ["data", "retentionDays", bucket],
        `the ${bucket} bucket would delete data observability.${field} keeps for ${days} days; set it to at least ${days + BUCKET_RETENTION_MARGIN_DAYS} (a week behind the compactor), or shorten observability.${field}`,
      );
    }
  }
  // Azure Monitor's action group takes the PagerDuty and webhook URLs at plan time, from a
  // vault that exists before the deployment's own does.
  for (const receiver of ["pagerduty", "webhook"] as const) {
    if (spec.target?.cloud === "azure" && o.alerts?.[receiver] && !spec.target.keyVaultId) {
      issue(["observability", "alerts", receiver], "on azure needs target.keyVaultId: the vault holding the receiver's secret, read at plan time by Azure Monitor's action group");
    }
  }
  // On-prem, secrets come from the Vault store only.
  if (spec.target?.cloud === "onprem" && spec.platform?.secretStore === undefined) {
    const refs: [string[], unknown][] = [
      [["alerts", "pagerduty"], o.alerts?.pagerduty],
      [["alerts", "slack"], o.alerts?.slack],
      [["alerts", "webhook"], o.alerts?.webhook],
      [["alerts", "email", "smtp", "secretRef"], o.alerts?.email?.smtp?.secretRef],
      [["grafana", "admin"], o.grafana?.admin],
    ];
    for (const [path, ref] of refs) {
      if (ref !== undefined) issue(["observability", ...path], "needs platform.secretStore on onprem: External Secrets has no store to read it from");
    }
  }
  const metrics = o.metrics;
  if (metrics && typeof metrics.longTermDays === "number" && metrics.longTermDays > 0 && typeof metrics.retentionDays === "number" && metrics.longTermDays < metrics.retentionDays) {
    issue(["observability", "metrics", "longTermDays"], `must be 0 or at least metrics.retentionDays (${metrics.retentionDays}): the bucket keeps what Prometheus has already dropped`);
  }
}
