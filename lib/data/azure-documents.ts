import { DataAzurermKeyVaultSecret } from "@cdktf/provider-azurerm/lib/data-azurerm-key-vault-secret";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { MongoCluster } from "@cdktf/provider-azurerm/lib/mongo-cluster";
import { MongoClusterUser } from "@cdktf/provider-azurerm/lib/mongo-cluster-user";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { TIERS } from "../config/tiers";
import { namingOf } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { AzureKeyIdentity } from "./azure-key-identity";
import { deleteLock } from "./azure-lock";
import { AzurePrivateEndpoint } from "./azure-private-endpoint";
import { type AzureStoreProps, type IAzureEntraLogin, type IAzureIdentity } from "./azure-store";
import type { DataStoreConnection } from "./data";
import type { IAzureKeyVault } from "./keys/azure";
import { requireProp } from "../core/validate";

/** The cluster's size; every one defaults to the small tier's. */
export interface AzureDocumentsOptions {
  /** The vCore compute tier, e.g. M40. @default - the small tier's, "M30" */
  readonly instanceClass?: string;
  /** A standby in another zone, added in place. @default - the small tier's, false */
  readonly ha?: boolean;
  /** The database applications use. @default - the deployment name */
  readonly database?: string;
}

export interface AzureDocumentsProps extends AzureStoreProps, AzureDocumentsOptions {
  /**
   * Where the administrator password the service insists on is generated and kept
   * (break-glass): a vault the deployer may write secrets to. Its `dataPlaneReady` is
   * waited for.
   */
  readonly adminPasswordVault: IAzureKeyVault;
}

/** Compute tiers without resource logs (burstable and the smallest tiers). */
const TIERS_WITHOUT_LOGS = ["Free", "M10", "M20", "M25", "M30"];
const SMALL = TIERS.small.data.documents;

/**
 * Azure Cosmos DB for MongoDB (vCore), now Azure DocumentDB: a MongoDB-compatible
 * cluster sized in vCores like the other clouds' instance classes, rather than the
 * request-unit account, because vCore signs clients in with Microsoft Entra ID (the
 * RU API for MongoDB only knows keys) and takes a customer-managed key. Native
 * (password) authentication is off; the administrator the service insists on at
 * creation gets a generated password kept in `adminPasswordVault` for break-glass.
 * No public endpoint: a private endpoint in the VNet. TLS is always on (1.2+), backups
 * are continuous with 35 days of point-in-time restore, and `ha` adds a standby in
 * another zone in place. Stays in one region: a cross-region replica would double the
 * cost and needs a preview flag that replaces the cluster. Output: `host`.
 */
