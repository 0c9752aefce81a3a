import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import { describe, expect, test } from "vitest";
import { Naming } from "../../lib/core/naming";
import { cloudSqlPostgresMaxConnections, GcpCloudAlerts, type GcpCloudAlertsProps } from "../../lib/observability/cloud/gcp";
import type { AlertReceivers } from "../../lib/observability/receivers";
import { StackJson, type Block } from "../support/synth";

const REDIS = "projects/acme-prod/locations/europe-west1/instances/acme-redis";
const receivers: AlertReceivers = {
  email: { to: ["oncall@example.com", "dba@example.com"], smtp: { smarthost: "smtp.example.com:587", from: "alerts@example.com", secretRef: "smtp" } },
  pagerduty: { secretRef: "acme-pagerduty" },
  webhook: { secretRef: "acme-webhook" },
  slack: { secretRef: "acme-slack" },
};
const everything: Omit<GcpCloudAlertsProps, "receivers"> = {
  postgres: { instanceName: "acme-postgres", tier: "db-custom-2-8192", replicas: { reader: "acme-postgres-reader" } },
  redisInstanceId: REDIS,
  natGateways: { nodes: "acme-nat" },
  vpnTunnels: { "hq-0": "acme-hq-tunnel0", "hq-1": "acme-hq-tunnel1" },
  clusterName: "acme-cluster",
};

function synth(props: Partial<GcpCloudAlertsProps> = {}): StackJson {
  const stack = new TerraformStack(Testing.app(), "test");
  new GoogleProvider(stack, "google", { project: "acme-prod", region: "europe-west1" });
  new GcpCloudAlerts(stack, "CloudAlerts", { naming: new Naming("acme"), receivers, ...everything, ...props });
  return new StackJson("test", JSON.parse(Testing.synth(stack)), stack);
}
const policy = (json: StackJson, name: string): Block => json.resource("google_monitoring_alert_policy", (p) => p.display_name === name);
const threshold = (json: StackJson, name: string) => policy(json, name).conditions[0].condition_threshold;

