import { DocdbCluster } from "@cdktf/provider-aws/lib/docdb-cluster";
import { DocdbClusterInstance } from "@cdktf/provider-aws/lib/docdb-cluster-instance";
import { DocdbClusterParameterGroup } from "@cdktf/provider-aws/lib/docdb-cluster-parameter-group";
import { DocdbSubnetGroup } from "@cdktf/provider-aws/lib/docdb-subnet-group";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import type { DataSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import type { AwsNetwork } from "../network/aws";
import { MASTER_USER, RDS_CA } from "./aws-postgres";
import { StoreSecurityGroup } from "./aws-security-group";
import type { DataStoreConnection } from "./data";
import type { AwsKeys } from "./keys/aws";
import { serviceLogGroups } from "./aws-log-groups";

export interface AwsDocumentsProps {
  readonly naming: Naming;
  readonly documents: NonNullable<DataSpec["documents"]>;
  readonly network: AwsNetwork;
  /** The only group admitted on 27017: the EKS nodes (pods share it). */
  readonly clients: SecurityGroup;
  /** `data` encrypts the cluster volume, snapshots and Performance Insights; `logs` the log groups. */
  readonly keys: AwsKeys;
  /** The database name published to applications (MongoDB creates it on first write). */
  readonly database: string;
  /** Days of continuous backup (point-in-time restore), at least 7. */
  readonly backupDays: number;
  readonly logRetentionDays: number;
  /** Deletion protection, `prevent_destroy` and a final snapshot. */
  readonly protection: boolean;
}

/**
 * DocumentDB 5.0, the long-term-support line (8.0, GA since November 2025, is an
 * in-place major upgrade from it): every region and instance class offers it, its `tls`
 * parameter accepts `tls1.2+`, and Performance Insights supports it (not 8.0 yet).
 */
export const DOCDB_VERSION = "5.0.0";
const PORT = 27017;
const LOG_EXPORTS = ["audit", "profiler"];

/**
 * A DocumentDB (MongoDB-compatible) cluster in the isolated data subnets, reachable on
 * 27017 from the cluster's nodes only. The volume is encrypted with the data key,
 * clients must use TLS 1.2 or later, audit and profiler logs go to KMS-encrypted log
 * groups, and DocumentDB generates the master password and keeps it in Secrets
 * Manager: the provider offers no key choice for that secret, so it is encrypted with
 * the account's `aws/secretsmanager` key rather than the secrets key (the alternative,
 * a password Terraform generates, would sit in the state).
 *
 * Instances are keyed by index: a tier with more instances adds replicas and changes
 * none; the cluster (which holds the data) is the protected resource.
 */
export class AwsDocuments extends Construct {
  readonly cluster: DocdbCluster;
  readonly instances: DocdbClusterInstance[] = [];
  readonly securityGroup: SecurityGroup;
  readonly secretArn: string;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: AwsDocumentsProps) {
    super(scope, id);
    const { naming, documents, keys, protection } = props;
    const identifier = naming.name("documents");
    const instanceClass = documents.instanceClass;
    if (!instanceClass) throw new Error("data.documents needs an instance class on aws (the tier supplies one)");

    this.securityGroup = new StoreSecurityGroup(this, "SecurityGroup", {
      name: identifier,
      description: `${identifier}: DocumentDB from the cluster's nodes`,
      vpcId: props.network.vpc.id,
      port: PORT,
      clients: props.clients,
    }).group;
    const subnets = new DocdbSubnetGroup(this, "SubnetGroup", {
      name: identifier,
      description: `${identifier}: the isolated data subnets`,
      subnetIds: props.network.dataSubnets.map((s) => s.id),
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
    const logGroups = serviceLogGroups(this, `/aws/docdb/${identifier}`, LOG_EXPORTS, props.logRetentionDays, keys.logs);

    this.cluster = protect(
      new DocdbCluster(this, "Cluster", {
        clusterIdentifier: identifier,
        engine: "docdb",
        engineVersion: DOCDB_VERSION,
        masterUsername: MASTER_USER,
        manageMasterUserPassword: true,
        storageEncrypted: true,
        kmsKeyId: keys.data.arn,
        port: PORT,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        dbClusterParameterGroupName: parameters.name,
        backupRetentionPeriod: props.backupDays,
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

    for (let i = 0; i < documents.instances; i++) {
      this.instances.push(
        new DocdbClusterInstance(this, `Instance-${i}`, {
          identifier: `${identifier}-${i}`,
          clusterIdentifier: this.cluster.id,
          instanceClass,
          caCertIdentifier: RDS_CA,
          autoMinorVersionUpgrade: true,
          enablePerformanceInsights: true,
          performanceInsightsKmsKeyId: keys.data.arn,
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
      database: props.database,
      // DocumentDB's cluster endpoint is a replica set `rs0` without retryable writes.
      settings: {
        tls: "true",
        replica_set: "rs0",
        retry_writes: "false",
        ca_bundle_url: "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
      },
      credentials: { remoteKey: this.secretArn, properties: { username: "username", password: "password" } },
    };
  }
}
