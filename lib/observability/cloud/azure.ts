import { DataAzurermKeyVaultSecret } from "@cdktf/provider-azurerm/lib/data-azurerm-key-vault-secret";
import { MonitorActionGroup, type MonitorActionGroupWebhookReceiver } from "@cdktf/provider-azurerm/lib/monitor-action-group";
import { MonitorActivityLogAlert } from "@cdktf/provider-azurerm/lib/monitor-activity-log-alert";
import { MonitorMetricAlert, type MonitorMetricAlertCriteriaDimension } from "@cdktf/provider-azurerm/lib/monitor-metric-alert";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../../core/naming";
import { setComponent } from "../../core/tags";
import { label, requireProp } from "../../core/validate";
import type { IAzureKeyVault } from "../../data/keys/azure";
import type { AlertReceivers } from "../receivers";
import {
  constructId,
  PAGERDUTY_CLOUD_KEY_PROPERTY,
  pagerdutyIntegrationUrl,
  requireKeys,
  requireSecretProperty,
  resolveThresholds,
  type CloudAlarmThresholds,
} from "./alarms";

/** An Azure Database for PostgreSQL flexible server to watch. */
export interface AzurePostgresAlerts {
  /** The server's resource id. */
  readonly serverId: string;
  /** The server's `max_connections`. @default - the default Azure sets for `sku` (azurePostgresMaxConnections) */
  readonly maxConnections?: number;
  /** The server's SKU, e.g. "GP_Standard_D4ds_v5"; required without `maxConnections`. @default - none */
  readonly sku?: string;
  /** Read replicas' server ids by a stable key. @default {} */
  readonly replicas?: Readonly<Record<string, string>>;
}