describe("GcpCloudAlerts", () => {
  const json = synth();
  const channels = json.resources("google_monitoring_notification_channel");

  test("every policy notifies every channel on opening and closing, in the provider's project", () => {
    const policies = json.resources("google_monitoring_alert_policy");
    expect(policies).toHaveLength(11);
    const names = channels.map((c) => json.ref(c, "name")).sort();
    const api = json.resource("google_project_service");
    expect(api).toMatchObject({ service: "monitoring.googleapis.com", project: "acme-prod", disable_on_destroy: false });
    for (const r of [...policies, ...channels]) expect(r.depends_on).toEqual([api.tfAddress]);
    for (const p of policies) {
      expect([...p.notification_channels].sort(), p.display_name).toEqual(names);
      expect(p).toMatchObject({ project: "acme-prod", combiner: "OR", alert_strategy: { notification_prompts: ["OPENED", "CLOSED"] } });
    }
  });

  test("Cloud SQL: CPU and disk utilization, summed backends against the tier's max_connections, replica lag", () => {
    const db = (instance: string, metric: string) =>
      `resource.type = "cloudsql_database" AND resource.label.database_id = "acme-prod:${instance}" AND metric.type = "cloudsql.googleapis.com/database/${metric}"`;
    expect(threshold(json, "acme-postgres-cpu")).toMatchObject({ filter: db("acme-postgres", "cpu/utilization"), comparison: "COMPARISON_GT", threshold_value: 0.8, duration: "900s", aggregations: [{ alignment_period: "300s", per_series_aligner: "ALIGN_MEAN" }] });
    expect(threshold(json, "acme-postgres-disk")).toMatchObject({ filter: db("acme-postgres", "disk/utilization"), threshold_value: 0.85 });
    // db-custom-2-8192: 8 GiB, 400 connections; 80% of it.
    expect(threshold(json, "acme-postgres-connections")).toMatchObject({
      filter: db("acme-postgres", "postgresql/num_backends"),
      threshold_value: 320,
      aggregations: [{ alignment_period: "300s", per_series_aligner: "ALIGN_MAX", cross_series_reducer: "REDUCE_SUM", group_by_fields: ["resource.label.database_id"] }],
    });
    expect(threshold(json, "acme-postgres-replica-reader-lag")).toMatchObject({ filter: db("acme-postgres-reader", "replication/replica_lag"), threshold_value: 60 });
  });

  test("max_connections defaults follow Cloud SQL's table by memory", () => {
    expect(cloudSqlPostgresMaxConnections("db-f1-micro")).toBe(25);
    expect(cloudSqlPostgresMaxConnections("db-g1-small")).toBe(50);
    expect(cloudSqlPostgresMaxConnections("db-custom-1-3840")).toBe(100);
    expect(cloudSqlPostgresMaxConnections("db-custom-4-16384")).toBe(500);
    expect(cloudSqlPostgresMaxConnections("db-custom-8-32768")).toBe(600);
    expect(cloudSqlPostgresMaxConnections("db-perf-optimized-N-2")).toBeUndefined();
  });

  test("Memorystore: memory usage ratio and evicted keys of the instance", () => {
    const redis = (metric: string) => `resource.type = "redis_instance" AND resource.label.instance_id = "${REDIS}" AND metric.type = "redis.googleapis.com/stats/${metric}"`;
    expect(threshold(json, "acme-redis-memory")).toMatchObject({ filter: redis("memory/usage_ratio"), threshold_value: 0.9 });
    expect(threshold(json, "acme-redis-evictions")).toMatchObject({ filter: redis("evicted_keys"), threshold_value: 0, duration: "0s", aggregations: [{ per_series_aligner: "ALIGN_DELTA" }] });
  });

  test("Cloud NAT: allocation failures and packets dropped for lack of ports", () => {
    const nat = (metric: string) => `resource.type = "nat_gateway" AND resource.label.gateway_name = "acme-nat" AND metric.type = "router.googleapis.com/nat/${metric}"`;
    expect(threshold(json, "acme-nat-nodes-allocation-failed")).toMatchObject({ filter: nat("nat_allocation_failed"), threshold_value: 0, aggregations: [{ per_series_aligner: "ALIGN_COUNT_TRUE" }] });
    expect(threshold(json, "acme-nat-nodes-dropped-packets")).toMatchObject({ filter: `${nat("dropped_sent_packets_count")} AND metric.label.reason = "OUT_OF_RESOURCES"`, threshold_value: 100 });
  });

  test("VPN: each tunnel established, silence counting as down", () => {
    for (const [key, tunnel] of Object.entries(everything.vpnTunnels!)) {
      expect(threshold(json, `acme-vpn-${key}-tunnel`)).toMatchObject({
        filter: `resource.type = "vpn_gateway" AND metric.type = "vpn.googleapis.com/tunnel_established" AND metric.label.tunnel_name = "${tunnel}"`,
        comparison: "COMPARISON_LT",
        threshold_value: 1,
        duration: "600s",
        evaluation_missing_data: "EVALUATION_MISSING_DATA_ACTIVE",
      });
    }
  });

  test("GKE: a node whose Ready condition is not True for 10 minutes (PromQL over the system metric)", () => {
    const condition = policy(json, "acme-nodes-not-ready").conditions[0].condition_prometheus_query_language;
    expect(condition).toEqual({
      query: 'sum by (node_name) (kubernetes_io:node_status_condition{monitored_resource="k8s_node", cluster_name="acme-cluster", condition="Ready", status!="True"}) > 0',
      duration: "600s",
      evaluation_interval: "60s",
    });
  });

  test("receivers: e-mail per address, PagerDuty's service key and the webhook URL from Secret Manager; no Slack", () => {
    expect(channels.filter((c) => c.type === "email").map((c) => c.labels.email_address).sort()).toEqual(["dba@example.com", "oncall@example.com"]);
    const secret = (name: string) => json.data("google_secret_manager_secret_version").find((d) => d.secret === name)!;
    expect(secret("acme-pagerduty").project).toBe("acme-prod");
    const pagerduty = channels.find((c) => c.type === "pagerduty")!;
    expect(pagerduty.sensitive_labels).toEqual({ service_key: `\${jsondecode(${secret("acme-pagerduty").tfAddress}.secret_data).cloudIntegrationKey}` });
    expect(pagerduty.labels).toBeUndefined();
    const webhook = channels.find((c) => c.type === "webhook_tokenauth")!;
    expect(webhook.labels).toEqual({ url: `\${jsondecode(${secret("acme-webhook").tfAddress}.secret_data).url}` });
    expect(channels).toHaveLength(4);
    expect(channels.some((c) => c.type === "slack")).toBe(false);
    expect(JSON.stringify(json.json)).not.toMatch(/hooks\.slack\.com|acme-slack|"smtp"/);
  });

  test("thresholds are the props'", () => {
    const custom = synth({ thresholds: { storagePercent: 90, sustainMinutes: 60 }, postgres: { instanceName: "acme-postgres", maxConnections: 200 } });
    expect(threshold(custom, "acme-postgres-disk")).toMatchObject({ threshold_value: 0.9, duration: "3600s" });
    expect(threshold(custom, "acme-postgres-connections").threshold_value).toBe(160);
  });

  test.each([
    [{ postgres: { instanceName: "db", tier: "db-perf-optimized-N-2" } }, /postgres needs maxConnections, or a tier whose default max_connections is known \(got tier "db-perf-optimized-N-2"\)/],
    [{ vpnTunnels: { "peer/0": "t" } }, /vpnTunnels key must be 1-40 characters/],
    [{ thresholds: { replicaLagSeconds: 0 } }, /thresholds\.replicaLagSeconds must be a number of seconds above 0 \(got 0\)/],
  ])("refuses %j", (props, error) => {
    expect(() => synth(props as Partial<GcpCloudAlertsProps>)).toThrow(error);
  });
});
