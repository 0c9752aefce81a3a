import { createHash } from "node:crypto";
import { DataGoogleStorageTransferProjectServiceAccount } from "@cdktf/provider-google/lib/data-google-storage-transfer-project-service-account";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { StorageBucket, type StorageBucketLifecycleRule } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { StorageTransferJob } from "@cdktf/provider-google/lib/storage-transfer-job";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { resolveProject } from "../network/gcp-context";
import type { BucketRef } from "./data";
import type { IGcpKey } from "./keys/gcp";

/** The disaster-recovery copy of the backups bucket. */
export interface GcpBucketsRecovery {
  /** The region the copy lives in. */
  readonly region: string;
  /** A key of that region (a CMEK bucket takes a key of its own location), granted to Cloud Storage's agent. */
  readonly key: IGcpKey;
}

export interface GcpBucketsProps {
  /** Encrypts every bucket by default (Cloud Storage's agent must hold encrypt/decrypt on it). */
  readonly key: IGcpKey;
  /** One bucket per purpose, each 3-22 of a-z, 0-9 and "-"; `logs` receives the others' usage logs. @default GcpBuckets.DEFAULT_PURPOSES */
  readonly purposes?: readonly string[];
  /** Days a purpose's bucket keeps objects (and noncurrent versions); a purpose not listed keeps them. @default GcpBuckets.DEFAULT_RETENTION_DAYS */
  readonly retentionDays?: Readonly<Record<string, number>>;
  /** Copy the `backups` bucket hourly into a bucket of another region. @default - no copy */
  readonly recovery?: GcpBucketsRecovery;
  /**
   * `prevent_destroy` on every bucket (force_destroy stays off either way). Off only for
   * throwaway environments.
   * @default true
   */
  readonly protection?: boolean;
  /** @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
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
 * bucket, and no force_destroy. With `recovery`, the backups bucket is copied every
 * hour into a bucket of the recovery region by Storage Transfer Service.
 *
 * Names are `<deployment>-<purpose>-<first 8 hex of sha256(project id)>`: globally
 * unique per project and deployment, at most 55 characters, and the same whether the
 * project is given or (at plan time) the provider's. Outputs: one per purpose, the
 * bucket's name.
 */
export class GcpBuckets extends Construct {
  static readonly DEFAULT_PURPOSES: readonly string[] = ["metrics", "logs", "config", "backups"];
  static readonly DEFAULT_RETENTION_DAYS: Readonly<Record<string, number>> = { logs: 30, metrics: 30 };

  /** The buckets by purpose. */
  readonly buckets: Record<string, StorageBucket>;
  readonly refs: BucketRef[];
  /** The backups bucket's copy in the recovery region. Undefined without `recovery` or a backups bucket. */
  readonly recovery?: StorageBucket;
  readonly purposes: readonly string[];
  readonly retentionDays: Readonly<Record<string, number>>;
  readonly protection: boolean;
  readonly region: string;
  readonly project: string;
  private readonly deployment: string;

  constructor(scope: Construct, id: string, props: GcpBucketsProps) {
    super(scope, id);
    this.purposes = props.purposes ?? GcpBuckets.DEFAULT_PURPOSES;
    this.retentionDays = props.retentionDays ?? GcpBuckets.DEFAULT_RETENTION_DAYS;
    this.protection = props.protection ?? true;
    this.validate();
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    const region = (this.region = resolveRegion(this, "google", props.region));
    this.deployment = naming.deployment;
    const suffix = Token.isUnresolved(project) ? Fn.substr(Fn.sha256(project), 0, 8) : createHash("sha256").update(project).digest("hex").slice(0, 8);
    const nameOf = (purpose: string) => `${this.deployment}-${purpose}-${suffix}`;

    const purposes = this.purposes;
    // The logs bucket first: the others name it as their log destination.
    const ordered = [...purposes.filter((p) => p === "logs"), ...purposes.filter((p) => p !== "logs")];
    this.buckets = {};
    for (const purpose of ordered) {
      const logs = purpose === "logs" ? undefined : this.buckets.logs;
      this.buckets[purpose] = this.bucket(`Bucket-${purpose}`, nameOf(purpose), purpose, region, props.key, logs);
    }
    if (this.buckets.logs) {
      new StorageBucketIamMember(this, "UsageLogWriter", { bucket: this.buckets.logs.name, role: "roles/storage.objectCreator", member: USAGE_LOG_WRITER });
    }
    this.refs = purposes.map((purpose) => ({ purpose, name: nameOf(purpose) }));
    for (const ref of this.refs) constructOutput(this, ref.purpose, { value: ref.name, description: `The ${ref.purpose} bucket.` });

    const backups = this.buckets.backups;
    if (props.recovery && backups) {
      const { region: recoveryRegion, key } = props.recovery;
      this.recovery = this.bucket("Bucket-backups-recovery", nameOf("backups-dr"), "backups", recoveryRegion, key, this.buckets.logs);
      this.copy(backups, this.recovery, recoveryRegion);
    }
  }

  private validate() {
    const label = `GcpBuckets ${this.node.path}`;
    this.purposes.forEach((purpose, i) => {
      if (!/^[a-z][a-z0-9-]{1,20}[a-z0-9]$/.test(purpose)) throw new Error(`${label}: purposes[${i}] must be 3-22 characters of a-z, 0-9 and "-", e.g. backups (got ${JSON.stringify(purpose)})`);
      if (this.purposes.indexOf(purpose) !== i) throw new Error(`${label}: purposes lists ${JSON.stringify(purpose)} twice`);
    });
    for (const [purpose, days] of Object.entries(this.retentionDays)) {
      if (!Token.isUnresolved(days) && !(Number.isInteger(days) && days >= 1 && days <= 3650)) {
        throw new Error(`${label}: retentionDays.${purpose} must be a whole number of days from 1 to 3650 (got ${days})`);
      }
    }
  }

  private bucket(id: string, name: string, purpose: string, location: string, key: IGcpKey, logs?: StorageBucket): StorageBucket {
    const protection = this.protection;
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
        lifecycleRule: lifecycle(this.retentionDays[purpose]),
        logging: logs ? { logBucket: logs.name } : undefined,
        forceDestroy: false,
        dependsOn: key.grants,
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
      description: `${this.deployment} backups to ${region}`,
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
