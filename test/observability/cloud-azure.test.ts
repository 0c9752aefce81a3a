import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { TerraformLocal, TerraformStack, Testing } from "cdktf";
import { beforeAll, describe, expect, test } from "vitest";
import { AksCluster, CONTAINER_INSIGHTS_STREAMS } from "../../lib/cluster/aks";
import { AzureKeys } from "../../lib/data/keys/azure";
import { AzureNetwork } from "../../lib/network/azure";
import { Naming } from "../../lib/core/naming";
import { AzureCloudAlerts, azurePostgresMaxConnections, type AzureCloudAlertsProps } from "../../lib/observability/cloud/azure";
import type { AlertReceivers } from "../../lib/observability/receivers";
import { StackJson, synth as synthSpec, type Block } from "../support/synth";

const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/acme-rg/providers";
const VAULT = `${SUB}/Microsoft.KeyVault/vaults/acme-kv`;
const PG = `${SUB}/Microsoft.DBforPostgreSQL/flexibleServers/acme-pg`;
const receivers: AlertReceivers = {
  email: { to: ["oncall@example.com"], smtp: { smarthost: "smtp.example.com:587", from: "alerts@example.com", secretRef: "smtp" } },
  pagerduty: { secretRef: "pagerduty" },
  webhook: { secretRef: "webhook" },
  slack: { secretRef: "slack" },
};
const everything: Omit<AzureCloudAlertsProps, "receivers" | "resourceGroupName"> = {
  secretsVault: { keyVaultId: VAULT, vaultUri: "https://acme-kv.vault.azure.net/" },
  postgres: { serverId: PG, sku: "GP_Standard_D4ds_v5", replicas: { reader: `${PG}-reader` } },
  documentsId: `${SUB}/Microsoft.DocumentDB/mongoClusters/acme-documents`,
  redisId: `${SUB}/Microsoft.Cache/redisEnterprise/acme-redis`,
  natGateways: { nodes: `${SUB}/Microsoft.Network/natGateways/acme-nat` },
  vpnConnections: { hq: `${SUB}/Microsoft.Network/connections/acme-vpn-hq` },
  clusterId: `${SUB}/Microsoft.ContainerService/managedClusters/acme-cluster`,
};

function synth(props: Partial<AzureCloudAlertsProps> = {}): StackJson {
  const stack = new TerraformStack(Testing.app(), "test");
  new AzurermProvider(stack, "azurerm", { features: [{}] });
  new AzureCloudAlerts(stack, "CloudAlerts", { naming: new Naming("acme"), receivers, resourceGroupName: "acme-rg", ...everything, ...props });
  return new StackJson("test", JSON.parse(Testing.synth(stack)), stack);
}
const alert = (json: StackJson, name: string): Block => json.resource("azurerm_monitor_metric_alert", (a) => a.name === name);