export interface AzureCloudAlertsProps {
  /** Who is told: e-mail addresses, PagerDuty and the webhook (Slack is in-cluster only on Azure). */
  readonly receivers: AlertReceivers;
  /** Where the action group and the alert rules live. */
  readonly resourceGroupName: string;
  /**
   * The Key Vault holding the receivers' secrets; the identity running Terraform reads
   * them (Key Vault Secrets User), after the vault's `dataPlaneReady`. Required with
   * `pagerduty` or `webhook`.
   * @default - none
   */
  readonly secretsVault?: IAzureKeyVault;
  /** @default - no PostgreSQL alerts */
  readonly postgres?: AzurePostgresAlerts;
  /** The document database (`Microsoft.DocumentDB/mongoClusters`) by resource id. @default - no document database alerts */
  readonly documentsId?: string;
  /** The Azure Managed Redis cache (`Microsoft.Cache/redisEnterprise`) by resource id. @default - no cache alerts */
  readonly redisId?: string;
  /** NAT gateway resource ids by a stable key. @default {} */
  readonly natGateways?: Readonly<Record<string, string>>;
  /** Site-to-site VPN connection (`Microsoft.Network/connections`) ids by a stable key (the peer). @default {} */
  readonly vpnConnections?: Readonly<Record<string, string>>;
  /** The AKS cluster's resource id: a node not ready alerts. @default - no node alerts */
  readonly clusterId?: string;
  /** @default DEFAULT_THRESHOLDS */
  readonly thresholds?: CloudAlarmThresholds;
  /** The property of `receivers.pagerduty`'s secret holding the key of the PagerDuty service's Microsoft Azure integration. @default PAGERDUTY_CLOUD_KEY_PROPERTY */
  readonly pagerdutyKeyProperty?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

interface AlertSpec {
  readonly name: string;
  readonly description: string;
  readonly scope: string;
  readonly namespace: string;
  readonly metric: string;
  readonly aggregation: "Average" | "Minimum" | "Maximum" | "Total";
  readonly operator: "GreaterThan" | "LessThan";
  readonly threshold: number;
  /** Minutes of data each evaluation looks at. */
  readonly windowMinutes: number;
  readonly dimension?: MonitorMetricAlertCriteriaDimension[];
  /** 0 critical ... 4 verbose. */
  readonly severity: number;
}

/** Default `max_connections` by memory (GiB) of a flexible server, from Azure's limits page; 5000 from 48 GiB. */
const PG_CONNECTIONS_BY_MEMORY: Readonly<Record<number, number>> = { 2: 50, 4: 429, 8: 859, 16: 1718, 32: 3437 };
const BURSTABLE_MEMORY: Readonly<Record<string, number>> = { B1ms: 2, B2s: 4, B2ms: 8, B4ms: 16, B8ms: 32, B12ms: 48, B16ms: 64, B20ms: 80 };

/**
 * The `max_connections` Azure sets on a flexible server of `sku` (B_Standard_B2ms,
 * GP_Standard_D4ds_v5, MO_Standard_E8ds_v5...): by the SKU's memory, 4 GiB a vCore for
 * D-series and 8 for E-series. Undefined for a SKU it does not know.
 */
export function azurePostgresMaxConnections(sku: string): number | undefined {
  const m = /^(?:B|GP|MO)_Standard_(?:(B\d+m?s)|([DE])(\d+)[a-z]*_v\d)$/.exec(sku);
  if (!m) return undefined;
  const memory = m[1] ? BURSTABLE_MEMORY[m[1]] : Number(m[3]) * (m[2] === "D" ? 4 : 8);
  if (memory === undefined) return undefined;
  return memory >= 48 ? 5000 : PG_CONNECTIONS_BY_MEMORY[memory];
}

/**
 * Azure Monitor alerts on what the infra stack created, all to one action group:
 * PostgreSQL flexible server (CPU, storage, connections against max_connections, read
 * replica lag), the document database (CPU, storage), Azure Managed Redis (memory,
 * evictions), NAT gateways (failed SNAT connections, dropped packets), each VPN
 * connection's Resource Health (Azure publishes no tunnel-state metric; Resource Health
 * checks whether the tunnel is connected) and AKS nodes not ready (the platform metric
 * kube_node_status_condition, per node).
 *
 * The action group mails `receivers.email.to` and posts the common alert schema to
 * PagerDuty's Microsoft Azure integration and to the webhook. The PagerDuty key and the
 * webhook URL are read from `secretsVault` by data sources at plan time: they are in
 * the Terraform state and sensitive in plans, never in the configuration. Slack is not
 * wired: an incoming webhook rejects Azure's payload, and a Logic App to translate it
 * would be one more thing to run.
 */
export class AzureCloudAlerts extends Construct {
  readonly actionGroup: MonitorActionGroup;
  readonly metricAlerts: MonitorMetricAlert[] = [];
  readonly healthAlerts: MonitorActivityLogAlert[] = [];
  readonly thresholds: Required<CloudAlarmThresholds>;
  private readonly naming: Naming;
  private readonly resourceGroupName: string;

  constructor(scope: Construct, id: string, props: AzureCloudAlertsProps) {
    super(scope, id);
    this.thresholds = resolveThresholds(this, props.thresholds);
    requireSecretProperty(this, "pagerdutyKeyProperty", props.pagerdutyKeyProperty);
    requireKeys(this, { "postgres.replicas": props.postgres?.replicas, natGateways: props.natGateways, vpnConnections: props.vpnConnections });
    requireProp(this, "postgres.maxConnections", props.postgres?.maxConnections, (n) => Number.isInteger(n) && n >= 25, "an integer of 25 or more");
    const { receivers } = props;
    if ((receivers.pagerduty || receivers.webhook) && !props.secretsVault) {
      throw new Error(`${label(this)}: secretsVault is required with a PagerDuty or webhook receiver, whose secrets it holds (got none)`);
    }
    const pg = props.postgres;
    const maxConnections = pg && (pg.maxConnections ?? (pg.sku === undefined ? undefined : azurePostgresMaxConnections(pg.sku)));
    if (pg && maxConnections === undefined) {
      throw new Error(`${label(this)}: postgres needs maxConnections, or a sku whose default max_connections is known (got sku ${JSON.stringify(pg.sku)})`);
    }
    setComponent(this, "observability");
    this.naming = namingOf(this, props.naming);
    this.resourceGroupName = props.resourceGroupName;

    this.actionGroup = new MonitorActionGroup(this, "ActionGroup", {
      name: this.naming.name("alarms", undefined, 260),
      shortName: this.naming.deployment.slice(0, 12),
      resourceGroupName: this.resourceGroupName,
      emailReceiver: (receivers.email?.to ?? []).map((emailAddress) => ({ name: emailAddress, emailAddress, useCommonAlertSchema: true })),
      webhookReceiver: this.webhooks(receivers, props.secretsVault, props.pagerdutyKeyProperty ?? PAGERDUTY_CLOUD_KEY_PROPERTY),
    });

    if (pg && maxConnections !== undefined) this.postgres(pg, maxConnections);
    if (props.documentsId) this.documents(props.documentsId);
    if (props.redisId) this.redis(props.redisId);
    for (const [key, natId] of Object.entries(props.natGateways ?? {})) this.nat(key, natId);
    for (const [key, connectionId] of Object.entries(props.vpnConnections ?? {})) this.vpn(key, connectionId);
    if (props.clusterId) this.nodes(props.clusterId);
  }

