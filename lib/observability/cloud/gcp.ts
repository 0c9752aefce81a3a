import { DataGoogleSecretManagerSecretVersion } from "@cdktf/provider-google/lib/data-google-secret-manager-secret-version";
import {
  MonitoringAlertPolicy,
  type MonitoringAlertPolicyConditions,
  type MonitoringAlertPolicyConditionsConditionThresholdAggregations,
} from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../../core/naming";
import { setComponent } from "../../core/tags";
import { label, requireProp } from "../../core/validate";
import { resolveProject } from "../../network/gcp-context";
import type { AlertReceivers } from "../receivers";
import {
  constructId,
  OUTAGE_PERIODS,
  PAGERDUTY_CLOUD_KEY_PROPERTY,
  PERIOD_SECONDS,
  requireKeys,
  requireSecretProperty,
  resolveThresholds,
  type CloudAlarmThresholds,
} from "./alarms";

/** A Cloud SQL for PostgreSQL instance to watch. */
export interface GcpPostgresAlerts {
  /** The instance's name (its Cloud Monitoring `database_id` is `<project>:<name>`). */
  readonly instanceName: string;
  /** The instance's `max_connections`. @default - Cloud SQL's default for `tier` (cloudSqlPostgresMaxConnections) */
  readonly maxConnections?: number;
  /** The machine tier, e.g. "db-custom-2-8192"; required without `maxConnections`. @default - none */
  readonly tier?: string;
  /** Read replicas' instance names by a stable key. @default {} */
  readonly replicas?: Readonly<Record<string, string>>;
}

