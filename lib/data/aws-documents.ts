import { DocdbCluster } from "@cdktf/provider-aws/lib/docdb-cluster";
import { DocdbClusterInstance } from "@cdktf/provider-aws/lib/docdb-cluster-instance";
import { DocdbClusterParameterGroup } from "@cdktf/provider-aws/lib/docdb-cluster-parameter-group";
import { DocdbSubnetGroup } from "@cdktf/provider-aws/lib/docdb-subnet-group";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import { TIERS } from "../config/tiers";
import { namingOf } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import { serviceLogGroups } from "./aws-log-groups";
import { MASTER_USER, RDS_CA } from "./aws-postgres";
import { StoreSecurityGroup } from "./aws-security-group";
import { DEFAULT_LOG_RETENTION_DAYS, validateStoreProps, type AwsStoreProps } from "./aws-store";
import type { DataStoreConnection } from "./data";
import { requireInt, requireProp } from "../core/validate";

const SMALL = TIERS.small.data;

/** The cluster's sizes; every one defaults to the small tier's. */
export interface AwsDocumentsOptions {
  /** The instances' class. @default - the small tier's, "db.t4g.medium" */
  readonly instanceClass?: string;
  /** Instances in the cluster, 1-16: the first is the writer, the others replicas. @default - the small tier's, 1 */
  readonly instances?: number;
  /** Days of continuous backup (point-in-time restore), 7-35. @default - the small tier's PostgreSQL backup days, 7 */
  readonly backupDays?: number;
  /** The database name published to applications (MongoDB creates it on first write). @default - the deployment name, `-` replaced by `_` */
  readonly database?: string;
}

export interface AwsDocumentsProps extends AwsStoreProps, AwsDocumentsOptions {}

/**
 * DocumentDB 5.0, the long-term-support line (8.0, GA since November 2025, is an
 * in-place major upgrade from it): every region and instance class offers it, its `tls`
 * parameter accepts `tls1.2+`, and Performance Insights supports it (not 8.0 yet).
 */
export const DOCDB_VERSION = "5.0.0";
const PORT = 27017;
const LOG_EXPORTS = ["audit", "profiler"];

/**
 * A DocumentDB (MongoDB-compatible) cluster in the network's data subnets, reachable on
 * 27017 from the client security groups only. The volume is encrypted with `key`,
 * clients must use TLS 1.2 or later, audit and profiler logs go to log groups created
 * beforehand, and DocumentDB generates the master password and keeps it in Secrets
 * Manager: the provider offers no key choice for that secret, so it is encrypted with
 * the account's `aws/secretsmanager` key and the store takes no secrets key (the
 * alternative, a password Terraform generates, would sit in the state).
 *
 * Instances are keyed by index: more instances add replicas and change none; the
 * cluster (which holds the data) is the protected resource. Outputs: `endpoint` and
 * `secret_arn`.
 */
export class AwsDocuments extends Construct {
  readonly cluster: DocdbCluster;
  readonly instances: DocdbClusterInstance[] = [];
  readonly securityGroup: SecurityGroup;
  readonly secretArn: string;
  readonly connection: DataStoreConnection;
  readonly instanceClass: string;
  readonly backupDays: number;
  readonly database: string;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AwsDocumentsProps) {
    super(scope, id);
    validateStoreProps(this, props);
    requireProp(this, "instanceClass", props.instanceClass, (c: string) => /^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(c), 'a DocumentDB instance class such as "db.r6g.large"');
    requireInt(this, "instances", props.instances, 1, 16);
    requireInt(this, "backupDays", props.backupDays, 7, 35);
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    const instanceClass = props.instanceClass ?? SMALL.documents.instanceClass.aws;
    if (!instanceClass) throw new Error(`AwsDocuments ${this.node.path}: instanceClass is required (the small tier names none on aws)`);
    this.instanceClass = instanceClass;
    const instances = props.instances ?? SMALL.documents.instances;
    this.backupDays = props.backupDays ?? SMALL.postgres.backupDays;
    this.database = props.database ?? naming.deployment.replace(/-/g, "_");
    this.protection = props.protection ?? true;
    const key = props.key;
    const protection = this.protection;
    const identifier = naming.name("documents");

    this.securityGroup = new StoreSecurityGroup(this, "SecurityGroup", {
      name: identifier,
      description: `${identifier}: DocumentDB from the cluster's nodes`,
      vpcId: props.network.vpcId,
      port: PORT,
      clientSecurityGroupIds: props.clientSecurityGroupIds,
    }).group;
    const subnets = new DocdbSubnetGroup(this, "SubnetGroup", {
      name: identifier,
      description: `${identifier}: the isolated data subnets`,
      subnetIds: props.network.dataSubnetIds,
      tags: { Name: identifier },
    });
    const parameters = new DocdbClusterParameterGroup(this, "ParameterGroup", {
      name: naming.name("documents-docdb5"),
      family: "docdb5.0",
      description: "TLS 1.2+ required; audit log and profiler on",
      parameter: [
        { name: "tls", value: "tls1.2+" },
        { name: "audit_logs", value: "enabled" },
        { name: "profiler", value: "enabled" },
        { name: "profiler_threshold_ms", value: "1000" },
      ],
      lifecycle: { createBeforeDestroy: true },
    });
    const logGroups = serviceLogGroups(this, `/aws/docdb/${identifier}`, LOG_EXPORTS, props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS, props.logsKey);

    this.cluster = protect(
      new DocdbCluster(this, "Cluster", {
        clusterIdentifier: identifier,
        engine: "docdb",
        engineVersion: DOCDB_VERSION,
        masterUsername: MASTER_USER,
        manageMasterUserPassword: true,
        storageEncrypted: true,
        kmsKeyId: key.arn,
        port: PORT,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        dbClusterParameterGroupName: parameters.name,
        backupRetentionPeriod: this.backupDays,
        deletionProtection: protection,
        skipFinalSnapshot: !protection,
        finalSnapshotIdentifier: protection ? `${identifier}-final` : undefined,
        enabledCloudwatchLogsExports: LOG_EXPORTS,
        applyImmediately: false,
        tags: { Name: identifier },
        dependsOn: logGroups,
      }),
      protection,
    );
    this.secretArn = this.cluster.masterUserSecret.get(0).secretArn;

    for (let i = 0; i < instances; i++) {
      this.instances.push(
        new DocdbClusterInstance(this, `Instance-${i}`, {
          identifier: `${identifier}-${i}`,
          clusterIdentifier: this.cluster.id,
          instanceClass,
          caCertIdentifier: RDS_CA,
          autoMinorVersionUpgrade: true,
          enablePerformanceInsights: true,
          performanceInsightsKmsKeyId: key.arn,
          // The first instance is the preferred writer after a failover.
          promotionTier: i === 0 ? 0 : 1,
          copyTagsToSnapshot: true,
          applyImmediately: false,
          tags: { Name: `${identifier}-${i}` },
        }),
      );
    }

    this.connection = {
      kind: "documents",
      host: this.cluster.endpoint,
      port: PORT,
      database: this.database,
      // DocumentDB's cluster endpoint is a replica set `rs0` without retryable writes.
      settings: {
        tls: "true",
        replica_set: "rs0",
        retry_writes: "false",
        ca_bundle_url: "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
      },
      credentials: { remoteKey: this.secretArn, properties: { username: "username", password: "password" } },
    };
    constructOutput(this, "endpoint", { value: this.cluster.endpoint, description: "The DocumentDB cluster endpoint." });
    constructOutput(this, "secret_arn", { value: this.secretArn, description: "The Secrets Manager secret DocumentDB keeps the master credentials in." });
  }
}
