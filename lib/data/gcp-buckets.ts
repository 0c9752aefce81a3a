import { createHash } from "node:crypto";
import { DataGoogleStorageTransferProjectServiceAccount } from "@cdktf/provider-google/lib/data-google-storage-transfer-project-service-account";
import type { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { StorageBucket, type StorageBucketLifecycleRule } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { StorageTransferJob } from "@cdktf/provider-google/lib/storage-transfer-job";
import { Fn, Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { BucketRef } from "./data";
import type { GcpKeys } from "./keys/gcp";

export interface GcpBucketsProps {
  readonly spec: DeploymentSpec;
  readonly project: string;
  readonly region: string;
  /** The data key encrypts the buckets; the recovery region's data key the backups copy. */
  readonly keys: GcpKeys;
}

/** Deleted objects stay restorable for 7 days (Cloud Storage soft delete). */
const SOFT_DELETE_SECONDS = 7 * 86400;
/** Writes Cloud Storage usage logs into the logs bucket. */
const USAGE_LOG_WRITER = "group:cloud-storage-analytics@google.com";
/** Storage Transfer Service runs at most hourly: the backups copy lags by up to an hour plus the copy. */
const RECOVERY_COPY_INTERVAL = "3600s";

/**
 * One Cloud Storage bucket per purpose in the region: uniform bucket-level access,
 * public access prevention enforced, versioning, the data key as default key, soft
 * delete, incomplete uploads aborted after 7 days, live and noncurrent objects deleted
 * after the purpose's retention (kept when it has none), usage logs to the `logs`
 * bucket, and no force_destroy. With disaster recovery, the backups bucket is copied
 * every hour into a bucket of the recovery region by Storage Transfer Service.
 *
 * Names are `<deployment>-<purpose>-<first 8 hex of sha256(project id)>`: globally
 * unique per project and deployment, at most 55 characters, and the same whether the
 * project comes from the spec or (at plan time) from the provider.
 */
export class GcpBuckets extends Construct {
  /** The buckets by purpose. */
  readonly buckets: Record<string, StorageBucket>;
  readonly refs: BucketRef[];
  /** The backups bucket's copy in the recovery region. Undefined without disaster recovery or a backups bucket. */
  readonly recovery?: StorageBucket;
  private readonly spec: DeploymentSpec;
  private readonly project: string;

  constructor(scope: Construct, id: string, props: GcpBucketsProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec, project, region, keys } = props;
    if (!keys.data) throw new Error("GcpBuckets needs the keys' data key");
    this.spec = spec;
    this.project = project;
    const suffix = Token.isUnresolved(project) ? Fn.substr(Fn.sha256(project), 0, 8) : createHash("sha256").update(project).digest("hex").slice(0, 8);
    const nameOf = (purpose: string) => `${spec.name}-${purpose}-${suffix}`;

    const purposes = spec.data.buckets;
    // The logs bucket first: the others name it as their log destination.
    const ordered = [...purposes.filter((p) => p === "logs"), ...purposes.filter((p) => p !== "logs")];
    this.buckets = {};
    for (const purpose of ordered) {
      const logs = purpose === "logs" ? undefined : this.buckets.logs;
      this.buckets[purpose] = this.bucket(`Bucket-${purpose}`, nameOf(purpose), purpose, region, keys.data, keys.grantsFor("buckets"), logs);
    }
    if (this.buckets.logs) {
      new StorageBucketIamMember(this, "UsageLogWriter", { bucket: this.buckets.logs.name, role: "roles/storage.objectCreator", member: USAGE_LOG_WRITER });
    }
    this.refs = purposes.map((purpose) => ({ purpose, name: nameOf(purpose) }));

    const recoveryRegion = spec.data.disasterRecovery?.region;
    const backups = this.buckets.backups;
    if (recoveryRegion && backups && keys.recoveryData) {
      this.recovery = this.bucket("Bucket-backups-recovery", nameOf("backups-dr"), "backups", recoveryRegion, keys.recoveryData, keys.grantsFor("recovery"), this.buckets.logs);
      this.copy(backups, this.recovery, recoveryRegion);
    }
  }

  private bucket(id: string, name: string, purpose: string, location: string, key: KmsCryptoKey, grants: ITerraformDependable[], logs?: StorageBucket): StorageBucket {
    const protection = this.spec.data.protection;
    return protect(
      new StorageBucket(this, id, {
        // Name and location replace the bucket: neither depends on the tier.
        name,
        project: this.project,
        location,
        storageClass: "STANDARD",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        versioning: { enabled: true },
        encryption: { defaultKmsKeyName: key.id },
        softDeletePolicy: { retentionDurationSeconds: SOFT_DELETE_SECONDS },
        lifecycleRule: lifecycle(this.spec.data.retentionDays[purpose]),
        logging: logs ? { logBucket: logs.name } : undefined,
        forceDestroy: false,
        dependsOn: grants,
      }),
      protection,
    );
  }

  /**
   * Hourly copies of new and changed objects, by Storage Transfer Service's agent: read on
   * the source, write on the copy. Objects deleted at the source stay in the copy until
   * its own retention removes them.
   */
  private copy(source: StorageBucket, sink: StorageBucket, region: string) {
    const project = this.project;
    const api = new ProjectService(this, "Api-storagetransfer", { project, service: "storagetransfer.googleapis.com", disableOnDestroy: false });
    // The agent is created on first request: the data source asks for it.
    const agent = new DataGoogleStorageTransferProjectServiceAccount(this, "TransferAgent", { project, dependsOn: [api] });
    const grant = (grantId: string, bucket: StorageBucket, role: string) =>
      new StorageBucketIamMember(this, grantId, { bucket: bucket.name, role, member: agent.member });
    const grants = [
      grant("TransferReadsBackups", source, "roles/storage.objectViewer"),
      grant("TransferListsBackups", source, "roles/storage.legacyBucketReader"),
      grant("TransferWritesRecovery", sink, "roles/storage.legacyBucketWriter"),
    ];
    new StorageTransferJob(this, "RecoveryCopy", {
      project,
      description: `${this.spec.name} backups to ${region}`,
      transferSpec: {
        gcsDataSource: { bucketName: source.name },
        gcsDataSink: { bucketName: sink.name },
        transferOptions: { overwriteWhen: "DIFFERENT", deleteObjectsUniqueInSink: false },
      },
      // A start date in the past: the first run is right after creation.
      schedule: { scheduleStartDate: { year: 2025, month: 1, day: 1 }, repeatInterval: RECOVERY_COPY_INTERVAL },
      loggingConfig: { logActions: ["FIND", "COPY", "DELETE"], logActionStates: ["SUCCEEDED", "FAILED"] },
      dependsOn: grants,
    });
  }
}

/** Incomplete uploads go after 7 days; with a retention, live objects and then their noncurrent versions expire. */
function lifecycle(retentionDays: number | undefined): StorageBucketLifecycleRule[] {
  const rules: StorageBucketLifecycleRule[] = [{ action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 7 } }];
  if (retentionDays === undefined) return rules;
  return [
    ...rules,
    // A live object past its retention becomes noncurrent (versioning keeps it restorable)...
    { action: { type: "Delete" }, condition: { age: retentionDays, withState: "LIVE" } },
    // ...and a noncurrent version is deleted once it has been noncurrent as long.
    { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: retentionDays, withState: "ARCHIVED" } },
  ];
}
