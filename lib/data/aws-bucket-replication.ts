import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3BucketReplicationConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-replication-configuration";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { resolveRegion } from "../core/region";
import type { IAwsKey } from "./keys/aws";

/** A bucket as replication names it: the kit's S3Bucket, or an existing bucket's name and ARN. */
export interface IAwsBucket {
  /** The bucket's name. */
  readonly id: string;
  readonly arn: string;
}

export interface AwsBucketReplicationProps {
  /** The replicated bucket, versioned, in this stack's region. */
  readonly source: IAwsBucket;
  /** Encrypts the source's objects. */
  readonly sourceKey: IAwsKey;
  /** The copy, versioned, in `replicaRegion`. */
  readonly replica: IAwsBucket;
  readonly replicaRegion: string;
  /** Encrypts the copies in `replicaRegion`. */
  readonly replicaKey: IAwsKey;
  /** The source's region. @default - the region of the stack's AWS provider */
  readonly region?: string;
  /** The account allowed to have S3 assume the role. @default - read with an `aws_caller_identity` data source */
  readonly accountId?: string;
  /** Both buckets' versioning, which replication needs on. @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** Names the role. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * S3 Replication of one bucket into its copy in the disaster-recovery region, chosen
 * over AWS Backup for S3 because it copies each object within minutes of its upload
 * (Backup copies on a schedule). New objects and versions are replicated, re-encrypted
 * with the replica key; delete markers are not, so a deletion in the primary
 * region never reaches the copy. The role may read only the
 * source's versions, write only replicas, and use each key only through S3 for its own
 * bucket.
 */
export class AwsBucketReplication extends Construct {
  readonly role: IamRole;
  readonly configuration: S3BucketReplicationConfigurationA;

  constructor(scope: Construct, id: string, props: AwsBucketReplicationProps) {
    super(scope, id);
    const { source, replica } = props;
    const region = resolveRegion(this, "aws", props.region);
    const accountId = props.accountId ?? new DataAwsCallerIdentity(this, "Account").accountId;
    const trust = new DataAwsIamPolicyDocument(this, "Trust", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["s3.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }],
        },
      ],
    });
    const name = namingOf(this, props.naming).name("s3-replication", undefined, 64);
    this.role = new IamRole(this, "Role", { name, assumeRolePolicy: trust.json, tags: { Name: name } });

    const keyFor = (bucket: IAwsBucket, bucketRegion: string) => [
      { test: "StringEquals", variable: "kms:ViaService", values: [`s3.${bucketRegion}.amazonaws.com`] },
      // With S3 Bucket Keys the context is the bucket's ARN; without, the object's.
      { test: "StringLike", variable: "kms:EncryptionContext:aws:s3:arn", values: [bucket.arn, `${bucket.arn}/*`] },
    ];
    const permissions = new DataAwsIamPolicyDocument(this, "Permissions", {
      statement: [
        { sid: "ReadSourceConfiguration", actions: ["s3:GetReplicationConfiguration", "s3:ListBucket"], resources: [source.arn] },
        {
          sid: "ReadSourceVersions",
          actions: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
          resources: [`${source.arn}/*`],
        },
        { sid: "WriteReplicas", actions: ["s3:ReplicateObject", "s3:ReplicateTags"], resources: [`${replica.arn}/*`] },
        { sid: "DecryptSource", actions: ["kms:Decrypt"], resources: [props.sourceKey.arn], condition: keyFor(source, region) },
        {
          sid: "EncryptReplicas",
          actions: ["kms:Encrypt", "kms:GenerateDataKey"],
          resources: [props.replicaKey.arn],
          condition: keyFor(replica, props.replicaRegion),
        },
      ],
    });
    const policy = new IamRolePolicy(this, "Policy", { role: this.role.id, name: "replication", policy: permissions.json });

    this.configuration = new S3BucketReplicationConfigurationA(this, "Configuration", {
      bucket: source.id,
      role: this.role.arn,
      rule: [
        {
          id: "disaster-recovery",
          status: "Enabled",
          filter: {},
          deleteMarkerReplication: { status: "Disabled" },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: replica.arn,
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: props.replicaKey.arn },
          },
        },
      ],
      dependsOn: [...(props.dependsOn ?? []), policy],
    });
  }
}
