import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmMetricQuery } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsEc2InstanceType } from "@cdktf/provider-aws/lib/data-aws-ec2-instance-type";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Fn, Op } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../../core/naming";
import { setComponent } from "../../core/tags";
import { requireProp } from "../../core/validate";
import type { AlertReceivers } from "../receivers";
import {
  constructId,
  OUTAGE_PERIODS,
  PAGERDUTY_CLOUD_KEY_PROPERTY,
  PERIOD_SECONDS,
  pagerdutyIntegrationUrl,
  requireKeys,
  requireSecretProperty,
  resolveThresholds,
  sustainPeriods,
  type CloudAlarmThresholds,
} from "./alarms";

/** An RDS for PostgreSQL instance to watch. */
export interface AwsPostgresAlarms {
  /** The DB instance identifier. */
  readonly instanceId: string;
  /** Allocated storage in GB: free storage alarms below `100 - storagePercent` percent of it. */
  readonly allocatedStorageGb: number;
  /**
   * The instance's `max_connections`.
   * @default - RDS's default, LEAST(DBInstanceClassMemory / 9531392, 5000), from `instanceClass`'s memory
   * as EC2 reports it (`aws_ec2_instance_type`); RDS reserves some of that memory, so the
   * connections alarm fires slightly above `connectionsPercent` of the true limit
   */
  readonly maxConnections?: number;
  /** The instance class, e.g. "db.t4g.medium"; required without `maxConnections`. @default - none */
  readonly instanceClass?: string;
  /** Read replicas' DB instance identifiers (not a Multi-AZ standby, which has no lag metric), by a stable key. @default {} */
  readonly replicas?: Readonly<Record<string, string>>;
}

/** A DocumentDB cluster to watch. */
export interface AwsDocumentsAlarms {
  /** Its instances' identifiers: the writer and replicas alike (a failover swaps their roles). */
  readonly instanceIds: readonly string[];
}

/** An ElastiCache (Valkey/Redis OSS) replication group with cluster mode off. */
export interface AwsRedisAlarms {
  readonly replicationGroupId: string;
  /** Its cache clusters (`num_cache_clusters`): ElastiCache names them `<group>-001`, `-002`... @default 1 */
  readonly cacheClusters?: number;
}

