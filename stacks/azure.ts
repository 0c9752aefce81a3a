import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Construct } from "constructs";
import { AksCluster } from "../lib/cluster/aks";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { AzureDataLayer } from "../lib/data/azure";
import { AzureKeys } from "../lib/data/keys/azure";
import { AzureDns } from "../lib/dns/azure";
import { AzureNetwork } from "../lib/network/azure";
import { AzureCloudAlerts } from "../lib/observability/cloud/azure";
import { Observability } from "../lib/observability/observability";
import { AzureAuditLogins } from "../lib/audit/sql/azure";
import { PlatformNamespace } from "../lib/platform/namespaces";
import { Platform } from "../lib/platform/platform";
import { SecureNodes } from "../lib/secure-nodes/secure-nodes";
import { AzurePlatformTarget } from "../lib/platform/targets/azure";
import { AzureSiteToSiteVpn } from "../lib/vpn/azure";
import { aksClusterProps, azureCloudAlertsProps, azureDataProps, azureDnsProps, azureKeysProps, azureNetworkProps, azureTargetProps, azureVpnProps, isAzureSpec } from "./azure-props";
import { observabilityProps } from "./observability-props";
import { platformProps } from "./platform-props";
import { secureNodesProps } from "./secure-nodes-props";
import { auditBackend, cloudAuditLedger } from "./audit";
import { cloudLedgerProps } from "./audit-props";
import { specStack } from "./spec-stack";

/** Azure: infra (resource group, VNet, DNS, VPN, Key Vault, AKS, data stores) and platform (in-cluster add-ons). */
export function azureStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (!isAzureSpec(spec)) throw new Error(`azureStacks needs an azure target, got ${spec.target.cloud}`);
  const provider = (stack: ByocStack) =>
    new AzurermProvider(stack, "azurerm", {
      features: [
        {
          resourceGroup: [{ preventDeletionIfContainsResources: true }],
          // A destroyed vault or key stays recoverable (soft delete), never purged by Terraform.
          keyVault: [{ purgeSoftDeleteOnDestroy: false, purgeSoftDeletedKeysOnDestroy: false }],
          // Storage accounts are closed to their data plane (no public network, no shared
          // keys); containers and policies go through Azure Resource Manager instead.
          storage: [{ dataPlaneAvailable: false }],
        },
      ],
      subscriptionId: spec.target.subscriptionId,
      // Data-plane calls use Entra ID, not storage account keys.
      storageUseAzuread: true,
    });

  const infra = specStack(scope, spec, "infra");
  provider(infra);
  const network = new AzureNetwork(infra, "Network", azureNetworkProps(spec));
  const dns = new AzureDns(infra, "Dns", azureDnsProps(spec, network));
  const vpnProps = azureVpnProps(spec, network);
  const vpn = vpnProps && new AzureSiteToSiteVpn(infra, "SiteToSiteVpn", vpnProps);
  const keys = new AzureKeys(infra, "Keys", azureKeysProps(spec, network));
  // The vault exists only after the network (it is reached through it): the flow logs' key comes after.
  network.encryptFlowLogs(keys.data);
  const cluster = new AksCluster(infra, "Cluster", aksClusterProps(spec, network, keys));
  keys.auditTo(cluster.logs.id);
  const ledger = cloudLedgerProps(spec);
  const data = new AzureDataLayer(infra, "Data", { ...azureDataProps(spec, network, keys, cluster.logs.id), audit: ledger !== undefined });
  const observability = observabilityProps(spec);
  if (observability) new AzureCloudAlerts(infra, "CloudAlerts", azureCloudAlertsProps(spec, { network, vpn, cluster, data, keys }));

  const platform = specStack(scope, spec, "platform");
  provider(platform);
  configureClusterProviders(platform, cluster.connection);
  const target = new AzurePlatformTarget(platform, "Target", { ...azureTargetProps(spec, network, keys), cluster, data, publicZone: dns.publicZone });
  const addons = new Platform(platform, "Platform", { ...platformProps(spec), target });
  const monitoring = observability && new Observability(platform, "Observability", { ...observability, target, secrets: addons.secrets, addons: addons.metrics });
  const auditNamespace = ledger && data.postgres && new PlatformNamespace(platform, "AuditNamespace", { name: "audit", component: "audit" });
  // The application's pods sign in as their own Entra principals (each tenant's identity).
  const applications = addons.dataAccess.filter((d) => d.postgresUser);
  const auditLogins =
    auditNamespace &&
    data.postgres &&
    new AzureAuditLogins(platform, "AuditLogins", {
      cluster,
      namespace: auditNamespace,
      server: { host: data.postgres.connection.host, entra: data.postgres },
      applicationLogins: applications.map((d) => d.postgresUser!),
    });
  // The tenants' principals exist before the migrator grants them audit_writer.
  const audit = ledger && auditNamespace && auditLogins && cloudAuditLedger(platform, spec, { ledger, namespace: auditNamespace, logins: auditLogins, target, dependsOn: applications.map((d) => d.serviceAccount) });
  auditBackend(platform, spec, {
    secrets: addons.secrets,
    metricsCrds: monitoring ? monitoring.metrics.crds : undefined,
    tenants: addons.tenants,
    stores: data.stores,
    ledger: audit ? audit.access : undefined,
  });
  const nodes = secureNodesProps(spec, target);
  if (nodes) new SecureNodes(platform, "SecureNodes", { ...nodes, target, secrets: addons.secrets, monitoring: monitoring && { crds: monitoring.metrics.crds, dependsOn: [monitoring.metrics.release] } });
  return [infra, platform];
}
