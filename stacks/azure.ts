import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Construct } from "constructs";
import type { DeploymentSpec } from "../lib/config/spec";
import { ByocStack } from "../lib/core/stack";
import { AzureDns } from "../lib/dns/azure";
import { AzureNetwork } from "../lib/network/azure";
import { AzureSiteToSiteVpn } from "../lib/vpn/azure";

/** Azure: infra (resource group, VNet, DNS, VPN) and platform (in-cluster add-ons, once the cluster lands). */
export function azureStacks(scope: Construct, spec: DeploymentSpec): ByocStack[] {
  if (spec.target.cloud !== "azure") throw new Error(`azureStacks needs an azure target, got ${spec.target.cloud}`);
  const target = spec.target;
  const provider = (stack: ByocStack) =>
    new AzurermProvider(stack, "azurerm", {
      features: [{ resourceGroup: [{ preventDeletionIfContainsResources: true }] }],
      subscriptionId: target.subscriptionId,
      // Data-plane calls use Entra ID, not storage account keys.
      storageUseAzuread: true,
    });

  const infra = new ByocStack(scope, spec, "infra");
  provider(infra);
  const network = new AzureNetwork(infra, "Network", { spec, location: target.region, naming: infra.naming });
  new AzureDns(infra, "Dns", { spec, naming: infra.naming, network });
  if (spec.network.peers.length > 0 && target.keyVaultId) {
    new AzureSiteToSiteVpn(infra, "SiteToSiteVpn", {
      naming: infra.naming,
      network,
      peers: spec.network.peers,
      keyVaultId: target.keyVaultId,
      tier: spec.tier,
    });
  }

  const platform = new ByocStack(scope, spec, "platform");
  provider(platform);
  return [infra, platform];
}