export class AzureDocuments extends Construct implements IAzureEntraLogin {
  /** vCore's MongoDB wire-protocol port. */
  static readonly PORT = 10260;
  /** Initial disk; it grows in place and never shrinks. */
  static readonly STORAGE_GB = 128;
  readonly cluster: MongoCluster;
  readonly connection: DataStoreConnection;
  readonly instanceClass: string;
  readonly ha: boolean;
  readonly databaseName: string;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AzureDocumentsProps) {
    super(scope, id);
    requireProp(this, "instanceClass", props.instanceClass, (c) => /^(Free|M\d+)$/.test(c), 'a vCore compute tier such as "M40"');
    setComponent(this, "documents");
    const naming = namingOf(this, props.naming);
    const { network, key, adminPasswordVault: vault } = props;
    this.instanceClass = props.instanceClass ?? SMALL.instanceClass.azure ?? "M30";
    this.ha = props.ha ?? SMALL.instances > 1;
    this.databaseName = props.database ?? naming.deployment;
    this.protection = props.protection ?? true;
    const resourceGroupName = network.resourceGroupName;
    const location = network.location;
    const protection = this.protection;

    const cmk = new AzureKeyIdentity(this, "KeyIdentity", {
      name: naming.name("documents", "cmk", 128),
      resourceGroupName,
      location,
      key,
      service: "the document database",
    });

    // The service requires an administrator and password at creation even when only
    // Entra ID may sign in. Terraform generates it (uuid(), 122 random bits) into the
    // vault and reads it back, so no literal exists anywhere; it does sit in the
    // (encrypted) state of this stack. ignore_changes keeps the first value.
    const secret = new KeyVaultSecret(this, "AdminPassword", {
      name: naming.name("documents", "admin-password", 127),
      keyVaultId: vault.keyVaultId,
      value: Fn.uuid(),
      contentType: "password",
      lifecycle: { ignoreChanges: ["value"] },
      dependsOn: vault.dataPlaneReady,
    });
    const password = new DataAzurermKeyVaultSecret(this, "AdminPasswordValue", { name: secret.name, keyVaultId: vault.keyVaultId, dependsOn: [secret] });

    this.cluster = protect(
      new MongoCluster(this, "Cluster", {
        // Cluster names are global DNS names: the resource group id's hash makes it unique and stable.
        name: Fn.join("-", [naming.name("documents", undefined, 31), Fn.substr(Fn.sha1(network.resourceGroupId), 0, 8)]),
        location,
        resourceGroupName,
        version: "8.0",
        computeTier: this.instanceClass,
        storageSizeInGb: AzureDocuments.STORAGE_GB,
        shardCount: 1,
        // In place: a standby in another zone where the region has zones.
        highAvailabilityMode: this.ha ? "ZoneRedundantPreferred" : "Disabled",
        administratorUsername: "clusteradmin",
        administratorPassword: password.value,
        authenticationMethods: ["MicrosoftEntraID"],
        publicNetworkAccess: "Disabled",
        identity: { type: "UserAssigned", identityIds: [cmk.identity.id] },
        customerManagedKey: { keyVaultKeyId: key.versionlessId, userAssignedIdentityId: cmk.identity.id },
        dependsOn: [cmk.grant],
      }),
      protection,
    );

    new AzurePrivateEndpoint(this, "PrivateEndpoint", {
      naming,
      network,
      name: "documents",
      resourceId: this.cluster.id,
      subresource: "MongoCluster",
      zoneName: "privatelink.mongocluster.cosmos.azure.com",
    });
    if (!TIERS_WITHOUT_LOGS.includes(this.instanceClass)) {
      new MonitorDiagnosticSetting(this, "Logs", {
        name: "documents",
        targetResourceId: this.cluster.id,
        logAnalyticsWorkspaceId: props.logsWorkspaceId,
        logAnalyticsDestinationType: "Dedicated",
        enabledLog: [{ category: "vCoreMongoRequests" }],
        enabledMetric: [{ category: "AllMetrics" }],
      });
    }
    deleteLock(this, "Lock", { name: naming.name("documents", "lock", 90), resourceId: this.cluster.id, protection, what: "the document database" });

    this.connection = {
      kind: "documents",
      host: `${this.cluster.name}.global.mongocluster.cosmos.azure.com`,
      port: AzureDocuments.PORT,
      database: this.databaseName,
      // mongodb+srv with TLS, an Entra token through the driver's OIDC mechanism (Azure
      // provider); vCore does not support retryable writes.
      settings: { tls: "true", srv: "true", auth: "entra", authMechanism: "MONGODB-OIDC", retryWrites: "false" },
    };
    constructOutput(this, "host", { value: this.connection.host, description: "The document database's host name (mongodb+srv), private to the VNet." });
  }

  /**
   * Lets a managed identity sign in with an Entra token. vCore offers a single role for
   * Entra principals, `root` on `admin`; per-database roles need native users.
   */
  allowEntraLogin(scope: Construct, id: string, identity: IAzureIdentity): MongoClusterUser {
    return new MongoClusterUser(scope, id, {
      mongoClusterId: this.cluster.id,
      objectId: identity.principalId,
      identityProviderType: "MicrosoftEntraID",
      principalType: "servicePrincipal",
      role: [{ database: "admin", name: "root" }],
    });
  }
}