export interface GcpCloudAlertsProps {
  /** Who is told: e-mail addresses, PagerDuty and the webhook (Slack is in-cluster only on GCP). */
  readonly receivers: AlertReceivers;
  /** @default - no Cloud SQL alerts */
  readonly postgres?: GcpPostgresAlerts;
  /** The Memorystore instance's id (`projects/<project>/locations/<region>/instances/<name>`). @default - no cache alerts */
  readonly redisInstanceId?: string;
  /** Cloud NAT gateway names by a stable key. @default {} */
  readonly natGateways?: Readonly<Record<string, string>>;
  /** HA VPN tunnel names by a stable key (peer and interface). @default {} */
  readonly vpnTunnels?: Readonly<Record<string, string>>;
  /** The GKE cluster's name: a node not Ready alerts. @default - no node alerts */
  readonly clusterName?: string;
  /** @default DEFAULT_THRESHOLDS */
  readonly thresholds?: CloudAlarmThresholds;
  /** The property of `receivers.pagerduty`'s secret holding the key of the PagerDuty service's Google Cloud Monitoring integration. @default PAGERDUTY_CLOUD_KEY_PROPERTY */
  readonly pagerdutyKeyProperty?: string;
  /** The project of the policies, the channels and the receivers' secrets. @default - the google provider's project */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

interface ThresholdSpec {
  readonly name: string;
  readonly description: string;
  readonly filter: string;
  readonly aggregation: MonitoringAlertPolicyConditionsConditionThresholdAggregations;
  readonly comparison: "COMPARISON_GT" | "COMPARISON_LT";
  readonly threshold: number;
  readonly durationSeconds: number;
  readonly severity: "CRITICAL" | "ERROR" | "WARNING";
  /** @default - Cloud Monitoring's: no data, no incident */
  readonly missingData?: "EVALUATION_MISSING_DATA_ACTIVE";
}

/** Cloud SQL for PostgreSQL's default `max_connections` by the tier's memory (GiB, lower bounds), from its quotas page. */
const CLOUD_SQL_CONNECTIONS: readonly (readonly [memoryGib: number, connections: number])[] = [
  [120, 1000],
  [60, 800],
  [30, 600],
  [15, 500],
  [7.5, 400],
  [6, 200],
  [3.75, 100],
  [1.7, 50],
  [0, 25],
];
const SHARED_CORE_MEMORY: Readonly<Record<string, number>> = { "db-f1-micro": 0.6, "db-g1-small": 1.7 };

/** Cloud SQL's default `max_connections` for a PostgreSQL `tier` (db-custom-<vCPUs>-<MiB>, db-f1-micro, db-g1-small); undefined for others. */
export function cloudSqlPostgresMaxConnections(tier: string): number | undefined {
  const custom = /^db-custom-\d+-(\d+)$/.exec(tier);
  const memory = custom ? Number(custom[1]) / 1024 : SHARED_CORE_MEMORY[tier];
  if (memory === undefined) return undefined;
  return CLOUD_SQL_CONNECTIONS.find(([floor]) => memory >= floor)![1];
}

/**
 * Cloud Monitoring alert policies on what the infra stack created: Cloud SQL (CPU, disk,
 * connections against max_connections, replica lag), Memorystore (memory, evictions),
 * Cloud NAT (allocation failures, packets dropped for lack of ports), HA VPN tunnels not
 * established, and GKE nodes not Ready (the system metric
 * kubernetes.io/node/status_condition, through PromQL). Firestore is serverless: there
 * is no capacity of it to alert on.
 *
 * Every policy notifies every channel, on opening and on closing: e-mail per address,
 * PagerDuty (the key in the channel's sensitive `service_key`) and the webhook
 * (`webhook_tokenauth`, Cloud Monitoring's JSON). The PagerDuty key and the webhook URL
 * are read from Secret Manager by data sources at plan time: they are in the Terraform
 * state and sensitive in plans, never in the configuration. Slack is not wired: Cloud
 * Monitoring's Slack channel needs an OAuth token from authorizing its Slack app, not
 * the incoming webhook the receivers carry.
 */
export class GcpCloudAlerts extends Construct {
  readonly channels: MonitoringNotificationChannel[] = [];
  readonly policies: MonitoringAlertPolicy[] = [];
  readonly thresholds: Required<CloudAlarmThresholds>;
  readonly project: string;
  /** Cloud Monitoring's API, which every channel and policy waits for. */
  readonly monitoringApi: ProjectService;
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: GcpCloudAlertsProps) {
    super(scope, id);
    this.thresholds = resolveThresholds(this, props.thresholds);
    requireSecretProperty(this, "pagerdutyKeyProperty", props.pagerdutyKeyProperty);
    requireKeys(this, { "postgres.replicas": props.postgres?.replicas, natGateways: props.natGateways, vpnTunnels: props.vpnTunnels });
    requireProp(this, "postgres.maxConnections", props.postgres?.maxConnections, (n) => Number.isInteger(n) && n >= 14, "an integer of 14 or more");
    const pg = props.postgres;
    const maxConnections = pg && (pg.maxConnections ?? (pg.tier === undefined ? undefined : cloudSqlPostgresMaxConnections(pg.tier)));
    if (pg && maxConnections === undefined) {
      throw new Error(`${label(this)}: postgres needs maxConnections, or a tier whose default max_connections is known (got tier ${JSON.stringify(pg.tier)})`);
    }
    setComponent(this, "observability");
    this.naming = namingOf(this, props.naming);
    this.project = resolveProject(this, props.project);
    this.monitoringApi = new ProjectService(this, "Api-monitoring", { project: this.project, service: "monitoring.googleapis.com", disableOnDestroy: false });
    this.notificationChannels(props.receivers, props.pagerdutyKeyProperty ?? PAGERDUTY_CLOUD_KEY_PROPERTY);

    if (pg && maxConnections !== undefined) this.postgres(pg, maxConnections);
    if (props.redisInstanceId) this.redis(props.redisInstanceId);
    for (const [key, gateway] of Object.entries(props.natGateways ?? {})) this.nat(key, gateway);
    for (const [key, tunnel] of Object.entries(props.vpnTunnels ?? {})) this.vpn(key, tunnel);
    if (props.clusterName) this.nodes(props.clusterName);
  }

