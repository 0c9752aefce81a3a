import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../../core/naming";
import { protect } from "../../core/protect";
import { resolveRegion } from "../../core/region";
import { setComponent } from "../../core/tags";

/** A KMS key for one purpose: the kit's (an AwsKeys member) or an existing key's ARN. */
export interface IAwsKey {
  readonly arn: string;
}

/** The second region backups are copied to, and the provider configured for it. */
export interface DisasterRecoveryRegion {
  readonly region: string;
  readonly provider: AwsProvider;
}

export interface AwsKeysProps {
  /** `prevent_destroy` on every key. @default true */
  readonly protection?: boolean;
  /** The data key gets a replica there, which encrypts the backups copied to it. @default - none */
  readonly disasterRecovery?: DisasterRecoveryRegion;
  /** The region whose services the key policies admit. @default - the region of the stack's AWS provider */
  readonly region?: string;
  /** Names the keys and their aliases. @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** What a principal needs to encrypt and decrypt with a key (no administration). */
const USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

/**
 * Customer-managed KMS keys, one per purpose, yearly rotation on, 30-day deletion
 * window and `prevent_destroy` (unless `protection` is off): losing a
 * key loses everything it encrypted. Each key policy lets the account's IAM principals
 * be authorized through IAM (the AWS default) and names the AWS services that use the
 * key on the account's behalf.
 */
export class AwsKeys extends Construct {
  /** Encrypts CloudWatch log groups (flow logs, VPN tunnel logs, EKS control-plane logs). */
  readonly logs: KmsKey;
  /** Envelope-encrypts the Kubernetes Secrets in the EKS cluster's etcd. */
  readonly cluster: KmsKey;
  /** Encrypts EBS volumes: node root volumes (managed and Karpenter nodes) and persistent volumes. */
  readonly volumes: KmsKey;
  /** Encrypts what AWS services notify through: the Karpenter interruption queue (EventBridge) and the alarm topic (CloudWatch). */
  readonly events: KmsKey;
  /**
   * Encrypts the data stores and their backups: RDS storage and Performance Insights,
   * DocumentDB, ElastiCache, the S3 buckets and the AWS Backup vault. A multi-Region
   * key from the start: `multi_region` cannot change without replacing the key, and
   * turning disaster recovery on later must only add the replica.
   */
  readonly data: KmsKey;
  /** The data key's replica in the disaster-recovery region. Undefined without one. */
  readonly dataReplica?: KmsReplicaKey;
  /** Encrypts the data stores' credentials in Secrets Manager (RDS's managed master password, the Redis AUTH token). */
  readonly secrets: KmsKey;
  /** `arn:<partition>:iam::<account>:root` and friends, for policies that name the account. */
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AwsKeysProps = {}) {
    super(scope, id);
    setComponent(this, "keys");
    const naming = namingOf(this, props.naming);
    const region = (this.region = resolveRegion(this, "aws", props.region));
    const dr = props.disasterRecovery;
    if (dr && !Token.isUnresolved(dr.region) && dr.region === region) {
      throw new Error(`AwsKeys ${this.node.path}: disasterRecovery.region must be another region than the keys' own (got ${JSON.stringify(dr.region)} for both)`);
    }
    this.protection = props.protection ?? true;
    this.accountId = new DataAwsCallerIdentity(this, "Account").accountId;
    this.partition = new DataAwsPartition(this, "Partition").partition;

    this.logs = this.key("Logs", naming.name("logs"), "CloudWatch Logs", [
      {
        sid: "CloudWatchLogsInThisAccount",
        principals: [{ type: "Service", identifiers: [`logs.${region}.amazonaws.com`] }],
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources: ["*"],
        condition: [
          {
            test: "ArnLike",
            variable: "kms:EncryptionContext:aws:logs:arn",
            values: [`arn:${this.partition}:logs:${region}:${this.accountId}:log-group:*`],
          },
        ],
      },
    ]);

    // The EKS cluster role is granted this key through IAM (lib/cluster/eks.ts).
    this.cluster = this.key("Cluster", naming.name("eks-secrets"), "EKS secrets envelope encryption", []);

    // EC2 uses the key for the caller that launches an instance or creates a volume (a
    // Karpenter controller, the EBS CSI driver): without this statement nodes with an
    // encrypted root volume terminate at launch. Managed node groups launch through the
    // Auto Scaling service-linked role, named by ARN in a condition so the policy is valid
    // before the role exists in a fresh account.
    const autoScalingRole = `arn:${this.partition}:iam::${this.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    this.volumes = this.key("Volumes", naming.name("volumes"), "EBS volumes", [
      {
        sid: "Ec2ForPrincipalsOfThisAccount",
        principals: [{ type: "AWS", identifiers: ["*"] }],
        actions: [...USE, "kms:CreateGrant"],
        resources: ["*"],
        condition: [
          { test: "StringEquals", variable: "kms:ViaService", values: [`ec2.${region}.amazonaws.com`] },
          { test: "StringEquals", variable: "kms:CallerAccount", values: [this.accountId] },
        ],
      },
      {
        sid: "AutoScalingServiceLinkedRoleUse",
        principals: [{ type: "AWS", identifiers: ["*"] }],
        actions: USE,
        resources: ["*"],
        condition: [{ test: "ArnEquals", variable: "aws:PrincipalArn", values: [autoScalingRole] }],
      },
      {
        sid: "AutoScalingServiceLinkedRoleAttachVolumes",
        principals: [{ type: "AWS", identifiers: ["*"] }],
        actions: ["kms:CreateGrant"],
        resources: ["*"],
        condition: [
          { test: "ArnEquals", variable: "aws:PrincipalArn", values: [autoScalingRole] },
          { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] },
        ],
      },
    ]);

    // EventBridge cannot write to a queue encrypted with the AWS-managed SQS key, nor
    // CloudWatch publish alarms to a topic encrypted with the AWS-managed SNS key.
    this.events = this.key("Events", naming.name("events"), "EventBridge to SQS, CloudWatch alarms to SNS", [
      {
        sid: "EventBridgeOfThisAccount",
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: ["*"],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [this.accountId] }],
      },
      {
        sid: "CloudWatchAlarmsOfThisDeployment",
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
        actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
        resources: ["*"],
        condition: [
          { test: "StringEquals", variable: "aws:SourceAccount", values: [this.accountId] },
          { test: "ArnLike", variable: "aws:SourceArn", values: [`arn:${this.partition}:cloudwatch:${region}:${this.accountId}:alarm:${naming.deployment}-*`] },
        ],
      },
    ]);

    // S3 is deliberately not among the services: reading an object then takes both the
    // bucket permission and this key, granted through IAM for named buckets only (the
    // tenants' workload roles, the replication role).
    const via = (services: string[], r: string) => services.map((s) => `${s}.${r}.amazonaws.com`);
    this.data = this.key(
      "Data",
      naming.name("data"),
      "data stores, buckets and backups",
      this.serviceStatements("DataServices", via(["rds", "elasticache", "backup"], region)),
      true,
    );
    this.secrets = this.key(
      "Secrets",
      naming.name("data-secrets"),
      "data store credentials in Secrets Manager",
      this.serviceStatements("SecretsManager", [`secretsmanager.${region}.amazonaws.com`]),
    );

    if (dr) {
      const policy = new DataAwsIamPolicyDocument(this, "DataReplicaKeyPolicy", {
        // Copies land there: RDS's replicated backups and AWS Backup's recovery points (S3 replication uses IAM).
        statement: [this.accountAdminStatement(), ...this.serviceStatements("BackupCopies", via(["rds", "backup"], dr.region))],
      });
      // Rotation follows the primary: a replica shares its key material.
      this.dataReplica = protect(
        new KmsReplicaKey(this, "DataReplica", {
          provider: dr.provider,
          primaryKeyArn: this.data.arn,
          description: `${naming.name("data")}: backups copied to ${dr.region}`,
          deletionWindowInDays: 30,
          policy: policy.json,
          tags: { Name: naming.name("data") },
        }),
        this.protection,
      );
      new KmsAlias(this, "DataReplicaAlias", { provider: dr.provider, name: `alias/${naming.name("data")}`, targetKeyId: this.dataReplica.keyId });
    }
  }

  /**
   * AWS services use the key for the account's principals that call them (and for
   * their service-linked roles): the grants RDS, ElastiCache or Secrets Manager create
   * for the resources they encrypt. Nothing outside the account, and no direct use.
   */
  private serviceStatements(sid: string, services: string[]): DataAwsIamPolicyDocumentStatement[] {
    const through = [
      { test: "StringEquals", variable: "kms:ViaService", values: services },
      { test: "StringEquals", variable: "kms:CallerAccount", values: [this.accountId] },
    ];
    return [
      { sid: `${sid}Use`, principals: [{ type: "AWS", identifiers: ["*"] }], actions: USE, resources: ["*"], condition: through },
      {
        sid: `${sid}Grants`,
        principals: [{ type: "AWS", identifiers: ["*"] }],
        actions: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
        resources: ["*"],
        condition: [...through, { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
      },
    ];
  }

  /** The account's IAM principals administer and use the key through IAM policies (the AWS default). */
  private accountAdminStatement(): DataAwsIamPolicyDocumentStatement {
    return {
      sid: "AccountIamAdministers",
      principals: [{ type: "AWS", identifiers: [`arn:${this.partition}:iam::${this.accountId}:root`] }],
      actions: ["kms:*"],
      resources: ["*"],
    };
  }

  private key(id: string, name: string, purpose: string, statements: DataAwsIamPolicyDocumentStatement[], multiRegion = false): KmsKey {
    const policy = new DataAwsIamPolicyDocument(this, `${id}KeyPolicy`, {
      statement: [this.accountAdminStatement(), ...statements],
    });
    const key = protect(
      new KmsKey(this, id, {
        description: `${name}: ${purpose}`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        deletionWindowInDays: 30,
        policy: policy.json,
        multiRegion: multiRegion || undefined,
        tags: { Name: name },
      }),
      this.protection,
    );
    new KmsAlias(this, `${id}Alias`, { name: `alias/${name}`, targetKeyId: key.keyId });
    return key;
  }
}
