import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultKey } from "@cdktf/provider-azurerm/lib/key-vault-key";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Fn, Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { pairedRegion } from "../../config/azure-pairs";
import { parseIpv4Cidr } from "../../core/cidr";
import { namingOf, type Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { setComponent } from "../../core/tags";
import type { IAzureNetwork } from "../../network/azure";
import { label, requireProp } from "../../core/validate";

/**
 * A Key Vault key for one purpose: the kit's (an AzureKeys member), an existing key read
 * with `DataAzurermKeyVaultKey`, or one given by ids (`AzureKeys.fromKeyAttributes`).
 */
export interface IAzureKey {
  /** The versioned id, `https://<vault>.vault.azure.net/keys/<name>/<version>`: what AKS KMS and Managed Redis take. */
  readonly id: string;
  /** The versionless id: services that take it follow rotations by themselves. */
  readonly versionlessId: string;
  /** The key's resource id, `<vault id>/keys/<name>`: the scope of a role on this key alone. */
  readonly resourceVersionlessId: string;
}

/** A Key Vault as the kit uses it: the kit's (AzureKeys) or an existing one (`AzureKeys.vaultFromId`). */
export interface IAzureKeyVault {
  /** The vault's resource id. */
  readonly keyVaultId: string;
  /** Its data-plane URI, `https://<name>.vault.azure.net/`. */
  readonly vaultUri: string;
  /**
   * What writing keys or secrets to the vault waits for (the deployer's roles, the
   * private endpoint). Absent for a vault that is ready.
   */
  readonly dataPlaneReady?: ITerraformDependable[];
}

/** An existing key by its vault, name and version. */
export interface AzureKeyAttributes {
  /** The vault's resource id, `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>`. */
  readonly keyVaultId: string;
  readonly name: string;
  /** The version AKS KMS and Managed Redis use; services taking the versionless id follow rotations anyway. */
  readonly version: string;
}

export interface AzureKeysProps {
  /** The vault's resource group and region; its private endpoint goes in the private-endpoints subnet. */
  readonly network: IAzureNetwork;
  /**
   * Public ranges the vault's firewall admits (a public-restricted API server's
   * allowlist, so Terraform run from there reaches the data plane). Empty: the vault
   * has no public endpoint at all.
   * @default []
   */
  readonly allowedCidrs?: string[];
  /** `prevent_destroy` on the data keys (the vault and the etcd key always refuse destroy). @default true */
  readonly protection?: boolean;
  /**
   * Lets the deployer write secrets too (Key Vault Secrets Officer), for generated
   * service passwords such as the document database administrator's.
   * @default false
   */
  readonly deployerWritesSecrets?: boolean;
  /**
   * Also keeps a vault and data key in the region's pair (`geo`), which PostgreSQL's
   * geo-redundant backups are encrypted with.
   * @default false
   */
  readonly disasterRecovery?: boolean;
  /** Names the vaults and keys. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
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
 * way the API server is: with no `allowedCidrs` it has no public endpoint at all, with
 * some its firewall admits exactly those. In both cases a private endpoint serves the
 * VNet (the cluster's pods and the site-to-site peers). Azure services that hold a
 * customer-managed key (PostgreSQL, Storage) pass the firewall as trusted services,
 * with their own identity's role on the key.
 *
 * Keys are created through the vault's data plane, so Terraform must reach the vault:
 * with a private vault, run it from inside the network or over the VPN.
 */
export class AzureKeys extends Construct implements IAzureKeyVault {
  readonly vault: KeyVault;
  readonly keyVaultId: string;
  readonly vaultUri: string;
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
  /** With `disasterRecovery`: the paired region's vault and key. @default none */
  readonly geo?: AzureGeoKeys;
  /**
   * What writing to the vault's data plane waits for: the deployer's roles and the
   * private endpoint (with `deployerWritesSecrets`, the right to write secrets too).
   */
  readonly dataPlaneReady: ITerraformDependable[];
  readonly allowedCidrs: string[];
  readonly protection: boolean;
  /** Rotate yearly, as the AWS keys do. */
  static readonly ROTATE_AFTER = "P365D";
  /** The role a service identity needs to wrap and unwrap with a key, nothing more. */
  static readonly SERVICE_ENCRYPTION_ROLE = "Key Vault Crypto Service Encryption User";

  /**
   * An existing key given by ids, for a store or cluster of the kit. The URIs are the
   * public cloud's (`vault.azure.net`); elsewhere read the key with DataAzurermKeyVaultKey.
   */
  static fromKeyAttributes(attrs: AzureKeyAttributes): IAzureKey {
    const versionlessId = `${AzureKeys.vaultFromId(attrs.keyVaultId).vaultUri}keys/${attrs.name}`;
    return { id: `${versionlessId}/${attrs.version}`, versionlessId, resourceVersionlessId: `${attrs.keyVaultId}/keys/${attrs.name}` };
  }

  /** An existing vault by its resource id (its last segment is the vault's name); public cloud URIs. */
  static vaultFromId(keyVaultId: string): IAzureKeyVault {
    const name = Token.isUnresolved(keyVaultId) ? Fn.element(Fn.split("/", keyVaultId), 8) : keyVaultId.split("/").at(-1);
    return { keyVaultId, vaultUri: `https://${name}.vault.azure.net/` };
  }

  private readonly zone: PrivateDnsZone;
  private readonly zoneLink: PrivateDnsZoneVirtualNetworkLink;
  private readonly client: DataAzurermClientConfig;

  constructor(scope: Construct, id: string, props: AzureKeysProps) {
    super(scope, id);
    requireProp(this, "allowedCidrs", props.allowedCidrs, (cidrs) => cidrs.every((c) => Token.isUnresolved(c) || parseIpv4Cidr(c) !== undefined), "a list of IPv4 ranges such as 203.0.113.0/24");
    setComponent(this, "keys");
    const naming = namingOf(this, props.naming);
    const { network } = props;
    this.allowedCidrs = props.allowedCidrs ?? [];
    this.protection = props.protection ?? true;
    this.client = new DataAzurermClientConfig(this, "Client");

    this.vault = this.keyVault("Vault", naming.compact("kv", 16), network.location, network);
    this.keyVaultId = this.vault.id;
    this.vaultUri = this.vault.vaultUri;
    // Terraform creates keys and their rotation policies through the data plane.
    const deployer = this.deployerCryptoOfficer("DeployerCryptoOfficer", this.vault);
    const resourceGroupName = network.resourceGroupName;
    this.zone = new PrivateDnsZone(this, "VaultZone", { name: "privatelink.vaultcore.azure.net", resourceGroupName });
    this.zoneLink = new PrivateDnsZoneVirtualNetworkLink(this, "VaultZoneLink", {
      name: naming.name("kv", "vnet-link", 80),
      resourceGroupName,
      privateDnsZoneName: this.zone.name,
      virtualNetworkId: network.vnetId,
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

    this.dataPlaneReady = props.deployerWritesSecrets
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
    if (props.disasterRecovery) {
      if (Token.isUnresolved(network.location)) throw new Error(`${label(this)}: disasterRecovery needs network.location as a literal region, to find its pair`);
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

  private keyVault(id: string, prefix: string, location: string, network: IAzureNetwork): KeyVault {
    const isPrivate = this.allowedCidrs.length === 0;
    return protect(
      new KeyVault(this, id, {
        // Vault names are global (3-24 characters): a hash of the resource group id, which
        // holds the subscription, makes the name unique and stable, as for the flow-log account.
        name: Fn.join("", [prefix, Fn.substr(Fn.sha1(network.resourceGroupId), 0, 8)]),
        location,
        resourceGroupName: network.resourceGroupName,
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
          ipRules: this.allowedCidrs.map((c) => c.replace(/\/32$/, "")),
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
      this.protection,
    );
  }

  /**
   * A private endpoint in the private-endpoints subnet, registered in the vault zone
   * linked to the VNet, so the vault's own name resolves to the private address inside
   * the network (a vault in another region too). Returns what key creation waits for.
   */
  private privateEndpoint(id: string, prefix: string, vault: KeyVault, naming: Naming, network: IAzureNetwork): ITerraformDependable[] {
    const endpoint = new PrivateEndpoint(this, id, {
      name: naming.name(prefix, "pe", 80),
      location: network.location,
      resourceGroupName: network.resourceGroupName,
      subnetId: network.privateEndpointsSubnetId,
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