describe("AzureCloudAlerts", () => {
  const json = synth();
  const group = json.resource("azurerm_monitor_action_group");

  test("every metric and health alert notifies the one action group", () => {
    const alerts = [...json.resources("azurerm_monitor_metric_alert"), ...json.resources("azurerm_monitor_activity_log_alert")];
    expect(alerts).toHaveLength(12);
    for (const a of alerts) expect(a.action, a.name).toEqual([{ action_group_id: json.ref(group, "id") }]);
    for (const a of json.resources("azurerm_monitor_metric_alert")) expect(a).toMatchObject({ resource_group_name: "acme-rg", frequency: "PT5M", auto_mitigate: true });
  });

  test("PostgreSQL: cpu_percent, storage_percent, active_connections against the SKU's max_connections, replica lag", () => {
    const server = { metric_namespace: "Microsoft.DBforPostgreSQL/flexibleServers" };
    expect(alert(json, "acme-postgres-cpu")).toMatchObject({ scopes: [PG], window_size: "PT15M", criteria: [{ ...server, metric_name: "cpu_percent", aggregation: "Average", operator: "GreaterThan", threshold: 80 }] });
    expect(alert(json, "acme-postgres-storage").criteria).toEqual([expect.objectContaining({ ...server, metric_name: "storage_percent", aggregation: "Maximum", threshold: 85 })]);
    // D4ds_v5: 16 GiB, 1718 connections; 80% of it.
    expect(alert(json, "acme-postgres-connections").criteria).toEqual([expect.objectContaining({ ...server, metric_name: "active_connections", aggregation: "Maximum", threshold: 1374 })]);
    expect(alert(json, "acme-postgres-replica-reader-lag")).toMatchObject({ scopes: [`${PG}-reader`], criteria: [expect.objectContaining({ metric_name: "physical_replication_delay_in_seconds", threshold: 60 })] });
  });

  test("max_connections defaults follow Azure's limits table", () => {
    expect(azurePostgresMaxConnections("B_Standard_B1ms")).toBe(50);
    expect(azurePostgresMaxConnections("B_Standard_B2ms")).toBe(859);
    expect(azurePostgresMaxConnections("GP_Standard_D8ds_v5")).toBe(3437);
    expect(azurePostgresMaxConnections("MO_Standard_E4ds_v5")).toBe(3437);
    expect(azurePostgresMaxConnections("MO_Standard_E8ds_v5")).toBe(5000);
    expect(azurePostgresMaxConnections("GP_Gen5_4")).toBeUndefined();
  });

  test("document database: CpuPercent and StoragePercent; cache: usedmemorypercentage and evictedkeys", () => {
    expect(alert(json, "acme-documents-cpu").criteria).toEqual([expect.objectContaining({ metric_namespace: "Microsoft.DocumentDB/mongoClusters", metric_name: "CpuPercent", threshold: 80 })]);
    expect(alert(json, "acme-documents-storage").criteria).toEqual([expect.objectContaining({ metric_name: "StoragePercent", aggregation: "Maximum", threshold: 85 })]);
    expect(alert(json, "acme-redis-memory").criteria).toEqual([expect.objectContaining({ metric_namespace: "Microsoft.Cache/redisEnterprise", metric_name: "usedmemorypercentage", aggregation: "Maximum", threshold: 90 })]);
    expect(alert(json, "acme-redis-evictions")).toMatchObject({ window_size: "PT5M", criteria: [expect.objectContaining({ metric_name: "evictedkeys", aggregation: "Total", threshold: 0 })] });
  });

  test("NAT gateway: failed SNAT connections (ConnectionState=Failed) and dropped packets", () => {
    expect(alert(json, "acme-nat-nodes-snat-failures").criteria).toEqual([
      expect.objectContaining({ metric_namespace: "Microsoft.Network/natGateways", metric_name: "SNATConnectionCount", aggregation: "Total", threshold: 0, dimension: [{ name: "ConnectionState", operator: "Include", values: ["Failed"] }] }),
    ]);
    expect(alert(json, "acme-nat-nodes-dropped-packets").criteria).toEqual([expect.objectContaining({ metric_name: "PacketDropCount", threshold: 100 })]);
  });

  test("VPN: the connection's Resource Health going Unavailable or Degraded", () => {
    const health = json.resource("azurerm_monitor_activity_log_alert");
    const id = everything.vpnConnections!.hq;
    expect(health).toMatchObject({ name: "acme-vpn-hq-health", location: "global", scopes: [id], criteria: { category: "ResourceHealth", resource_ids: [id], resource_health: { current: ["Unavailable", "Degraded"] } } });
  });

  test("AKS: a node NotReady or Unknown for the whole 15-minute window, split per node", () => {
    expect(alert(json, "acme-nodes-not-ready")).toMatchObject({
      scopes: [everything.clusterId],
      window_size: "PT15M",
      criteria: [
        {
          metric_namespace: "Microsoft.ContainerService/managedClusters",
          metric_name: "kube_node_status_condition",
          aggregation: "Minimum",
          operator: "GreaterThan",
          threshold: 0,
          dimension: [
            { name: "status2", operator: "Include", values: ["NotReady", "Unknown"] },
            { name: "node", operator: "Include", values: ["*"] },
          ],
        },
      ],
    });
  });

  test("receivers: e-mail by address, PagerDuty's Azure integration and the webhook from Key Vault, common alert schema; no Slack", () => {
    expect(group.email_receiver).toEqual([{ name: "oncall@example.com", email_address: "oncall@example.com", use_common_alert_schema: true }]);
    const secret = (name: string) => json.data("azurerm_key_vault_secret").find((d) => d.name === name)!;
    expect(secret("pagerduty").key_vault_id).toBe(VAULT);
    expect(secret("pagerduty").depends_on).toBeUndefined();
    expect(group.webhook_receiver).toEqual([
      { name: "pagerduty", service_uri: `https://events.pagerduty.com/integration/\${jsondecode(${secret("pagerduty").tfAddress}.value).cloudIntegrationKey}/enqueue`, use_common_alert_schema: true },
      { name: "webhook", service_uri: `\${jsondecode(${secret("webhook").tfAddress}.value).url}`, use_common_alert_schema: true },
    ]);
    expect(json.data("azurerm_key_vault_secret").map((d) => d.name).sort()).toEqual(["pagerduty", "webhook"]);
    expect(JSON.stringify(json.json)).not.toMatch(/hooks\.slack\.com|"slack"|"smtp"/);
    expect(group.short_name.length).toBeLessThanOrEqual(12);
  });

  test("the secrets are read once the vault's data plane is ready", () => {
    const stack = new TerraformStack(Testing.app(), "ready");
    new AzurermProvider(stack, "azurerm", { features: [{}] });
    const ready = new TerraformLocal(stack, "VaultReady", "ready");
    new AzureCloudAlerts(stack, "CloudAlerts", { naming: new Naming("acme"), receivers: { webhook: { secretRef: "webhook" } }, resourceGroupName: "acme-rg", secretsVault: { keyVaultId: VAULT, vaultUri: "https://acme-kv.vault.azure.net/", dataPlaneReady: [ready] } });
    const json = new StackJson("ready", JSON.parse(Testing.synth(stack)), stack);
    expect(json.data("azurerm_key_vault_secret")[0].depends_on).toEqual(["local.VaultReady"]);
  });

  test("thresholds are the props'", () => {
    const custom = synth({ thresholds: { cpuPercent: 65, sustainMinutes: 30 }, postgres: { serverId: PG, maxConnections: 100 } });
    expect(alert(custom, "acme-postgres-cpu")).toMatchObject({ window_size: "PT30M", criteria: [expect.objectContaining({ threshold: 65 })] });
    expect(alert(custom, "acme-postgres-connections").criteria[0].threshold).toBe(80);
    expect(alert(synth({ thresholds: { sustainMinutes: 60 } }), "acme-postgres-cpu").window_size).toBe("PT1H");
  });

  test.each([
    [{ secretsVault: undefined }, /secretsVault is required with a PagerDuty or webhook receiver/],
    [{ postgres: { serverId: PG, sku: "GP_Gen5_4" } }, /postgres needs maxConnections, or a sku whose default max_connections is known \(got sku "GP_Gen5_4"\)/],
    [{ vpnConnections: { HQ: "x" } }, /vpnConnections key must be 1-40 characters/],
    [{ pagerdutyKeyProperty: "cloud-key" }, /pagerdutyKeyProperty must be a JSON property name/],
  ])("refuses %j", (props, error) => {
    expect(() => synth(props as Partial<AzureCloudAlertsProps>)).toThrow(error);
  });
});

