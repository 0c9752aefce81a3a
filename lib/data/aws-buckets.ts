import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration, type S3BucketLifecycleConfigurationRule } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { AwsBucketReplication } from "./aws-bucket-replication";
import { type AwsDisasterRecovery } from "./aws-store";
import type { BucketRef } from "./data";
import type { IAwsKey } from "./keys/aws";
import { requireProp } from "../core/validate";

/** Which buckets, and how long they keep objects. */
export interface AwsBucketsOptions {
  /**
   * Bucket purposes, one bucket each: 3-22 characters of a-z, 0-9 and `-`. Must include
   * `logs`, which receives the others' access logs.
   * @default AwsBuckets.DEFAULT_PURPOSES (metrics, logs, config, backups)
   */
  readonly purposes?: string[];
  /**
   * Days objects (and noncurrent versions) are kept, by purpose; a purpose not listed
   * keeps them.
   * @default - AwsBuckets.DEFAULT_RETENTION_DAYS for the purposes it names (logs and metrics: 30)
   */
  readonly retentionDays?: Record<string, number>;
}

export interface AwsBucketsProps extends AwsBucketsOptions {
  /** Encrypts every bucket but `logs` (SSE-KMS with an S3 Bucket Key). */
  readonly key: IAwsKey;
  /** The buckets' region, part of their names. @default - the region of the stack's AWS provider */
  readonly region?: string;
  /** The account id, part of the names and of the logs bucket's policy. @default - read with an `aws_caller_identity` data source */
  readonly accountId?: string;
  /** `prevent_destroy` on every bucket. @default true */
  readonly protection?: boolean;
  /** The `backups` bucket is replicated to a copy there, encrypted with its key. @default - none */
  readonly disasterRecovery?: AwsDisasterRecovery;
  /** Names the buckets. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** The bucket that receives the others' server access logs. */
export const LOGS_BUCKET = "logs";
/** The bucket replicated to the disaster-recovery region. */
export const REPLICATED_BUCKET = "backups";
/** A purpose is part of a bucket name (the spec's rule for bucket names). */
const PURPOSE = /^[a-z][a-z0-9-]{1,20}[a-z0-9]$/;

/** One bucket with its hardening; the policy is added once every bucket exists. */
interface Hardened {
  readonly bucket: S3Bucket;
  readonly versioning: S3BucketVersioningA;
  /** SSE-KMS with this key; undefined: SSE-S3. */
  readonly key?: IAwsKey;
}

/**
 * The deployment's S3 buckets, one per purpose, named
 * `<deployment>-<purpose>-<account>-<region>` (global names stay unique, and the
 * account id comes from the caller identity, so adding `target.accountId` later renames
 * nothing). Every bucket: public access blocked, ACLs off (owner enforced), versioned,
 * encrypted by default with `key` and an S3 Bucket Key, TLS-only by policy,
 * other encryption refused on upload, incomplete multipart uploads aborted after 7
 * days, current and noncurrent versions expired after the purpose's retention, no
 * `force_destroy`, `prevent_destroy`. Every bucket but `logs` logs its requests into
 * `logs` under `<purpose>/`. With `disasterRecovery`, `backups` is replicated to
 * `backups-dr` in that region, which logs likewise into a `logs-dr` bucket there.
 * Outputs: `<purpose>_name` for each bucket.
 *
 * `logs` is encrypted with S3-managed keys (SSE-S3) instead: S3 server access logging
 * delivers only to SSE-S3 buckets (with SSE-KMS it may write objects the owner cannot
 * decrypt, per the S3 user guide).
 */
export class AwsBuckets extends Construct {
  static readonly DEFAULT_PURPOSES: readonly string[] = ["metrics", "logs", "config", "backups"];
  static readonly DEFAULT_RETENTION_DAYS: Readonly<Record<string, number>> = { logs: 30, metrics: 30 };
  readonly buckets: Record<string, S3Bucket> = {};
  readonly refs: BucketRef[];
  readonly replication?: AwsBucketReplication;
  readonly purposes: string[];
  readonly retentionDays: Record<string, number>;
  readonly region: string;
  readonly accountId: string;
  readonly protection: boolean;
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: AwsBucketsProps) {
    super(scope, id);
    requireProp(this, "purposes", props.purposes, (p: string[]) => p.includes(LOGS_BUCKET), `a list that includes "${LOGS_BUCKET}", which receives the other buckets' access logs`);
    for (const purpose of props.purposes ?? []) {
      requireProp(this, "purposes", purpose, (p: string) => PURPOSE.test(p), '3-22 characters of a-z, 0-9 and "-" each');
    }
    requireProp(this, "purposes", props.purposes, (p: string[]) => new Set(p).size === p.length, "a list without duplicates");
    this.purposes = [...(props.purposes ?? AwsBuckets.DEFAULT_PURPOSES)];
    for (const [purpose, days] of Object.entries(props.retentionDays ?? {})) {
      requireProp(this, "retentionDays", purpose, (p: string) => this.purposes.includes(p), `keyed by the purposes (${this.purposes.join(", ")})`);
      requireProp(this, `retentionDays.${purpose}`, days, (d: number) => Number.isInteger(d) && d >= 1, "a whole number of days, at least 1");
    }
    const retention = props.retentionDays ?? Object.fromEntries(Object.entries(AwsBuckets.DEFAULT_RETENTION_DAYS).filter(([p]) => this.purposes.includes(p)));
    setComponent(this, "data");
    this.retentionDays = { ...retention };
    this.naming = namingOf(this, props.naming);
    this.region = resolveRegion(this, "aws", props.region);
    this.accountId = props.accountId ?? new DataAwsCallerIdentity(this, "Account").accountId;
    this.protection = props.protection ?? true;
    const { key } = props;
    const buckets = this.purposes;

    const hardened: Record<string, Hardened> = {};
    for (const purpose of buckets) {
      hardened[purpose] = this.bucket(`Bucket-${purpose}`, {
        name: this.bucketName(purpose, this.region),
        key: purpose === LOGS_BUCKET ? undefined : key,
        retentionDays: this.retentionDays[purpose],
      });
      this.buckets[purpose] = hardened[purpose].bucket;
    }
    this.refs = buckets.map((purpose) => ({ purpose, name: this.buckets[purpose].bucket }));

    const sources = buckets.filter((p) => p !== LOGS_BUCKET);
    this.accessLogs(LOGS_BUCKET, hardened[LOGS_BUCKET], sources.map((purpose) => ({ purpose, target: hardened[purpose] })));

    const dr = props.disasterRecovery;
    if (dr && buckets.includes(REPLICATED_BUCKET)) {
      const source = hardened[REPLICATED_BUCKET];
      const replica = this.bucket(`Bucket-${REPLICATED_BUCKET}-dr`, {
        name: this.bucketName(`${REPLICATED_BUCKET}-dr`, dr.region),
        key: dr.key,
        retentionDays: this.retentionDays[REPLICATED_BUCKET],
        provider: dr.provider,
      });
      // S3 delivers server access logs to a bucket in the source's region only: the copy
      // logs into a logs bucket of its own there, made like the primary region's.
      const drLogs = this.bucket(`Bucket-${LOGS_BUCKET}-dr`, {
        name: this.bucketName(`${LOGS_BUCKET}-dr`, dr.region),
        retentionDays: this.retentionDays[LOGS_BUCKET],
        provider: dr.provider,
      });
      this.accessLogs(`${LOGS_BUCKET}-dr`, drLogs, [{ purpose: REPLICATED_BUCKET, target: replica, id: `${REPLICATED_BUCKET}-dr` }], dr.provider);
      this.replication = new AwsBucketReplication(this, `Replication-${REPLICATED_BUCKET}`, {
        naming: this.naming,
        region: this.region,
        source: source.bucket,
        sourceKey: key,
        replica: replica.bucket,
        replicaRegion: dr.region,
        replicaKey: dr.key,
        accountId: this.accountId,
        dependsOn: [source.versioning, replica.versioning],
      });
    }
    for (const { purpose, name } of this.refs) constructOutput(this, `${purpose}_name`, { value: name, description: `The ${purpose} bucket's name.` });
  }

