import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { StorageManagementPolicy } from "@cdktf/provider-azurerm/lib/storage-management-policy";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { azurePair } from "../config/azure-pairs";
import { namingOf } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { AzureKeyIdentity } from "./azure-key-identity";
import { deleteLock } from "./azure-lock";
import { AzurePrivateEndpoint } from "./azure-private-endpoint";
import { type AzureStoreProps } from "./azure-store";
import type { BucketRef } from "./data";
import { label, requireProp } from "../core/validate";

/** The containers and how long they keep objects. */
export interface AzureBlobStorageOptions {
  /** One private container per bucket, named as given (3-63 of a-z, 0-9 and "-"). */
  readonly buckets: string[];
  /** Days a bucket keeps objects and their old versions, 1-3650; a bucket missing here keeps them. @default {} */
  readonly retentionDays?: Record<string, number>;
  /** Also copies the blobs to the region's pair (GZRS, or GRS without zones); can change later in place. @default false */
  readonly geoRedundant?: boolean;
}

export interface AzureBlobStorageProps extends AzureStoreProps, AzureBlobStorageOptions {}

/** Soft-deleted blobs and containers stay recoverable this long. */
const DELETE_RETENTION_DAYS = 14;
/** Point-in-time restore of containers' block blobs; Azure wants it shorter than soft delete. */
const RESTORE_DAYS = 7;

/**
 * The buckets: one private container per `buckets` entry in a storage account
 * that only Entra ID reaches (shared keys, SAS and anonymous access off), over TLS 1.2
 * and a private endpoint only. Blobs are encrypted twice (infrastructure encryption)
 * under `key`; versions, soft delete and point-in-time restore keep
 * overwritten and deleted data; a lifecycle policy expires objects and old versions
 * after the bucket's retention. Zone-redundant in zonal regions, geo-zone-redundant
 * (the paired region) with `geoRedundant`. Instead of an access-log bucket, every
 * read, write and delete goes to Log Analytics. Output: `account_name`.
 */