describe("AksCluster: Container Insights", () => {
  let infra: StackJson;
  beforeAll(async () => {
    ({ infra } = await synthSpec({ name: "acme", target: { cloud: "azure", region: "westeurope" }, network: { cidr: "10.60.0.0/16" }, cluster: { admins: ["11111111-2222-4333-8444-555555555555"] } }));
  });

  test("the Azure Monitor agent signs in with its managed identity and sends to the cluster's workspace", () => {
    const aks = infra.resource("azurerm_kubernetes_cluster");
    const workspace = infra.resource("azurerm_log_analytics_workspace");
    expect(aks.oms_agent).toEqual({ log_analytics_workspace_id: infra.ref(workspace, "id"), msi_auth_for_monitoring_enabled: true });
    expect(workspace.local_authentication_enabled).toBe(false);
  });

  test("a data collection rule sends ContainerLogV2, events and inventories of every namespace to that workspace, associated with the cluster", () => {
    const workspace = infra.resource("azurerm_log_analytics_workspace");
    const rule = infra.resource("azurerm_monitor_data_collection_rule");
    expect(rule.destinations).toEqual({ log_analytics: [{ name: "logs", workspace_resource_id: infra.ref(workspace, "id") }] });
    expect(rule.data_flow).toEqual([{ streams: [...CONTAINER_INSIGHTS_STREAMS], destinations: ["logs"] }]);
    expect(rule.data_flow[0].streams).toContain("Microsoft-ContainerLogV2");
    expect(rule.data_flow[0].streams).not.toContain("Microsoft-ContainerLog");
    const [extension] = rule.data_sources.extension;
    expect(extension).toMatchObject({ name: "ContainerInsightsExtension", extension_name: "ContainerInsights", streams: [...CONTAINER_INSIGHTS_STREAMS] });
    expect(JSON.parse(extension.extension_json)).toEqual({ dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true } });
    const association = infra.resource("azurerm_monitor_data_collection_rule_association");
    expect(association).toMatchObject({ name: "ContainerInsightsExtension", target_resource_id: infra.ref(infra.resource("azurerm_kubernetes_cluster"), "id"), data_collection_rule_id: infra.ref(rule, "id") });
  });

  test("turned off, neither the agent nor a collection rule is configured; control-plane logs stay", () => {
    const RG = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/acme-app";
    const vnet = `${RG}/providers/Microsoft.Network/virtualNetworks/app`;
    const network = AzureNetwork.fromVnetAttributes({
      location: "westeurope",
      resourceGroupName: "acme-app",
      resourceGroupId: RG,
      vnetId: vnet,
      cidr: "10.40.0.0/16",
      nodesSubnetId: `${vnet}/subnets/nodes`,
      privateEndpointsSubnetId: `${vnet}/subnets/endpoints`,
      apiServerSubnetId: `${vnet}/subnets/aks-api`,
    });
    const vault = `${RG}/providers/Microsoft.KeyVault/vaults/acme-keys`;
    const kmsKey = AzureKeys.fromKeyAttributes({ keyVaultId: vault, name: "etcd", version: "0123456789abcdef" });
    const build = (containerInsights?: boolean) => {
      const stack = new TerraformStack(Testing.app(), "aks");
      new AzurermProvider(stack, "azurerm", { features: [{}] });
      new AksCluster(stack, "Cluster", { naming: new Naming("acme"), network, kmsKey, kmsKeyVaultId: vault, disksKey: kmsKey, containerInsights });
      return new StackJson("aks", JSON.parse(Testing.synth(stack)), stack);
    };
    const off = build(false);
    expect(off.resource("azurerm_kubernetes_cluster").oms_agent).toBeUndefined();
    expect(off.resources("azurerm_monitor_data_collection_rule")).toHaveLength(0);
    expect(off.resources("azurerm_monitor_data_collection_rule_association")).toHaveLength(0);
    expect(off.resources("azurerm_monitor_diagnostic_setting")).toHaveLength(1);
    expect(build().resource("azurerm_kubernetes_cluster").oms_agent).toMatchObject({ msi_auth_for_monitoring_enabled: true });
  });

  test("the control plane's diagnostic setting still sends its categories to the same workspace", () => {
    const aks = infra.resource("azurerm_kubernetes_cluster");
    const diag = infra.resource("azurerm_monitor_diagnostic_setting", (d) => d.target_resource_id === infra.ref(aks, "id"));
    expect(diag.log_analytics_workspace_id).toBe(infra.ref(infra.resource("azurerm_log_analytics_workspace"), "id"));
    expect(diag.enabled_log.map((l: { category: string }) => l.category)).toContain("kube-audit-admin");
  });
});
