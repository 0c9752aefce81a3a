import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import type { IAwsNetwork } from "../network/aws";
import { AwsBackupCopies } from "./aws-backup";
import { AwsBuckets, type AwsBucketsOptions } from "./aws-buckets";
import { AwsDocuments, type AwsDocumentsOptions } from "./aws-documents";
import { AwsPostgres, type AwsPostgresOptions } from "./aws-postgres";
import { AwsRedis, type AwsRedisOptions } from "./aws-redis";
import type { AwsDisasterRecovery } from "./aws-store";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";
import type { IAwsKey } from "./keys/aws";

/** What the platform needs from an AWS data layer besides its endpoints: the keys workloads use. */
export interface IAwsDataLayer extends IDataLayer {
  /** Encrypts the stores and buckets: tenants' workloads use it through S3 for their objects. */
  readonly key: IAwsKey;
  /** Encrypts the stores' credentials in Secrets Manager. Undefined when no store uses it. */
  readonly secretsKey?: IAwsKey;
  /** Where each credential is kept (ARNs, never a value): what the data-credentials reader may read. */
  readonly credentialSecretArns: string[];
}

export interface AwsDataLayerProps {
  /** The stores go in its data subnets. */
  readonly network: IAwsNetwork;
  /** The security groups the stores admit, e.g. the EKS nodes' (pods share it). */
  readonly clientSecurityGroupIds: string[];
  /** Encrypts the stores, their backups and the buckets (all but `logs`). */
  readonly key: IAwsKey;
  /** Encrypts PostgreSQL's master password and the Redis AUTH token in Secrets Manager. @default - none; required with `postgres` or `redis` */
  readonly secretsKey?: IAwsKey;
  /** Encrypts the stores' log groups. @default - CloudWatch Logs' own encryption */
  readonly logsKey?: IAwsKey;
  /** An RDS for PostgreSQL database with these options. @default - none */
  readonly postgres?: AwsPostgresOptions;
  /**
   * Publish the audit ledger's database (`audit` on the PostgreSQL server, IAM sign-in
   * as `audit_app`) to tenants: the platform stack creates it (AwsAuditLogins). Needs
   * `postgres`. @default false
   */
  readonly audit?: boolean;
  /** A DocumentDB cluster with these options. @default - none */
  readonly documents?: AwsDocumentsOptions;
  /** An ElastiCache (Valkey) cache with these options. @default - none */
  readonly redis?: AwsRedisOptions;
  /** The S3 buckets. @default - AwsBuckets' default purposes and retention */
  readonly buckets?: AwsBucketsOptions;
  /** Days the stores' log groups keep events. @default 365 */
  readonly logRetentionDays?: number;
  /** Deletion protection, `prevent_destroy` and final snapshots on every store, bucket and vault. @default true */
  readonly protection?: boolean;
  /**
   * The second region backups are copied to: RDS replicates its automated backups, AWS
   * Backup copies DocumentDB, S3 replicates the `backups` bucket.
   * @default - none
   */
  readonly disasterRecovery?: AwsDisasterRecovery;
  /** @default - the region of the stack's AWS provider */
  readonly region?: string;
  /** The account id in bucket names and policies. @default - the buckets read it with an `aws_caller_identity` data source */
  readonly accountId?: string;
  /** The AWS partition in managed-policy ARNs. @default - the stores that need it read it with an `aws_partition` data source */
  readonly partition?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * A data layer on AWS: RDS for PostgreSQL, DocumentDB, ElastiCache (Valkey), each where
 * its options are given, and the S3 buckets. Every store is private to the data
 * subnets, encrypted with `key`, TLS-only, backed up and protected while `protection`
 * is on; credentials stay in Secrets Manager and are published only as ARNs. With
 * disaster recovery, RDS replicates its automated backups, AWS Backup copies DocumentDB
 * and S3 replicates the `backups` bucket to the second region. Each store is also
 * usable alone (AwsPostgres, AwsDocuments, AwsRedis, AwsBuckets); their outputs are
 * named after their paths (`data_postgres_address`, `data_buckets_logs_name`).
 */
export class AwsDataLayer extends Construct implements IAwsDataLayer {
  readonly stores: DataStoreConnection[] = [];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess;
  readonly key: IAwsKey;
  readonly secretsKey?: IAwsKey;
  readonly postgres?: AwsPostgres;
  readonly documents?: AwsDocuments;
  readonly redis?: AwsRedis;
  readonly storage: AwsBuckets;
  readonly backupCopies?: AwsBackupCopies;

  constructor(scope: Construct, id: string, props: AwsDataLayerProps) {
    super(scope, id);
    const secretsKey = props.secretsKey;
    const needsSecrets = (["postgres", "redis"] as const).find((store) => props[store] && !secretsKey);
    if (needsSecrets) {
      throw new Error(`AwsDataLayer ${this.node.path}: secretsKey is required with ${needsSecrets}, which keeps its credentials under it (got none)`);
    }
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    const region = resolveRegion(this, "aws", props.region);
    const { network, clientSecurityGroupIds, key, logsKey, logRetentionDays, protection, disasterRecovery, accountId, partition } = props;
    const store = { naming, network, clientSecurityGroupIds, key, logsKey, logRetentionDays, protection };
    this.key = key;
    this.secretsKey = secretsKey;

    if (props.postgres && secretsKey) {
      this.postgres = new AwsPostgres(this, "Postgres", { ...store, ...props.postgres, secretsKey, region, partition, disasterRecovery });
      this.stores.push(this.postgres.connection);
      if (props.audit) this.stores.push(this.postgres.auditConnection);
    }
    if (props.audit && !props.postgres) throw new Error(`AwsDataLayer ${this.node.path}: audit needs postgres, the server the audit database lives on`);
    if (props.documents) {
      this.documents = new AwsDocuments(this, "Documents", { ...store, ...props.documents });
      this.stores.push(this.documents.connection);
      if (disasterRecovery) {
        this.backupCopies = new AwsBackupCopies(this, "BackupCopies", {
          naming,
          key,
          resources: [this.documents.cluster.arn],
          backupDays: this.documents.backupDays,
          protection,
          partition,
          disasterRecovery,
        });
      }
    }
    if (props.redis && secretsKey) {
      this.redis = new AwsRedis(this, "Redis", { ...store, ...props.redis, secretsKey });
      this.stores.push(this.redis.connection);
    }

    this.storage = new AwsBuckets(this, "Buckets", { ...props.buckets, naming, region, accountId, key, protection, disasterRecovery });
    this.buckets = this.storage.refs;
    this.objectStore = { api: "s3", region };
  }

  get credentialSecretArns(): string[] {
    return this.stores.flatMap((s) => (s.credentials ? [s.credentials.remoteKey] : []));
  }
}