  /**
   * Each source bucket logs its requests into `logs` under `<purpose>/`; the logs
   * bucket's policy lets S3's logging service write there for these sources only. A
   * source's `id` names its constructs where its purpose does not (the disaster-recovery copy).
   */
  private accessLogs(logsId: string, logs: Hardened, sources: { purpose: string; target: Hardened; id?: string }[], provider?: AwsProvider) {
    const logsPolicy = this.policy(
      `Policy-${logsId}`,
      logs,
      sources.length === 0
        ? []
        : [
            {
              sid: "ServerAccessLogsOfThisAccount",
              principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
              actions: ["s3:PutObject"],
              resources: [`${logs.bucket.arn}/*`],
              condition: [
                { test: "StringEquals", variable: "aws:SourceAccount", values: [this.accountId] },
                { test: "ArnLike", variable: "aws:SourceArn", values: sources.map((s) => s.target.bucket.arn) },
              ],
            },
          ],
      provider,
    );
    for (const { purpose, target, id = purpose } of sources) {
      this.policy(`Policy-${id}`, target, [], provider);
      new S3BucketLoggingA(this, `AccessLogs-${id}`, {
        provider,
        bucket: target.bucket.id,
        targetBucket: logs.bucket.id,
        targetPrefix: `${purpose}/`,
        dependsOn: [logsPolicy],
      });
    }
  }