  private webhooks(receivers: AlertReceivers, vault: IAzureKeyVault | undefined, keyProperty: string): MonitorActionGroupWebhookReceiver[] {
    const secretProperty = (id: string, name: string, property: string) =>
      Fn.lookup(Fn.jsondecode(new DataAzurermKeyVaultSecret(this, id, { name, keyVaultId: vault!.keyVaultId, dependsOn: vault!.dataPlaneReady }).value), property);
    const hooks: MonitorActionGroupWebhookReceiver[] = [];
    if (receivers.pagerduty) {
      const key = secretProperty("PagerDutySecret", receivers.pagerduty.secretRef, keyProperty);
      hooks.push({ name: "pagerduty", serviceUri: pagerdutyIntegrationUrl(key), useCommonAlertSchema: true });
    }
    if (receivers.webhook) {
      hooks.push({ name: "webhook", serviceUri: secretProperty("WebhookSecret", receivers.webhook.secretRef, "url"), useCommonAlertSchema: true });
    }
    return hooks;
  }

  private postgres(pg: AzurePostgresAlerts, maxConnections: number) {
    const t = this.thresholds;
    const server = { scope: pg.serverId, namespace: "Microsoft.DBforPostgreSQL/flexibleServers", windowMinutes: t.sustainMinutes, severity: 2 };
    this.metricAlert({ ...server, name: "postgres-cpu", description: `PostgreSQL CPU above ${t.cpuPercent}%`, metric: "cpu_percent", aggregation: "Average", operator: "GreaterThan", threshold: t.cpuPercent });
    this.metricAlert({ ...server, name: "postgres-storage", description: `PostgreSQL storage above ${t.storagePercent}%`, metric: "storage_percent", aggregation: "Maximum", operator: "GreaterThan", threshold: t.storagePercent });
    this.metricAlert({
      ...server,
      name: "postgres-connections",
      description: `PostgreSQL connections above ${t.connectionsPercent}% of max_connections (${maxConnections})`,
      metric: "active_connections",
      aggregation: "Maximum",
      operator: "GreaterThan",
      threshold: Math.floor((maxConnections * t.connectionsPercent) / 100),
    });
    for (const [key, replicaId] of Object.entries(pg.replicas ?? {})) {
      this.metricAlert({
        ...server,
        scope: replicaId,
        name: `postgres-replica-${key}-lag`,
        description: `PostgreSQL replica ${key} lags more than ${t.replicaLagSeconds} s`,
        metric: "physical_replication_delay_in_seconds",
        aggregation: "Maximum",
        operator: "GreaterThan",
        threshold: t.replicaLagSeconds,
      });
    }
  }

  private documents(clusterId: string) {
    const t = this.thresholds;
    const cluster = { scope: clusterId, namespace: "Microsoft.DocumentDB/mongoClusters", windowMinutes: t.sustainMinutes, severity: 2 };
    this.metricAlert({ ...cluster, name: "documents-cpu", description: `Document database CPU above ${t.cpuPercent}%`, metric: "CpuPercent", aggregation: "Average", operator: "GreaterThan", threshold: t.cpuPercent });
    this.metricAlert({ ...cluster, name: "documents-storage", description: `Document database storage above ${t.storagePercent}%`, metric: "StoragePercent", aggregation: "Maximum", operator: "GreaterThan", threshold: t.storagePercent });
  }