export interface AwsCloudAlarmsProps {
  /** Who is told: e-mail addresses, PagerDuty and the webhook (Slack is in-cluster only on AWS). */
  readonly receivers: AlertReceivers;
  /**
   * Encrypts the alarm topic. Its key policy must let `cloudwatch.amazonaws.com` use it
   * (kms:Decrypt and kms:GenerateDataKey*), or alarms cannot publish.
   */
  readonly topicKeyArn: string;
  /** @default - no PostgreSQL alarms */
  readonly postgres?: AwsPostgresAlarms;
  /** @default - no DocumentDB alarms */
  readonly documents?: AwsDocumentsAlarms;
  /** @default - no cache alarms */
  readonly redis?: AwsRedisAlarms;
  /** NAT gateway ids by a stable key (the zone). @default {} */
  readonly natGateways?: Readonly<Record<string, string>>;
  /** Site-to-site VPN connection ids by a stable key (the peer). @default {} */
  readonly vpnConnections?: Readonly<Record<string, string>>;
  /**
   * "connection": alarm when no tunnel of a connection is up; "tunnel": when either is
   * down (for peers that keep both tunnels up).
   * @default "connection"
   */
  readonly vpnAlarmOn?: "connection" | "tunnel";
  /** Auto Scaling groups of EKS managed node groups by node group name: an instance failing its EC2 status checks alarms. @default {} */
  readonly nodeGroups?: Readonly<Record<string, string>>;
  /** @default DEFAULT_THRESHOLDS */
  readonly thresholds?: CloudAlarmThresholds;
  /** The property of `receivers.pagerduty`'s secret holding the key of the PagerDuty service's Amazon CloudWatch integration. @default PAGERDUTY_CLOUD_KEY_PROPERTY */
  readonly pagerdutyKeyProperty?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

interface AlarmSpec {
  /** Suffix of the alarm's name and construct id. */
  readonly name: string;
  readonly description: string;
  readonly comparison: "GreaterThanThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold" | "GreaterThanOrEqualToThreshold";
  readonly threshold: number;
  readonly periods: number;
  readonly metric?: { namespace: string; metricName: string; statistic: string; dimensions: Record<string, string> };
  readonly query?: CloudwatchMetricAlarmMetricQuery[];
  /** @default "notBreaching": a store or gateway that reports nothing has nothing to alarm about */
  readonly missing?: "breaching" | "notBreaching" | "missing";
}

const GIB = 1024 ** 3;

/**
 * CloudWatch alarms on what the infra stack created: RDS (CPU, free storage,
 * connections against max_connections, replica lag), DocumentDB (CPU, connections
 * against the instance's own limit, replica lag), ElastiCache (memory, evictions), NAT
 * gateways (port allocation errors, dropped packets), VPN tunnel state and the EC2
 * status checks of managed node groups. Node groups are watched through EC2 itself:
 * Container Insights' node metrics need the CloudWatch agent on every node, and the
 * in-cluster Prometheus already covers readiness of every node, Karpenter's included.
 *
 * Every alarm notifies one SNS topic, encrypted with `topicKeyArn`, on ALARM and OK.
 * The topic fans out to the receivers: e-mail subscriptions (each address confirms
 * once), PagerDuty's CloudWatch integration endpoint, and the webhook's URL (which must
 * confirm the SNS subscription and receives SNS's JSON, not Alertmanager's). The
 * PagerDuty key and the webhook URL are read from Secrets Manager by data sources at
 * plan time: they are in the Terraform state and sensitive in plans, never in the
 * configuration. Slack is not wired: AWS Chatbot needs the Slack workspace authorized
 * in its console and workspace/channel ids the receivers do not carry.
 */
export class AwsCloudAlarms extends Construct {
  readonly topic: SnsTopic;
  readonly alarms: CloudwatchMetricAlarm[] = [];
  readonly thresholds: Required<CloudAlarmThresholds>;
  readonly vpnAlarmOn: "connection" | "tunnel";
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: AwsCloudAlarmsProps) {
    super(scope, id);
    this.thresholds = resolveThresholds(this, props.thresholds);
    requireProp(this, "vpnAlarmOn", props.vpnAlarmOn, (v) => v === "connection" || v === "tunnel", '"connection" or "tunnel"');
    requireSecretProperty(this, "pagerdutyKeyProperty", props.pagerdutyKeyProperty);
    requireKeys(this, { "postgres.replicas": props.postgres?.replicas, natGateways: props.natGateways, vpnConnections: props.vpnConnections, nodeGroups: props.nodeGroups });
    requireProp(this, "redis.cacheClusters", props.redis?.cacheClusters, (n) => Number.isInteger(n) && n >= 1 && n <= 6, "an integer from 1 to 6");
    requireProp(this, "postgres.allocatedStorageGb", props.postgres?.allocatedStorageGb, (g) => Number.isInteger(g) && g >= 20, "a whole number of GB, 20 or more");
    if (props.postgres && props.postgres.maxConnections === undefined && props.postgres.instanceClass === undefined) {
      throw new Error(`AwsCloudAlarms ${this.node.path}: postgres needs maxConnections or instanceClass (to derive RDS's default max_connections); got neither`);
    }
    setComponent(this, "observability");
    this.naming = namingOf(this, props.naming);
    this.vpnAlarmOn = props.vpnAlarmOn ?? "connection";

    this.topic = new SnsTopic(this, "Topic", {
      name: this.naming.name("alarms", undefined, 256),
      displayName: `${this.naming.deployment} cloud alarms`,
      kmsMasterKeyId: props.topicKeyArn,
    });
    this.subscribe(props.receivers, props.pagerdutyKeyProperty ?? PAGERDUTY_CLOUD_KEY_PROPERTY);

    if (props.postgres) this.postgres(props.postgres);
    if (props.documents) this.documents(props.documents);
    if (props.redis) this.redis(props.redis);
    for (const [key, natId] of Object.entries(props.natGateways ?? {})) this.nat(key, natId);
    for (const [key, vpnId] of Object.entries(props.vpnConnections ?? {})) this.vpn(key, vpnId);
    for (const [group, asg] of Object.entries(props.nodeGroups ?? {})) this.nodeGroup(group, asg);
  }

  private subscribe(receivers: AlertReceivers, keyProperty: string) {
    const topicArn = this.topic.arn;
    for (const address of receivers.email?.to ?? []) {
      new SnsTopicSubscription(this, `Email-${address}`, { topicArn, protocol: "email", endpoint: address });
    }
    // Both https endpoints confirm the subscription themselves (PagerDuty does; a webhook must).
    const secretProperty = (id: string, secretRef: string, property: string) =>
      Fn.lookup(Fn.jsondecode(new DataAwsSecretsmanagerSecretVersion(this, id, { secretId: secretRef }).secretString), property);
    if (receivers.pagerduty) {
      const key = secretProperty("PagerDutySecret", receivers.pagerduty.secretRef, keyProperty);
      new SnsTopicSubscription(this, "PagerDuty", { topicArn, protocol: "https", endpoint: pagerdutyIntegrationUrl(key), endpointAutoConfirms: true });
    }
    if (receivers.webhook) {
      const url = secretProperty("WebhookSecret", receivers.webhook.secretRef, "url");
      new SnsTopicSubscription(this, "Webhook", { topicArn, protocol: "https", endpoint: url, endpointAutoConfirms: true, confirmationTimeoutInMinutes: 5 });
    }
  }

