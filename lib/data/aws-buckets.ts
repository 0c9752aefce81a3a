import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
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
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { AwsBucketReplication } from "./aws-bucket-replication";
import type { BucketRef } from "./data";
import type { AwsKeys, DisasterRecoveryRegion } from "./keys/aws";

export interface AwsBucketsProps {
  readonly naming: Naming;
  readonly region: string;
  /** The spec's bucket purposes; `logs` receives the others' access logs. */
  readonly buckets: string[];
  /** Days objects (and noncurrent versions) are kept, by purpose; absent: kept. */
  readonly retentionDays: Record<string, number>;
  /** `data` encrypts every bucket but `logs`; its replica the disaster-recovery copy. */
  readonly keys: AwsKeys;
  /** `prevent_destroy` on every bucket. */
  readonly protection: boolean;
  /** The `backups` bucket is replicated there. @default none */
  readonly disasterRecovery?: DisasterRecoveryRegion;
}

/** The bucket that receives the others' server access logs. */
export const LOGS_BUCKET = "logs";
/** The bucket replicated to the disaster-recovery region. */
export const REPLICATED_BUCKET = "backups";

/** One bucket with its hardening; the policy is added once every bucket exists. */
interface Hardened {
  readonly bucket: S3Bucket;
  readonly versioning: S3BucketVersioningA;
  /** SSE-KMS with this key; undefined: SSE-S3. */
  readonly key?: KmsKey | KmsReplicaKey;
}

/**
 * The deployment's S3 buckets, one per purpose, named
 * `<deployment>-<purpose>-<account>-<region>` (global names stay unique, and the
 * account id comes from the caller identity, so adding `target.accountId` later renames
 * nothing). Every bucket: public access blocked, ACLs off (owner enforced), versioned,
 * encrypted by default with the data key and an S3 Bucket Key, TLS-only by policy,
 * other encryption refused on upload, incomplete multipart uploads aborted after 7
 * days, current and noncurrent versions expired after the spec's retention, no
 * `force_destroy`, `prevent_destroy`. Every bucket but `logs` logs its requests into
 * `logs` under `<purpose>/`.
 *
 * `logs` is encrypted with S3-managed keys (SSE-S3) instead: S3 server access logging
 * delivers only to SSE-S3 buckets (with SSE-KMS it may write objects the owner cannot
 * decrypt, per the S3 user guide).
 */
export class AwsBuckets extends Construct {
  readonly buckets: Record<string, S3Bucket> = {};
  readonly refs: BucketRef[];
  readonly replication?: AwsBucketReplication;
  private readonly props: AwsBucketsProps;

  constructor(scope: Construct, id: string, props: AwsBucketsProps) {
    super(scope, id);
    this.props = props;
    const { keys, buckets } = props;
    if (!buckets.includes(LOGS_BUCKET)) throw new Error(`data.buckets must include "${LOGS_BUCKET}" on aws`);

    const hardened: Record<string, Hardened> = {};
    for (const purpose of buckets) {
      hardened[purpose] = this.bucket(`Bucket-${purpose}`, {
        name: this.bucketName(purpose, props.region),
        key: purpose === LOGS_BUCKET ? undefined : keys.data,
        retentionDays: props.retentionDays[purpose],
      });
      this.buckets[purpose] = hardened[purpose].bucket;
    }
    this.refs = buckets.map((purpose) => ({ purpose, name: this.buckets[purpose].bucket }));

    const logs = hardened[LOGS_BUCKET];
    const sources = buckets.filter((p) => p !== LOGS_BUCKET);
    const logsPolicy = this.policy(
      `Policy-${LOGS_BUCKET}`,
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
                { test: "StringEquals", variable: "aws:SourceAccount", values: [keys.accountId] },
                { test: "ArnLike", variable: "aws:SourceArn", values: sources.map((p) => this.buckets[p].arn) },
              ],
            },
          ],
    );
    for (const purpose of sources) {
      this.policy(`Policy-${purpose}`, hardened[purpose]);
      new S3BucketLoggingA(this, `AccessLogs-${purpose}`, {
        bucket: this.buckets[purpose].id,
        targetBucket: logs.bucket.id,
        targetPrefix: `${purpose}/`,
        dependsOn: [logsPolicy],
      });
    }

    const dr = props.disasterRecovery;
    if (dr && buckets.includes(REPLICATED_BUCKET)) {
      if (!keys.dataReplica) throw new Error("disaster recovery needs the data key's replica: pass disasterRecovery to AwsKeys too");
      const source = hardened[REPLICATED_BUCKET];
      // No access logging there: server access logs go to a bucket in the same region only.
      const replica = this.bucket(`Bucket-${REPLICATED_BUCKET}-dr`, {
        name: this.bucketName(`${REPLICATED_BUCKET}-dr`, dr.region),
        key: keys.dataReplica,
        retentionDays: props.retentionDays[REPLICATED_BUCKET],
        provider: dr.provider,
      });
      this.policy(`Policy-${REPLICATED_BUCKET}-dr`, replica, [], dr.provider);
      this.replication = new AwsBucketReplication(this, `Replication-${REPLICATED_BUCKET}`, {
        naming: props.naming,
        region: props.region,
        drRegion: dr.region,
        source: source.bucket,
        sourceKey: keys.data,
        replica: replica.bucket,
        replicaKey: keys.dataReplica,
        accountId: keys.accountId,
        dependsOn: [source.versioning, replica.versioning],
      });
    }
  }

  /** `<deployment>-<purpose>-<account id>-<region>` in at most 63 characters; the account id is a 12-digit token. */
  private bucketName(purpose: string, region: string): string {
    const prefix = this.props.naming.name(purpose, undefined, 63 - 12 - region.length - 2);
    return Fn.join("-", [prefix, this.props.keys.accountId, region]);
  }

  private bucket(id: string, opts: { name: string; key?: KmsKey | KmsReplicaKey; retentionDays?: number; provider?: AwsProvider }): Hardened {
    const { provider } = opts;
    const bucket = protect(new S3Bucket(this, id, { provider, bucket: opts.name, forceDestroy: false }), this.props.protection);
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