  private notificationChannels(receivers: AlertReceivers, keyProperty: string) {
    const project = this.project;
    const channel = (id: string, displayName: string, config: Pick<ConstructorParameters<typeof MonitoringNotificationChannel>[2], "type" | "labels" | "sensitiveLabels">) =>
      this.channels.push(new MonitoringNotificationChannel(this, id, { project, displayName: `${this.naming.deployment} ${displayName}`, ...config, dependsOn: [this.monitoringApi] }));
    const secretProperty = (id: string, secret: string, property: string) =>
      Fn.lookup(Fn.jsondecode(new DataGoogleSecretManagerSecretVersion(this, id, { project, secret }).secretData), property);
    for (const address of receivers.email?.to ?? []) channel(`Email-${address}`, `e-mail ${address}`, { type: "email", labels: { email_address: address } });
    if (receivers.pagerduty) {
      channel("PagerDuty", "PagerDuty", { type: "pagerduty", sensitiveLabels: { serviceKey: secretProperty("PagerDutySecret", receivers.pagerduty.secretRef, keyProperty) } });
    }
    if (receivers.webhook) {
      channel("Webhook", "webhook", { type: "webhook_tokenauth", labels: { url: secretProperty("WebhookSecret", receivers.webhook.secretRef, "url") } });
    }
  }

  private postgres(pg: GcpPostgresAlerts, maxConnections: number) {
    const t = this.thresholds;
    const sustain = t.sustainMinutes * 60;
    const database = (instance: string, metric: string) =>
      `resource.type = "cloudsql_database" AND resource.label.database_id = "${this.project}:${instance}" AND metric.type = "cloudsql.googleapis.com/database/${metric}"`;
    const each = (aligner: string) => ({ alignmentPeriod: `${PERIOD_SECONDS}s`, perSeriesAligner: aligner });
    this.threshold({ name: "postgres-cpu", description: `Cloud SQL CPU above ${t.cpuPercent}%`, filter: database(pg.instanceName, "cpu/utilization"), aggregation: each("ALIGN_MEAN"), comparison: "COMPARISON_GT", threshold: t.cpuPercent / 100, durationSeconds: sustain, severity: "WARNING" });
    this.threshold({ name: "postgres-disk", description: `Cloud SQL disk above ${t.storagePercent}%`, filter: database(pg.instanceName, "disk/utilization"), aggregation: each("ALIGN_MAX"), comparison: "COMPARISON_GT", threshold: t.storagePercent / 100, durationSeconds: sustain, severity: "ERROR" });
    // num_backends is per database: the instance's connections are their sum.
    this.threshold({
      name: "postgres-connections",
      description: `Cloud SQL connections above ${t.connectionsPercent}% of max_connections (${maxConnections})`,
      filter: database(pg.instanceName, "postgresql/num_backends"),
      aggregation: { ...each("ALIGN_MAX"), crossSeriesReducer: "REDUCE_SUM", groupByFields: ["resource.label.database_id"] },
      comparison: "COMPARISON_GT",
      threshold: Math.floor((maxConnections * t.connectionsPercent) / 100),
      durationSeconds: sustain,
      severity: "ERROR",
    });
    for (const [key, replica] of Object.entries(pg.replicas ?? {})) {
      this.threshold({ name: `postgres-replica-${key}-lag`, description: `Cloud SQL replica ${key} lags more than ${t.replicaLagSeconds} s`, filter: database(replica, "replication/replica_lag"), aggregation: each("ALIGN_MAX"), comparison: "COMPARISON_GT", threshold: t.replicaLagSeconds, durationSeconds: sustain, severity: "WARNING" });
    }
  }

  private redis(instanceId: string) {
    const t = this.thresholds;
    const redis = (metric: string) => `resource.type = "redis_instance" AND resource.label.instance_id = "${instanceId}" AND metric.type = "redis.googleapis.com/stats/${metric}"`;
    this.threshold({ name: "redis-memory", description: `Memorystore memory above ${t.cacheMemoryPercent}% of maxmemory`, filter: redis("memory/usage_ratio"), aggregation: { alignmentPeriod: `${PERIOD_SECONDS}s`, perSeriesAligner: "ALIGN_MAX" }, comparison: "COMPARISON_GT", threshold: t.cacheMemoryPercent / 100, durationSeconds: t.sustainMinutes * 60, severity: "ERROR" });
    this.threshold({ name: "redis-evictions", description: `Memorystore evicted more than ${t.cacheEvictions} keys in 5 minutes`, filter: redis("evicted_keys"), aggregation: { alignmentPeriod: `${PERIOD_SECONDS}s`, perSeriesAligner: "ALIGN_DELTA" }, comparison: "COMPARISON_GT", threshold: t.cacheEvictions, durationSeconds: 0, severity: "ERROR" });
  }