  private postgres(pg: AwsPostgresAlarms) {
    const t = this.thresholds;
    const sustain = sustainPeriods(t);
    const rds = (metricName: string, statistic: string, instanceId = pg.instanceId) => ({
      namespace: "AWS/RDS",
      metricName,
      statistic,
      dimensions: { DBInstanceIdentifier: instanceId },
    });
    this.alarm({ name: "postgres-cpu", description: `PostgreSQL CPU above ${t.cpuPercent}%`, metric: rds("CPUUtilization", "Average"), comparison: "GreaterThanThreshold", threshold: t.cpuPercent, periods: sustain });
    this.alarm({
      name: "postgres-free-storage",
      description: `PostgreSQL free storage below ${100 - t.storagePercent}% of its ${pg.allocatedStorageGb} GB`,
      metric: rds("FreeStorageSpace", "Minimum"),
      comparison: "LessThanThreshold",
      threshold: Math.round((pg.allocatedStorageGb * GIB * (100 - t.storagePercent)) / 100),
      periods: sustain,
    });
    this.alarm({
      name: "postgres-connections",
      description: `PostgreSQL connections above ${t.connectionsPercent}% of max_connections`,
      metric: rds("DatabaseConnections", "Maximum"),
      comparison: "GreaterThanThreshold",
      threshold:
        pg.maxConnections !== undefined
          ? Math.floor((pg.maxConnections * t.connectionsPercent) / 100)
          : Fn.floor(Op.mul(this.rdsDefaultMaxConnections(pg.instanceClass!), t.connectionsPercent / 100)),
      periods: sustain,
    });
    for (const [key, replicaId] of Object.entries(pg.replicas ?? {})) {
      this.alarm({
        name: `postgres-replica-${key}-lag`,
        description: `PostgreSQL replica ${key} lags more than ${t.replicaLagSeconds} s`,
        metric: rds("ReplicaLag", "Maximum", replicaId),
        comparison: "GreaterThanThreshold",
        threshold: t.replicaLagSeconds,
        periods: sustain,
      });
    }
  }

  /** LEAST(memory / 9531392, 5000), RDS's default `max_connections` for PostgreSQL, from the class's EC2 memory (MiB). */
  private rdsDefaultMaxConnections(instanceClass: string): number {
    const memoryMib = new DataAwsEc2InstanceType(this, "PostgresInstanceType", { instanceType: instanceClass.replace(/^db\./, "") }).memorySize;
    return Fn.min([Op.div(Op.mul(memoryMib, 1024 * 1024), 9531392), 5000]);
  }

  private documents(docs: AwsDocumentsAlarms) {
    const t = this.thresholds;
    const sustain = sustainPeriods(t);
    docs.instanceIds.forEach((instanceId, i) => {
      const docdb = (id: string, metricName: string, statistic: string): CloudwatchMetricAlarmMetricQuery => ({
        id,
        metric: { namespace: "AWS/DocDB", metricName, stat: statistic, period: PERIOD_SECONDS, dimensions: { DBInstanceIdentifier: instanceId } },
      });
      this.alarm({
        name: `documents-${i}-cpu`,
        description: `DocumentDB instance ${i} CPU above ${t.cpuPercent}%`,
        metric: { namespace: "AWS/DocDB", metricName: "CPUUtilization", statistic: "Average", dimensions: { DBInstanceIdentifier: instanceId } },
        comparison: "GreaterThanThreshold",
        threshold: t.cpuPercent,
        periods: sustain,
      });
      // DocumentDB publishes each instance's own connection limit next to its peak.
      this.alarm({
        name: `documents-${i}-connections`,
        description: `DocumentDB instance ${i} connections above ${t.connectionsPercent}% of its limit`,
        query: [
          docdb("peak", "DatabaseConnectionsMax", "Maximum"),
          docdb("limit", "DatabaseConnectionsLimit", "Maximum"),
          { id: "percent", expression: "100 * peak / limit", label: "connections (% of limit)", returnData: true },
        ],
        comparison: "GreaterThanThreshold",
        threshold: t.connectionsPercent,
        periods: sustain,
      });
      // Reported by replicas only (milliseconds); the writer's missing data is not a breach.
      this.alarm({
        name: `documents-${i}-replica-lag`,
        description: `DocumentDB instance ${i} lags the writer by more than ${t.replicaLagSeconds} s`,
        metric: { namespace: "AWS/DocDB", metricName: "DBInstanceReplicaLag", statistic: "Maximum", dimensions: { DBInstanceIdentifier: instanceId } },
        comparison: "GreaterThanThreshold",
        threshold: t.replicaLagSeconds * 1000,
        periods: sustain,
      });
    });
  }

