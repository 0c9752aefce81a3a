import { DataAzurermKeyVaultSecret } from "@cdktf/provider-azurerm/lib/data-azurerm-key-vault-secret";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { MongoCluster } from "@cdktf/provider-azurerm/lib/mongo-cluster";
import { MongoClusterUser } from "@cdktf/provider-azurerm/lib/mongo-cluster-user";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import type { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { AzureNetwork } from "../network/azure";
import { AzureKeyIdentity } from "./azure-key-identity";
import { deleteLock } from "./azure-lock";
import { AzurePrivateEndpoint } from "./azure-private-endpoint";
import type { DataStoreConnection } from "./data";
import type { AzureKeys } from "./keys/azure";

export interface AzureDocumentsProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly network: AzureNetwork;
  readonly keys: AzureKeys;
  /** The Log Analytics workspace request logs go to. */
  readonly logsWorkspaceId: string;
}

/** Compute tiers without resource logs (burstable and the smallest tiers). */
const TIERS_WITHOUT_LOGS = ["Free", "M10", "M20", "M25", "M30"];

/**
 * Azure Cosmos DB for MongoDB (vCore), now Azure DocumentDB: a MongoDB-compatible
 * cluster sized in vCores like the other clouds' instance classes, rather than the
 * request-unit account, because vCore signs clients in with Microsoft Entra ID (the
 * RU API for MongoDB only knows keys) and takes a customer-managed key. Native
 * (password) authentication is off; the administrator the service insists on at
 * creation gets a generated password kept in the deployment's vault for break-glass.
 * No public endpoint: a private endpoint in the VNet. TLS is always on (1.2+), backups
 * are continuous with 35 days of point-in-time restore, and `instances > 1` (medium,
 * large) adds a standby in another zone in place. Stays in one region: a cross-region
 * replica would double the cost and needs a preview flag that replaces the cluster.
 */
export class AzureDocuments extends Construct {
  /** vCore's MongoDB wire-protocol port. */
  static readonly PORT = 10260;
  /** Initial disk; it grows in place and never shrinks. */
  static readonly STORAGE_GB = 128;
  readonly cluster: MongoCluster;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: AzureDocumentsProps) {
    super(scope, id);
    setComponent(this, "documents");
    const { spec, naming, network, keys } = props;
    const documents = spec.data.documents;
    if (!documents?.instanceClass) throw new Error("AzureDocuments needs data.documents with an instance class");
    const resourceGroupName = network.resourceGroup.name;
    const location = network.location;
    const protection = spec.data.protection;

    const cmk = new AzureKeyIdentity(this, "KeyIdentity", {
      name: naming.name("documents", "cmk", 128),
      resourceGroupName,
      location,
      key: keys.data,
      service: "the document database",
    });

    // The service requires an administrator and password at creation even when only
    // Entra ID may sign in. Terraform generates it (uuid(), 122 random bits) into the
    // vault and reads it back, so no literal exists anywhere; it does sit in the
    // (encrypted) state of this stack. ignore_changes keeps the first value.
    const secret = new KeyVaultSecret(this, "AdminPassword", {
      name: naming.name("documents", "admin-password", 127),
      keyVaultId: keys.vault.id,
      value: Fn.uuid(),
      contentType: "password",
      lifecycle: { ignoreChanges: ["value"] },
      dependsOn: keys.dataPlaneReady,
    });
    const password = new DataAzurermKeyVaultSecret(this, "AdminPasswordValue", { name: secret.name, keyVaultId: keys.vault.id, dependsOn: [secret] });

    this.cluster = protect(
      new MongoCluster(this, "Cluster", {
        // Cluster names are global DNS names: the resource group id's hash makes it unique and stable.
        name: Fn.join("-", [naming.name("documents", undefined, 31), Fn.substr(Fn.sha1(network.resourceGroup.id), 0, 8)]),
        location,
        resourceGroupName,
        version: "8.0",
        computeTier: documents.instanceClass,
        storageSizeInGb: AzureDocuments.STORAGE_GB,
        shardCount: 1,
        // In place: a standby in another zone where the region has zones.
        highAvailabilityMode: documents.instances > 1 ? "ZoneRedundantPreferred" : "Disabled",
        administratorUsername: "clusteradmin",
        administratorPassword: password.value,
        authenticationMethods: ["MicrosoftEntraID"],
        publicNetworkAccess: "Disabled",
        identity: { type: "UserAssigned", identityIds: [cmk.identity.id] },
        customerManagedKey: { keyVaultKeyId: keys.data.versionlessId, userAssignedIdentityId: cmk.identity.id },
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
    if (!TIERS_WITHOUT_LOGS.includes(documents.instanceClass)) {
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
      database: spec.name,
      // mongodb+srv with TLS, an Entra token through the driver's OIDC mechanism (Azure
      // provider); vCore does not support retryable writes.
      settings: { tls: "true", srv: "true", auth: "entra", authMechanism: "MONGODB-OIDC", retryWrites: "false" },
    };
  }

  /**
   * Lets a managed identity sign in with an Entra token. vCore offers a single role for
   * Entra principals, `root` on `admin`; per-database roles need native users.
   */
  allowEntraLogin(scope: Construct, id: string, identity: UserAssignedIdentity): MongoClusterUser {
    return new MongoClusterUser(scope, id, {
      mongoClusterId: this.cluster.id,
      objectId: identity.principalId,
      identityProviderType: "MicrosoftEntraID",
      principalType: "servicePrincipal",
      role: [{ database: "admin", name: "root" }],
    });
  }
}
