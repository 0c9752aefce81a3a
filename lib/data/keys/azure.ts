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
import { pairedRegion } from "../../config/azure-pairs";

export interface AzureKeysProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AzureNetwork;
}

/** A vault in the region's pair and its data key: PostgreSQL encrypts its geo-redundant backups there. */
export interface AzureGeoKeys {
  readonly location: string;
  readonly vault: KeyVault;
  readonly data: KeyVaultKey;
}

/**
 * The deployment's Key Vault and its customer-managed keys. The vault authorizes with
 * Azure RBAC only, keeps deleted keys 90 days under purge protection, and is reached the
 * way the API server is: with a private cluster it has no public endpoint at all, with
 * a public-restricted one its firewall admits the same allowlist. In both cases a
 * private endpoint serves the VNet (the cluster's pods and the site-to-site peers).
 * Azure services that hold a customer-managed key (PostgreSQL, Storage) pass the
 * firewall as trusted services, with their own identity's role on the key.
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
  /**
   * The key wrapping the data stores' encryption keys: PostgreSQL, the document
   * database, Redis and the storage account, each through its own identity.
   */
  readonly data: KeyVaultKey;
  /** With disaster recovery and PostgreSQL: the paired region's vault and key. @default none */
  readonly geo?: AzureGeoKeys;
  /**
   * What writing to the vault's data plane waits for: the deployer's roles and the
   * private endpoint (with a document database, the right to write secrets too).
   */
  readonly dataPlaneReady: ITerraformDependable[];
  /** Rotate yearly, as the AWS keys do. */
  static readonly ROTATE_AFTER = "P365D";
  /** The role a service identity needs to wrap and unwrap with a key, nothing more. */
  static readonly SERVICE_ENCRYPTION_ROLE = "Key Vault Crypto Service Encryption User";

  private readonly zone: PrivateDnsZone;
  private readonly zoneLink: PrivateDnsZoneVirtualNetworkLink;
  private readonly client: DataAzurermClientConfig;
  private readonly spec: DeploymentSpec;

  constructor(scope: Construct, id: string, props: AzureKeysProps) {
    super(scope, id);
    setComponent(this, "keys");
    const { spec, naming, network } = props;
    this.spec = spec;
    this.client = new DataAzurermClientConfig(this, "Client");

    this.vault = this.keyVault("Vault", naming.compact("kv", 16), network.location, network);
    // Terraform creates keys and their rotation policies through the data plane.
    const deployer = this.deployerCryptoOfficer("DeployerCryptoOfficer", this.vault);
    const resourceGroupName = network.resourceGroup.name;
    this.zone = new PrivateDnsZone(this, "VaultZone", { name: "privatelink.vaultcore.azure.net", resourceGroupName });
    this.zoneLink = new PrivateDnsZoneVirtualNetworkLink(this, "VaultZoneLink", {
      name: naming.name("kv", "vnet-link", 80),
      resourceGroupName,
      privateDnsZoneName: this.zone.name,
      virtualNetworkId: network.vnet.id,
      registrationEnabled: false,
    });
    const ready = [deployer, ...this.privateEndpoint("VaultEndpoint", "kv", this.vault, naming, network)];

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
        dependsOn: ready,
      }),
    );
    this.data = this.dataKey("DataKey", naming.name("data", undefined, 127), this.vault, ready);

    // The document database's administrator password is generated into this vault.
    this.dataPlaneReady = spec.data.documents
      ? [
          ...ready,
          new RoleAssignment(this, "DeployerSecretsOfficer", {
            scope: this.vault.id,
            roleDefinitionName: "Key Vault Secrets Officer",
            principalId: this.client.objectId,
            description: "Lets the deployer keep generated service passwords in this vault.",
          }),
        ]
      : ready;

    // PostgreSQL encrypts geo-redundant backups with a key in a vault of the paired
    // region, which it reaches through its own identity there.
    if (spec.data.disasterRecovery && spec.data.postgres) {
      const location = pairedRegion(network.location);
      const vault = this.keyVault("GeoVault", naming.compact("kvgeo", 16), location, network);
      const geoDeployer = this.deployerCryptoOfficer("GeoDeployerCryptoOfficer", vault);
      const geoReady = [geoDeployer, ...this.privateEndpoint("GeoVaultEndpoint", "kv-geo", vault, naming, network)];
      this.geo = { location, vault, data: this.dataKey("GeoDataKey", naming.name("data-geo", undefined, 127), vault, geoReady) };
    }
  }

  /** Sends the vaults' audit events (every key and secret access) to a Log Analytics workspace. */
  auditTo(workspaceId: string): MonitorDiagnosticSetting {
    if (this.geo) this.audit("GeoVaultAudit", this.geo.vault, workspaceId);
    return this.audit("VaultAudit", this.vault, workspaceId);
  }

  private audit(id: string, vault: KeyVault, workspaceId: string): MonitorDiagnosticSetting {
    return new MonitorDiagnosticSetting(this, id, {
      name: "audit",
      targetResourceId: vault.id,
      logAnalyticsWorkspaceId: workspaceId,
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: [{ categoryGroup: "audit" }],
    });
  }

  private keyVault(id: string, prefix: string, location: string, network: AzureNetwork): KeyVault {
    const isPrivate = this.spec.cluster.endpoint === "private";
    return protect(
      new KeyVault(this, id, {
        // Vault names are global (3-24 characters): a hash of the resource group id, which
        // holds the subscription, makes the name unique and stable, as for the flow-log account.
        name: Fn.join("", [prefix, Fn.substr(Fn.sha1(network.resourceGroup.id), 0, 8)]),
        location,
        resourceGroupName: network.resourceGroup.name,
        tenantId: this.client.tenantId,
        skuName: "standard",
        rbacAuthorizationEnabled: true,
        purgeProtectionEnabled: true,
        softDeleteRetentionDays: 90,
        publicNetworkAccessEnabled: !isPrivate,
        networkAcls: {
          defaultAction: "Deny",
          bypass: "AzureServices",
          // The vault reports a single address without "/32"; writing it the same way keeps plans clean.
          ipRules: isPrivate ? [] : this.spec.cluster.allowedCidrs.map((c) => c.replace(/\/32$/, "")),
        },
      }),
    );
  }

  private deployerCryptoOfficer(id: string, vault: KeyVault): RoleAssignment {
    return new RoleAssignment(this, id, {
      scope: vault.id,
      roleDefinitionName: "Key Vault Crypto Officer",
      principalId: this.client.objectId,
      description: "Lets the deployer create and rotate this deployment's keys.",
    });
  }

  /**
   * An RSA key that services use to wrap their data encryption keys, rotated yearly.
   * Versions never expire: a service still holding an older version keeps working.
   * Services take its versionless id and follow rotations by themselves.
   */
  private dataKey(id: string, name: string, vault: KeyVault, dependsOn: ITerraformDependable[]): KeyVaultKey {
    return protect(
      new KeyVaultKey(this, id, {
        name,
        keyVaultId: vault.id,
        keyType: "RSA",
        keySize: 3072,
        keyOpts: ["wrapKey", "unwrapKey"],
        rotationPolicy: { automatic: { timeAfterCreation: AzureKeys.ROTATE_AFTER } },
        dependsOn,
      }),
      this.spec.data.protection,
    );
  }

  /**
   * A private endpoint in the private-endpoints subnet, registered in the vault zone
   * linked to the VNet, so the vault's own name resolves to the private address inside
   * the network (a vault in another region too). Returns what key creation waits for.
   */
  private privateEndpoint(id: string, prefix: string, vault: KeyVault, naming: Naming, network: AzureNetwork): ITerraformDependable[] {
    const endpoint = new PrivateEndpoint(this, id, {
      name: naming.name(prefix, "pe", 80),
      location: network.location,
      resourceGroupName: network.resourceGroup.name,
      subnetId: network.privateEndpointsSubnet.id,
      privateServiceConnection: {
        name: naming.name(prefix, "psc", 80),
        privateConnectionResourceId: vault.id,
        subresourceNames: ["vault"],
        isManualConnection: false,
      },
      privateDnsZoneGroup: { name: "vault", privateDnsZoneIds: [this.zone.id] },
    });
    return [endpoint, this.zoneLink];
  }
}