  private redis(redis: AwsRedisAlarms) {
    const t = this.thresholds;
    for (let n = 1; n <= (redis.cacheClusters ?? 1); n++) {
      // Engine metrics are per node: a member cluster of a cluster-mode-off group has one node, 0001.
      const dimensions = { CacheClusterId: `${redis.replicationGroupId}-${String(n).padStart(3, "0")}`, CacheNodeId: "0001" };
      this.alarm({
        name: `redis-${n}-memory`,
        description: `Cache node ${n} memory above ${t.cacheMemoryPercent}% of maxmemory`,
        metric: { namespace: "AWS/ElastiCache", metricName: "DatabaseMemoryUsagePercentage", statistic: "Maximum", dimensions },
        comparison: "GreaterThanThreshold",
        threshold: t.cacheMemoryPercent,
        periods: sustainPeriods(t),
      });
      this.alarm({
        name: `redis-${n}-evictions`,
        description: `Cache node ${n} evicted more than ${t.cacheEvictions} keys in 5 minutes`,
        metric: { namespace: "AWS/ElastiCache", metricName: "Evictions", statistic: "Sum", dimensions },
        comparison: "GreaterThanThreshold",
        threshold: t.cacheEvictions,
        periods: 1,
      });
    }
  }

  private nat(key: string, natGatewayId: string) {
    const dimensions = { NatGatewayId: natGatewayId };
    this.alarm({
      name: `nat-${key}-port-allocation`,
      description: `NAT gateway ${key} could not allocate a source port`,
      metric: { namespace: "AWS/NATGateway", metricName: "ErrorPortAllocation", statistic: "Sum", dimensions },
      comparison: "GreaterThanThreshold",
      threshold: 0,
      periods: 1,
    });
    this.alarm({
      name: `nat-${key}-dropped-packets`,
      description: `NAT gateway ${key} dropped more than ${this.thresholds.natDroppedPackets} packets in 5 minutes`,
      metric: { namespace: "AWS/NATGateway", metricName: "PacketsDropCount", statistic: "Sum", dimensions },
      comparison: "GreaterThanThreshold",
      threshold: this.thresholds.natDroppedPackets,
      periods: 1,
    });
  }

  private vpn(key: string, vpnId: string) {
    // With only the VpnId dimension TunnelState aggregates both tunnels: its Maximum is
    // below 1 only when no tunnel is up, its Minimum as soon as one is down.
    const connection = this.vpnAlarmOn === "connection";
    this.alarm({
      name: `vpn-${key}-tunnel-state`,
      description: connection ? `VPN connection ${key}: no tunnel up` : `VPN connection ${key}: a tunnel is down`,
      metric: { namespace: "AWS/VPN", metricName: "TunnelState", statistic: connection ? "Maximum" : "Minimum", dimensions: { VpnId: vpnId } },
      comparison: "LessThanThreshold",
      threshold: 1,
      periods: OUTAGE_PERIODS,
      // A connection whose tunnels stop reporting is not a healthy one.
      missing: "breaching",
    });
  }

  private nodeGroup(group: string, autoScalingGroupName: string) {
    this.alarm({
      name: `nodes-${group}-status-check`,
      description: `A node of node group ${group} fails its EC2 status checks`,
      metric: { namespace: "AWS/EC2", metricName: "StatusCheckFailed", statistic: "Maximum", dimensions: { AutoScalingGroupName: autoScalingGroupName } },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      periods: OUTAGE_PERIODS,
    });
  }

  private alarm(spec: AlarmSpec): CloudwatchMetricAlarm {
    const actions = [this.topic.arn];
    const alarm = new CloudwatchMetricAlarm(this, constructId(spec.name), {
      alarmName: this.naming.name(spec.name, undefined, 255),
      alarmDescription: spec.description,
      comparisonOperator: spec.comparison,
      threshold: spec.threshold,
      evaluationPeriods: spec.periods,
      datapointsToAlarm: spec.periods,
      treatMissingData: spec.missing ?? "notBreaching",
      ...(spec.metric ? { ...spec.metric, period: PERIOD_SECONDS } : { metricQuery: spec.query }),
      alarmActions: actions,
      okActions: actions,
    });
    this.alarms.push(alarm);
    return alarm;
  }
}