  private redis(cacheId: string) {
    const t = this.thresholds;
    const cache = { scope: cacheId, namespace: "Microsoft.Cache/redisEnterprise", severity: 2 };
    this.metricAlert({ ...cache, name: "redis-memory", description: `Cache memory above ${t.cacheMemoryPercent}%`, metric: "usedmemorypercentage", aggregation: "Maximum", operator: "GreaterThan", threshold: t.cacheMemoryPercent, windowMinutes: t.sustainMinutes });
    this.metricAlert({ ...cache, name: "redis-evictions", description: `Cache evicted more than ${t.cacheEvictions} keys in 5 minutes`, metric: "evictedkeys", aggregation: "Total", operator: "GreaterThan", threshold: t.cacheEvictions, windowMinutes: 5 });
  }

  private nat(key: string, natId: string) {
    const nat = { scope: natId, namespace: "Microsoft.Network/natGateways", aggregation: "Total" as const, operator: "GreaterThan" as const, windowMinutes: 5, severity: 1 };
    this.metricAlert({
      ...nat,
      name: `nat-${key}-snat-failures`,
      description: `NAT gateway ${key} failed SNAT connections`,
      metric: "SNATConnectionCount",
      threshold: 0,
      dimension: [{ name: "ConnectionState", operator: "Include", values: ["Failed"] }],
    });
    this.metricAlert({ ...nat, name: `nat-${key}-dropped-packets`, description: `NAT gateway ${key} dropped more than ${this.thresholds.natDroppedPackets} packets in 5 minutes`, metric: "PacketDropCount", threshold: this.thresholds.natDroppedPackets });
  }

  private vpn(key: string, connectionId: string) {
    this.healthAlerts.push(
      new MonitorActivityLogAlert(this, `VpnHealth-${key}`, {
        name: this.naming.name("vpn", `${key}-health`, 260),
        description: `VPN connection ${key}: Resource Health reports it unavailable or degraded (tunnel not connected)`,
        resourceGroupName: this.resourceGroupName,
        location: "global",
        scopes: [connectionId],
        criteria: { category: "ResourceHealth", resourceIds: [connectionId], resourceHealth: { current: ["Unavailable", "Degraded"] } },
        action: [{ actionGroupId: this.actionGroup.id }],
      }),
    );
  }

  private nodes(clusterId: string) {
    // Split per node and take the minimum over the window: a node alerts only when it has
    // been NotReady or Unknown for all of it, not while an upgrade reboots it.
    this.metricAlert({
      name: "nodes-not-ready",
      description: "An AKS node has not been Ready for 15 minutes",
      scope: clusterId,
      namespace: "Microsoft.ContainerService/managedClusters",
      metric: "kube_node_status_condition",
      aggregation: "Minimum",
      operator: "GreaterThan",
      threshold: 0,
      windowMinutes: 15,
      severity: 1,
      dimension: [
        { name: "status2", operator: "Include", values: ["NotReady", "Unknown"] },
        { name: "node", operator: "Include", values: ["*"] },
      ],
    });
  }

  private metricAlert(spec: AlertSpec): MonitorMetricAlert {
    const alert = new MonitorMetricAlert(this, constructId(spec.name), {
      name: this.naming.name(spec.name, undefined, 260),
      description: spec.description,
      resourceGroupName: this.resourceGroupName,
      scopes: [spec.scope],
      severity: spec.severity,
      frequency: "PT5M",
      windowSize: spec.windowMinutes === 60 ? "PT1H" : `PT${spec.windowMinutes}M`,
      autoMitigate: true,
      criteria: [
        {
          metricNamespace: spec.namespace,
          metricName: spec.metric,
          aggregation: spec.aggregation,
          operator: spec.operator,
          threshold: spec.threshold,
          dimension: spec.dimension,
        },
      ],
      action: [{ actionGroupId: this.actionGroup.id }],
    });
    this.metricAlerts.push(alert);
    return alert;
  }
}
