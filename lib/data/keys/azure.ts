import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultKey } from "@cdktf/provider-azurerm/lib/key-vault-key";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../../config/spec";
import type { Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { setComponent } from "../../core/tags";
import type { AzureNetwork } from "../../network/azure";

export interface AzureKeysProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AzureNetwork;
}

/**
 * The deployment's Key Vault and its customer-managed keys. The vault authorizes with
 * Azure RBAC only, keeps deleted keys 90 days under purge protection, and is reached the
 * way the API server is: with a private cluster it has no public endpoint at all, with
 * a public-restricted one its firewall admits the same allowlist. In both cases a
 * private endpoint serves the VNet (the cluster's pods and the site-to-site peers).
 *
 * Keys are created through the vault's data plane, so Terraform must reach the vault:
 * with a private cluster, run it from inside the network or over the VPN.
 */
export class AzureKeys extends Construct {
  readonly vault: KeyVault;
  /**
   * The key encrypting Kubernetes secrets in etcd (AKS KMS). Its `id` is versioned, as
   * AKS requires: after each automatic rotation the next plan moves the cluster to the
   * new version in place.
   */
  readonly etcd: KeyVaultKey;
  /** Rotate yearly, as the AWS keys do. */
  static readonly ROTATE_AFTER = "P365D";

  constructor(scope: Construct, id: string, props: AzureKeysProps) {
    super(scope, id);
    setComponent(this, "keys");
    const { spec, naming, network } = props;
    const resourceGroupName = network.resourceGroup.name;
    const location = network.location;
    const client = new DataAzurermClientConfig(this, "Client");
    const isPrivate = spec.cluster.endpoint === "private";

    this.vault = protect(
      new KeyVault(this, "Vault", {
        // Vault names are global (3-24 characters): a hash of the resource group id, which
        // holds the subscription, makes the name unique and stable, as for the flow-log account.
        name: Fn.join("", [naming.compact("kv", 16), Fn.substr(Fn.sha1(network.resourceGroup.id), 0, 8)]),
        location,
        resourceGroupName,
        tenantId: client.tenantId,
        skuName: "standard",
        rbacAuthorizationEnabled: true,
        purgeProtectionEnabled: true,
        softDeleteRetentionDays: 90,
        publicNetworkAccessEnabled: !isPrivate,
        networkAcls: {
          defaultAction: "Deny",
          bypass: "AzureServices",
          // The vault reports a single address without "/32"; writing it the same way keeps plans clean.
          ipRules: isPrivate ? [] : spec.cluster.allowedCidrs.map((c) => c.replace(/\/32$/, "")),
        },
      }),
    );

    // Terraform creates keys and their rotation policies through the data plane.
    const deployer = new RoleAssignment(this, "DeployerCryptoOfficer", {
      scope: this.vault.id,
      roleDefinitionName: "Key Vault Crypto Officer",
      principalId: client.objectId,
      description: "Lets the deployer create and rotate this deployment's keys.",
    });
    const endpoint = this.privateEndpoint(naming, network);

    this.etcd = protect(
      new KeyVaultKey(this, "EtcdKey", {
        name: naming.name("etcd", undefined, 127),
        keyVaultId: this.vault.id,
        keyType: "RSA",
        keySize: 2048,
        // The KMS plugin only wraps and unwraps data keys with encrypt/decrypt.
        keyOpts: ["encrypt", "decrypt"],
        // No expiry: AKS KMS stops working on an expired version, and it keeps reading
        // the version it was given until the next apply moves it to the rotated one.
        rotationPolicy: { automatic: { timeAfterCreation: AzureKeys.ROTATE_AFTER } },
        dependsOn: [deployer, ...endpoint],
      }),
    );
  }

  /** Sends the vault's audit events (every key and secret access) to a Log Analytics workspace. */
  auditTo(workspaceId: string): MonitorDiagnosticSetting {
    return new MonitorDiagnosticSetting(this, "VaultAudit", {
      name: "audit",
      targetResourceId: this.vault.id,
      logAnalyticsWorkspaceId: workspaceId,
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: [{ categoryGroup: "audit" }],
    });
  }

  /**
   * A private endpoint in the private-endpoints subnet with its DNS zone linked to the
   * VNet, so the vault's own name resolves to the private address inside the network.
   * Returns what key creation waits for: the endpoint and its DNS record.
   */
  private privateEndpoint(naming: Naming, network: AzureNetwork): ITerraformDependable[] {
    const resourceGroupName = network.resourceGroup.name;
    const zone = new PrivateDnsZone(this, "VaultZone", { name: "privatelink.vaultcore.azure.net", resourceGroupName });
    const link = new PrivateDnsZoneVirtualNetworkLink(this, "VaultZoneLink", {
      name: naming.name("kv", "vnet-link", 80),
      resourceGroupName,
      privateDnsZoneName: zone.name,
      virtualNetworkId: network.vnet.id,
      registrationEnabled: false,
    });
    const endpoint = new PrivateEndpoint(this, "VaultEndpoint", {
      name: naming.name("kv", "pe", 80),
      location: network.location,
      resourceGroupName,
      subnetId: network.privateEndpointsSubnet.id,
      privateServiceConnection: {
        name: naming.name("kv", "psc", 80),
        privateConnectionResourceId: this.vault.id,
        subresourceNames: ["vault"],
        isManualConnection: false,
      },
      privateDnsZoneGroup: { name: "vault", privateDnsZoneIds: [zone.id] },
    });
    return [endpoint, link];
  }
}