export class AzureBlobStorage extends Construct {
  readonly account: StorageAccount;
  /** The containers by bucket purpose. */
  readonly containers: Record<string, StorageContainer> = {};
  readonly buckets: BucketRef[];
  readonly retentionDays: Record<string, number>;
  readonly geoRedundant: boolean;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AzureBlobStorageProps) {
    super(scope, id);
    const { buckets, network, key } = props;
    requireProp(this, "buckets", buckets, (names) => names.length > 0 && names.every((n) => /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(n)), 'at least one container name, 3-63 of a-z, 0-9 and single "-"');
    requireProp(this, "retentionDays", props.retentionDays, (days) => Object.entries(days).every(([b, d]) => buckets.includes(b) && Number.isInteger(d) && d >= 1 && d <= 3650), "days from 1 to 3650 for buckets listed in buckets");
    if (props.geoRedundant && !Token.isUnresolved(network.location) && !azurePair(network.location)) {
      throw new Error(`${label(this)}: geoRedundant needs a region with an Azure pair; ${network.location} has none`);
    }
    setComponent(this, "buckets");
    const naming = namingOf(this, props.naming);
    this.retentionDays = props.retentionDays ?? {};
    this.geoRedundant = props.geoRedundant ?? false;
    this.protection = props.protection ?? true;
    const { retentionDays, protection } = this;
    const resourceGroupName = network.resourceGroupName;
    const location = network.location;

    const cmk = new AzureKeyIdentity(this, "KeyIdentity", {
      name: naming.name("buckets", "cmk", 128),
      resourceGroupName,
      location,
      key,
      service: "the bucket storage account",
    });

    this.account = protect(
      new StorageAccount(this, "Account", {
        // Storage account names are global: the resource group id's hash makes the name unique and stable.
        name: Fn.join("", [naming.compact("data", 16), Fn.substr(Fn.sha1(network.resourceGroupId), 0, 8)]),
        location,
        resourceGroupName,
        accountKind: "StorageV2",
        accountTier: "Standard",
        accountReplicationType: replication(network.zones.length > 0, this.geoRedundant),
        minTlsVersion: "TLS1_2",
        httpsTrafficOnlyEnabled: true,
        publicNetworkAccessEnabled: false,
        networkRules: { defaultAction: "Deny", bypass: ["None"] },
        allowNestedItemsToBePublic: false,
        sharedAccessKeyEnabled: false,
        defaultToOauthAuthentication: true,
        localUserEnabled: false,
        crossTenantReplicationEnabled: false,
        allowedCopyScope: "AAD",
        infrastructureEncryptionEnabled: true,
        // Queues and tables (unused) fall under the customer-managed key too.
        queueEncryptionKeyType: "Account",
        tableEncryptionKeyType: "Account",
        identity: { type: "UserAssigned", identityIds: [cmk.identity.id] },
        customerManagedKey: { keyVaultKeyId: key.versionlessId, userAssignedIdentityId: cmk.identity.id },
        blobProperties: {
          versioningEnabled: true,
          changeFeedEnabled: true,
          changeFeedRetentionInDays: DELETE_RETENTION_DAYS,
          deleteRetentionPolicy: { days: DELETE_RETENTION_DAYS },
          containerDeleteRetentionPolicy: { days: DELETE_RETENTION_DAYS },
          restorePolicy: { days: RESTORE_DAYS },
        },
        dependsOn: [cmk.grant],
      }),
      protection,
    );

    for (const purpose of buckets) {
      // Through Azure Resource Manager (storage_account_id), not the data plane the account closes.
      this.containers[purpose] = protect(
        new StorageContainer(this, `Container-${purpose}`, { name: purpose, storageAccountId: this.account.id, containerAccessType: "private" }),
        protection,
      );
    }
    this.buckets = buckets.map((purpose) => ({ purpose, name: purpose }));

    const expiring = buckets.filter((b) => retentionDays[b] !== undefined);
    if (expiring.length > 0) {
      new StorageManagementPolicy(this, "Lifecycle", {
        storageAccountId: this.account.id,
        rule: expiring.map((purpose) => {
          const days = retentionDays[purpose];
          return {
            name: `expire-${purpose}`,
            enabled: true,
            filters: { blobTypes: ["blockBlob"], prefixMatch: [`${purpose}/`] },
            actions: {
              baseBlob: { deleteAfterDaysSinceModificationGreaterThan: days },
              version: { deleteAfterDaysSinceCreation: days },
              snapshot: { deleteAfterDaysSinceCreationGreaterThan: days },
            },
          };
        }),
        dependsOn: Object.values(this.containers),
      });
    }

    new AzurePrivateEndpoint(this, "PrivateEndpoint", {
      naming,
      network,
      name: "blob",
      resourceId: this.account.id,
      subresource: "blob",
      zoneName: "privatelink.blob.core.windows.net",
    });
    new MonitorDiagnosticSetting(this, "AccessLogs", {
      name: "blob-access",
      targetResourceId: `${this.account.id}/blobServices/default`,
      logAnalyticsWorkspaceId: props.logsWorkspaceId,
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: [{ category: "StorageRead" }, { category: "StorageWrite" }, { category: "StorageDelete" }],
      enabledMetric: [{ category: "Transaction" }],
    });
    deleteLock(this, "Lock", { name: naming.name("buckets", "lock", 90), resourceId: this.account.id, protection, what: "the bucket storage account" });
    constructOutput(this, "account_name", { value: this.account.name, description: "The storage account holding the buckets (one container each)." });
  }
}

/**
 * Zone-redundant where the region has zones, else locally redundant; with disaster
 * recovery, the same plus a copy in the paired region. Azure changes ZRS<->GZRS and
 * LRS<->GRS in place, so geo-redundancy can be turned on and off later; the zone
 * family follows the region only, never the tier.
 */
export function replication(zonal: boolean, geoRedundant: boolean): string {
  if (zonal) return geoRedundant ? "GZRS" : "ZRS";
  return geoRedundant ? "GRS" : "LRS";
}
