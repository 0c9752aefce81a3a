import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import { TIERS } from "../config/tiers";
import type { Naming } from "../core/naming";
import { setComponent } from "../core/tags";
import type { AwsNetwork } from "../network/aws";
import { AwsBackupCopies } from "./aws-backup";
import { AwsBuckets } from "./aws-buckets";
import { AwsDocuments } from "./aws-documents";
import { AwsPostgres } from "./aws-postgres";
import { AwsRedis } from "./aws-redis";
import type { BucketRef, DataStoreConnection, IDataLayer, ObjectStoreAccess } from "./data";
import type { AwsKeys, DisasterRecoveryRegion } from "./keys/aws";

export interface AwsDataLayerProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly region: string;
  /** The stores go in its isolated data subnets. */
  readonly network: AwsNetwork;
  /** `data`, `secrets` and `logs` keys, and the data key's replica with disaster recovery. */
  readonly keys: AwsKeys;
  /** The only security group the stores admit: the EKS nodes' (pods share it). */
  readonly clients: SecurityGroup;
  /** The region backups are copied to; required when the spec sets `data.disasterRecovery`. @default none */
  readonly disasterRecovery?: DisasterRecoveryRegion;
}

/**
 * The data layer on AWS, in the infra stack: RDS for PostgreSQL, DocumentDB, ElastiCache
 * (Valkey) and the S3 buckets, each store only where the spec turns it on. Every store
 * is private to the data subnets, encrypted with the data key, TLS-only, backed up and
 * protected while `data.protection` is on; credentials stay in Secrets Manager and are
 * published only as ARNs. With disaster recovery, RDS replicates its automated backups,
 * AWS Backup copies DocumentDB and S3 replicates the `backups` bucket to the second region.
 */
export class AwsDataLayer extends Construct implements IDataLayer {
  readonly stores: DataStoreConnection[] = [];
  readonly buckets: BucketRef[];
  readonly objectStore: ObjectStoreAccess;
  readonly keys: AwsKeys;
  readonly postgres?: AwsPostgres;
  readonly documents?: AwsDocuments;
  readonly redis?: AwsRedis;
  readonly storage: AwsBuckets;
  readonly backupCopies?: AwsBackupCopies;

  constructor(scope: Construct, id: string, props: AwsDataLayerProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec, naming, region, network, keys, clients } = props;
    const data = spec.data;
    const protection = data.protection;
    const logRetentionDays = spec.network.flowLogRetentionDays;
    const disasterRecovery = data.disasterRecovery ? props.disasterRecovery : undefined;
    if (data.disasterRecovery && !disasterRecovery) {
      throw new Error("data.disasterRecovery is set: AwsDataLayer needs the disasterRecovery region and provider");
    }
    this.keys = keys;
    // Identifiers allow letters, digits and underscores; the deployment name never changes.
    const database = spec.name.replace(/-/g, "_");
    // The spec has backup days for PostgreSQL only; the other stores keep as many.
    const backupDays = data.postgres?.backupDays ?? TIERS[spec.tier].data.postgres.backupDays;

    if (data.postgres) {
      this.postgres = new AwsPostgres(this, "Postgres", {
        naming,
        region,
        postgres: data.postgres,
        network,
        clients,
        keys,
        database,
        logRetentionDays,
        protection,
        disasterRecovery,
      });
      this.stores.push(this.postgres.connection);
    }
    if (data.documents) {
      this.documents = new AwsDocuments(this, "Documents", {
        naming,
        documents: data.documents,
        network,
        clients,
        keys,
        database,
        backupDays,
        logRetentionDays,
        protection,
      });
      this.stores.push(this.documents.connection);
      if (disasterRecovery) {
        this.backupCopies = new AwsBackupCopies(this, "BackupCopies", {
          naming,
          keys,
          resources: [this.documents.cluster.arn],
          backupDays,
          protection,
          disasterRecovery,
        });
      }
    }
    if (data.redis) {
      this.redis = new AwsRedis(this, "Redis", {
        naming,
        redis: data.redis,
        network,
        clients,
        keys,
        snapshotDays: backupDays,
        logRetentionDays,
        protection,
      });
      this.stores.push(this.redis.connection);
    }

    this.storage = new AwsBuckets(this, "Buckets", {
      naming,
      region,
      buckets: data.buckets,
      retentionDays: data.retentionDays,
      keys,
      protection,
      disasterRecovery,
    });
    this.buckets = this.storage.refs;
    this.objectStore = { api: "s3", region };
    this.outputs();
  }

  /** Where each credential is kept (ARNs, never a value): what the data-credentials reader may read. */
  get credentialSecretArns(): string[] {
    return this.stores.flatMap((s) => (s.credentials ? [s.credentials.remoteKey] : []));
  }

  private outputs() {
    const output = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    if (this.postgres) {
      output("postgres_address", this.postgres.instance.address, "The PostgreSQL instance's private host name.");
      output("postgres_secret_arn", this.postgres.secretArn, "The Secrets Manager secret RDS keeps the master credentials in.");
    }
    if (this.documents) {
      output("documents_endpoint", this.documents.cluster.endpoint, "The DocumentDB cluster endpoint.");
      output("documents_secret_arn", this.documents.secretArn, "The Secrets Manager secret DocumentDB keeps the master credentials in.");
    }
    if (this.redis) {
      output("redis_primary_endpoint", this.redis.replicationGroup.primaryEndpointAddress, "The Valkey primary endpoint (TLS, AUTH).");
      output("redis_auth_secret_arn", this.redis.secret.arn, "The Secrets Manager secret holding the AUTH token.");
    }
    for (const { purpose, name } of this.buckets) output(`bucket_${purpose.replace(/-/g, "_")}`, name, `The ${purpose} bucket's name.`);
  }
}