  private nat(key: string, gateway: string) {
    const nat = (metric: string) => `resource.type = "nat_gateway" AND resource.label.gateway_name = "${gateway}" AND metric.type = "router.googleapis.com/nat/${metric}"`;
    this.threshold({ name: `nat-${key}-allocation-failed`, description: `Cloud NAT ${key} could not allocate ports or addresses to a VM`, filter: nat("nat_allocation_failed"), aggregation: { alignmentPeriod: `${PERIOD_SECONDS}s`, perSeriesAligner: "ALIGN_COUNT_TRUE" }, comparison: "COMPARISON_GT", threshold: 0, durationSeconds: 0, severity: "ERROR" });
    this.threshold({
      name: `nat-${key}-dropped-packets`,
      description: `Cloud NAT ${key} dropped more than ${this.thresholds.natDroppedPackets} packets in 5 minutes for lack of ports`,
      filter: `${nat("dropped_sent_packets_count")} AND metric.label.reason = "OUT_OF_RESOURCES"`,
      aggregation: { alignmentPeriod: `${PERIOD_SECONDS}s`, perSeriesAligner: "ALIGN_DELTA", crossSeriesReducer: "REDUCE_SUM", groupByFields: ["resource.label.gateway_name"] },
      comparison: "COMPARISON_GT",
      threshold: this.thresholds.natDroppedPackets,
      durationSeconds: 0,
      severity: "ERROR",
    });
  }

  private vpn(key: string, tunnel: string) {
    this.threshold({
      name: `vpn-${key}-tunnel`,
      description: `VPN tunnel ${key} is not established`,
      filter: `resource.type = "vpn_gateway" AND metric.type = "vpn.googleapis.com/tunnel_established" AND metric.label.tunnel_name = "${tunnel}"`,
      aggregation: { alignmentPeriod: `${PERIOD_SECONDS}s`, perSeriesAligner: "ALIGN_MAX" },
      comparison: "COMPARISON_LT",
      threshold: 1,
      durationSeconds: OUTAGE_PERIODS * PERIOD_SECONDS,
      severity: "CRITICAL",
      // A tunnel that stops reporting is not an established one.
      missingData: "EVALUATION_MISSING_DATA_ACTIVE",
    });
  }

  private nodes(clusterName: string) {
    const query = `sum by (node_name) (kubernetes_io:node_status_condition{monitored_resource="k8s_node", cluster_name="${clusterName}", condition="Ready", status!="True"}) > 0`;
    this.policy("nodes-not-ready", "A GKE node is not Ready", "CRITICAL", {
      displayName: "A GKE node is not Ready",
      conditionPrometheusQueryLanguage: { query, duration: `${OUTAGE_PERIODS * PERIOD_SECONDS}s`, evaluationInterval: "60s" },
    });
  }

  private threshold(spec: ThresholdSpec): MonitoringAlertPolicy {
    return this.policy(spec.name, spec.description, spec.severity, {
      displayName: spec.description,
      conditionThreshold: {
        filter: spec.filter,
        aggregations: [spec.aggregation],
        comparison: spec.comparison,
        thresholdValue: spec.threshold,
        duration: `${spec.durationSeconds}s`,
        trigger: { count: 1 },
        evaluationMissingData: spec.missingData,
      },
    });
  }

  private policy(name: string, description: string, severity: ThresholdSpec["severity"], condition: MonitoringAlertPolicyConditions): MonitoringAlertPolicy {
    const policy = new MonitoringAlertPolicy(this, constructId(name), {
      project: this.project,
      displayName: this.naming.name(name),
      combiner: "OR",
      severity,
      conditions: [condition],
      notificationChannels: this.channels.map((c) => c.name),
      alertStrategy: { notificationPrompts: ["OPENED", "CLOSED"] },
      documentation: { content: description, mimeType: "text/markdown" },
      dependsOn: [this.monitoringApi],
    });
    this.policies.push(policy);
    return policy;
  }
}
