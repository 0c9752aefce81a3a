import { ManagedRedis } from "@cdktf/provider-azurerm/lib/managed-redis";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { ResourceGroupTemplateDeployment } from "@cdktf/provider-azurerm/lib/resource-group-template-deployment";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { TIERS } from "../config/tiers";
import { namingOf } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { AzureKeyIdentity } from "./azure-key-identity";
import { AzurePrivateEndpoint } from "./azure-private-endpoint";
import { type AzureStoreProps, type IAzureEntraLogin, type IAzureIdentity } from "./azure-store";
import type { DataStoreConnection } from "./data";
import { requireProp } from "../core/validate";

/** The cache's size. */
export interface AzureRedisOptions {
  /**
   * The Managed Redis SKU, e.g. Balanced_B5. Set at creation, then ignored: Azure
   * scales a cache up in place, outside Terraform (see the class comment).
   * @default - the small tier's, "Balanced_B1"
   */
  readonly nodeType?: string;
}

export interface AzureRedisProps extends AzureStoreProps, AzureRedisOptions {}

/**
 * Azure Managed Redis, the successor of Azure Cache for Redis (which Microsoft is
 * retiring, and whose Premium tier has no customer-managed key). TLS 1.2+ only (the
 * service enforces the minimum; the database speaks the encrypted protocol only),
 * access keys off so clients sign in with Entra ID (tenants' identities get an access
 * policy assignment in the platform stack), no public endpoint, disks (persistence,
 * OS) encrypted with `key`, hourly RDB persistence so a cache that loses both
 * nodes reloads its data.
 *
 * High availability is always on, whatever the tier: in azurerm 4.55 both `sku_name`
 * and `high_availability_enabled` force a new cache, and Azure cannot add HA to a
 * running cache, so HA cannot follow the tier; zones come with HA where the region has
 * them. The SKU is set at creation and then ignored: Azure scales a cache up in place
 * (`az redisenterprise update --sku`), which azurerm only does itself from 4.61.
 * prevent_destroy guards it; no delete lock, which would also block removing a
 * tenant's access policy assignment (a child of the cache), for data that is a cache.
 * Output: `host`.
 */
export class AzureRedis extends Construct implements IAzureEntraLogin {
  /** Managed Redis listens on 10000 only. */
  static readonly PORT = 10000;
  readonly cache: ManagedRedis;
  readonly connection: DataStoreConnection;
  readonly nodeType: string;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AzureRedisProps) {
    super(scope, id);
    requireProp(this, "nodeType", props.nodeType, (t) => /^(Balanced|ComputeOptimized|MemoryOptimized|FlashOptimized)_[A-Z]\d+$/.test(t), 'a Managed Redis SKU such as "Balanced_B5"');
    setComponent(this, "redis");
    const naming = namingOf(this, props.naming);
    const { network, key } = props;
    this.nodeType = props.nodeType ?? TIERS.small.data.redis.nodeType.azure;
    this.protection = props.protection ?? true;
    const resourceGroupName = network.resourceGroupName;
    const location = network.location;

    const cmk = new AzureKeyIdentity(this, "KeyIdentity", {
      name: naming.name("redis", "cmk", 128),
      resourceGroupName,
      location,
      key,
      service: "Redis",
    });

    this.cache = protect(
      new ManagedRedis(this, "Cache", {
        // Host names are global: the resource group id's hash makes the name unique and stable.
        name: Fn.join("-", [naming.name("redis", undefined, 54), Fn.substr(Fn.sha1(network.resourceGroupId), 0, 8)]),
        location,
        resourceGroupName,
        skuName: this.nodeType,
        highAvailabilityEnabled: true,
        publicNetworkAccess: "Disabled",
        identity: { type: "UserAssigned", identityIds: [cmk.identity.id] },
        // azurerm 4.55 takes a versioned key here: after a rotation the next apply moves
        // the cache to the new version in place, as AKS does with its etcd key.
        customerManagedKey: { keyVaultKeyId: key.id, userAssignedIdentityId: cmk.identity.id },
        defaultDatabase: {
          accessKeysAuthenticationEnabled: false,
          clientProtocol: "Encrypted",
          // One endpoint that any client (cluster-aware or not) uses, as on the other clouds.
          clusteringPolicy: "EnterpriseCluster",
          evictionPolicy: "VolatileLRU",
          persistenceRedisDatabaseBackupFrequency: "1h",
        },
        lifecycle: { ignoreChanges: ["sku_name"] },
        dependsOn: [cmk.grant],
      }),
      this.protection,
    );

    new AzurePrivateEndpoint(this, "PrivateEndpoint", {
      naming,
      network,
      name: "redis",
      resourceId: this.cache.id,
      subresource: "redisEnterprise",
      zoneName: "privatelink.redis.azure.net",
    });
    // Connection, disconnection and authentication events (failed ones too) are logged by the database.
    new MonitorDiagnosticSetting(this, "Logs", {
      name: "redis",
      targetResourceId: this.cache.defaultDatabase.id,
      logAnalyticsWorkspaceId: props.logsWorkspaceId,
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: [{ category: "ConnectionEvents" }],
      enabledMetric: [{ category: "AllMetrics" }],
    });

    this.connection = {
      kind: "redis",
      host: this.cache.hostname,
      port: AzureRedis.PORT,
      // The user name is the identity's object id, the password an Entra token.
      settings: { tls: "true", auth: "entra" },
    };
    constructOutput(this, "host", { value: this.cache.hostname, description: "The Redis host name, private to the VNet (TLS, port 10000)." });
  }

  /**
   * Lets a managed identity sign in with an Entra token under the database's `default`
   * access policy (read and write, no administration). azurerm 4.55 has no resource for
   * access policy assignments (azurerm_managed_redis_access_policy_assignment arrives in
   * 4.60), so an ARM template deployment creates it; destroying the deployment deletes
   * the assignment it created.
   */
  allowEntraLogin(scope: Construct, id: string, identity: IAzureIdentity): ResourceGroupTemplateDeployment {
    return new ResourceGroupTemplateDeployment(scope, id, {
      name: Fn.join("-", ["redis-access", Fn.substr(Fn.sha1(identity.id), 0, 16)]),
      resourceGroupName: this.cache.resourceGroupName,
      deploymentMode: "Incremental",
      templateContent: JSON.stringify(REDIS_ACCESS_TEMPLATE),
      parametersContent: Fn.jsonencode({ cache: { value: this.cache.name }, objectId: { value: identity.principalId } }),
    });
  }
}

/** One access policy assignment on the cache's default database, named after the principal. */
export const REDIS_ACCESS_TEMPLATE = {
  $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  contentVersion: "1.0.0.0",
  parameters: { cache: { type: "string" }, objectId: { type: "string" } },
  resources: [
    {
      type: "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments",
      apiVersion: "2025-07-01",
      name: "[format('{0}/default/{1}', parameters('cache'), replace(parameters('objectId'), '-', ''))]",
      properties: { accessPolicyName: "default", user: { objectId: "[parameters('objectId')]" } },
    },
  ],
};