  /** `<deployment>-<purpose>-<account id>-<region>` in at most 63 characters; the account id is a 12-digit token. */
  private bucketName(purpose: string, region: string): string {
    const prefix = this.naming.name(purpose, undefined, 63 - 12 - region.length - 2);
    return Fn.join("-", [prefix, this.accountId, region]);
  }

  private bucket(id: string, opts: { name: string; key?: IAwsKey; retentionDays?: number; provider?: AwsProvider }): Hardened {
    const { provider } = opts;
    const bucket = protect(new S3Bucket(this, id, { provider, bucket: opts.name, forceDestroy: false }), this.protection);
    const ref = { provider, bucket: bucket.id };
    new S3BucketPublicAccessBlock(this, `${id}-PublicAccessBlock`, {
      ...ref,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, `${id}-Ownership`, { ...ref, rule: { objectOwnership: "BucketOwnerEnforced" } });
    const versioning = new S3BucketVersioningA(this, `${id}-Versioning`, { ...ref, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, `${id}-Encryption`, {
      ...ref,
      rule: [
        opts.key
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: opts.key.arn }, bucketKeyEnabled: true }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });
    const rules: S3BucketLifecycleConfigurationRule[] = [
      { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
    ];
    if (opts.retentionDays !== undefined) {
      rules.push({
        id: "expire-after-retention",
        status: "Enabled",
        filter: [{}],
        expiration: [{ days: opts.retentionDays }],
        noncurrentVersionExpiration: [{ noncurrentDays: opts.retentionDays }],
      });
    }
    new S3BucketLifecycleConfiguration(this, `${id}-Lifecycle`, { ...ref, rule: rules, dependsOn: [versioning] });
    return { bucket, versioning, key: opts.key };
  }

  /** TLS only; with a key, uploads that ask for another encryption or another key are refused. */
  private policy(id: string, target: Hardened, extra: DataAwsIamPolicyDocumentStatement[] = [], provider?: AwsProvider): S3BucketPolicy {
    const { bucket, key } = target;
    const everyone = [{ type: "*", identifiers: ["*"] }];
    const objects = `${bucket.arn}/*`;
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: everyone,
        actions: ["s3:*"],
        resources: [bucket.arn, objects],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ];
    if (key) {
      const header = (variable: string, value: string) => [
        { test: "StringNotEquals", variable, values: [value] },
        // A request without the header gets the default encryption, which is the key.
        { test: "Null", variable, values: ["false"] },
      ];
      statements.push(
        {
          sid: "DenyOtherEncryption",
          effect: "Deny",
          principals: everyone,
          actions: ["s3:PutObject"],
          resources: [objects],
          condition: header("s3:x-amz-server-side-encryption", "aws:kms"),
        },
        {
          sid: "DenyOtherKeys",
          effect: "Deny",
          principals: everyone,
          actions: ["s3:PutObject"],
          resources: [objects],
          condition: header("s3:x-amz-server-side-encryption-aws-kms-key-id", key.arn),
        },
      );
    }
    const document = new DataAwsIamPolicyDocument(this, `${id}-Document`, { provider, statement: [...statements, ...extra] });
    return new S3BucketPolicy(this, id, { provider, bucket: bucket.id, policy: document.json });
  }
}
