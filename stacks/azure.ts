import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Construct } from "constructs";
import { AksCluster } from "../lib/cluster/aks";
import { configureClusterProviders } from "../lib/cluster/providers";
import type { DeploymentSpec } from "../lib/config/spec";
import type { ByocStack } from "../lib/core/stack";
import { specStack } from "./spec-stack";
import { AzureDataLayer } from "../lib/data/azure";
import { AzureKeys } from "../lib/data/keys/azure";
import { AzureDns } from "../lib/dns/azure";
import { AzureNetwork } from "../lib/network/azure";
import { Platform } from "../lib/platform/platform";
import { AzurePlatformTarget } from "../lib/platform/targets/azure";
import { AzureSiteToSiteVpn } from "../lib/vpn/azure";

/** Azure: infra (resource group, VNet, DNS, VPN, Key Vault, AKS, data stores) and platform (in-cluster add-ons). */
export function azureStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "azure") throw new Error(`azureStacks needs an azure target, got ${spec.target.cloud}`);
  const target = spec.target;
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
      subscriptionId: target.subscriptionId,
      // Data-plane calls use Entra ID, not storage account keys.
      storageUseAzuread: true,
    });

  const infra = specStack(scope, spec, "infra");
  provider(infra);
  const naming = infra.naming;
  const network = new AzureNetwork(infra, "Network", { spec, location: target.region, naming });
  const dns = new AzureDns(infra, "Dns", { spec, naming, network });
  if (spec.network.peers.length > 0 && target.keyVaultId) {
    new AzureSiteToSiteVpn(infra, "SiteToSiteVpn", {
      naming,
      network,
      peers: spec.network.peers,
      keyVaultId: target.keyVaultId,
      tier: spec.tier,
    });
  }
  const keys = new AzureKeys(infra, "Keys", { spec, naming, network });
  const cluster = new AksCluster(infra, "Cluster", { spec, naming, network, keys });
  keys.auditTo(cluster.logs.id);
  const data = new AzureDataLayer(infra, "Data", { spec, naming, network, keys, logsWorkspaceId: cluster.logs.id });

  const platform = specStack(scope, spec, "platform");
  provider(platform);
  configureClusterProviders(platform, cluster.connection);
  const platformTarget = new AzurePlatformTarget(platform, "Target", { spec, cluster, keys, dns, data });
  new Platform(platform, "Platform", { spec, target: platformTarget });
  return [infra, platform];
}
