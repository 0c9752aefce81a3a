import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbInstanceAutomatedBackupsReplication } from "@cdktf/provider-aws/lib/db-instance-automated-backups-replication";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import type { DataSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import type { AwsNetwork } from "../network/aws";
import { StoreSecurityGroup } from "./aws-security-group";
import type { DataStoreConnection } from "./data";
import type { AwsKeys, DisasterRecoveryRegion } from "./keys/aws";
import { serviceLogGroups } from "./aws-log-groups";

/** Days of backups kept in the DR region (fixed: changing it would restart the replication). */
const DR_RETENTION_DAYS = 14;

export interface AwsPostgresProps {
  readonly naming: Naming;
  readonly region: string;
  readonly postgres: NonNullable<DataSpec["postgres"]>;
  readonly network: AwsNetwork;
  /** The only group admitted on 5432: the EKS nodes (pods share it). */
  readonly clients: SecurityGroup;
  /** `data` encrypts storage, snapshots and Performance Insights; `secrets` the master password; `logs` the log groups. */
  readonly keys: AwsKeys;
  /** The database RDS creates, which applications use. */
  readonly database: string;
  readonly logRetentionDays: number;
  /** Deletion protection, `prevent_destroy` and a final snapshot. */
  readonly protection: boolean;
  /** Automated backups (and their transaction logs) replicated there. @default none */
  readonly disasterRecovery?: DisasterRecoveryRegion;
}

/** The master user of RDS and DocumentDB: a constant, since changing it replaces the database. */
export const MASTER_USER = "byoc_admin";
/** RDS's current default CA: RSA 2048, server certificates rotated without a restart. */
export const RDS_CA = "rds-ca-rsa2048-g1";
const PORT = 5432;
const LOG_EXPORTS = ["postgresql", "upgrade"];

/**
 * RDS for PostgreSQL in the isolated data subnets, reachable on 5432 from the cluster's
 * nodes only, never publicly. Storage, snapshots and Performance Insights are encrypted
 * with the data key; RDS generates the master password and keeps (and rotates) it in
 * Secrets Manager under the secrets key, so no password passes through Terraform.
 * Connections must use TLS (`rds.force_ssl`), connections and slow statements are
 * logged to KMS-encrypted log groups, enhanced monitoring reports every minute.
 *
 * Size, storage, Multi-AZ and backup days change in place; the identifier, engine,
 * keys, subnet group, user and database never depend on the tier. The engine version
 * is the major only: RDS picks the minor and upgrades it in the maintenance window,
 * and the provider accepts a configured prefix of the running version, so no
 * `ignore_changes` is needed.
 */
export class AwsPostgres extends Construct {
  readonly instance: DbInstance;
  readonly securityGroup: SecurityGroup;
  /** The RDS-managed secret holding `username` and `password`. */
  readonly secretArn: string;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: AwsPostgresProps) {
    super(scope, id);
    const { naming, postgres, keys, protection } = props;
    const identifier = naming.name("postgres");

    this.securityGroup = new StoreSecurityGroup(this, "SecurityGroup", {
      name: identifier,
      description: `${identifier}: PostgreSQL from the cluster's nodes`,
      vpcId: props.network.vpc.id,
      port: PORT,
      clients: props.clients,
    }).group;
    const subnets = new DbSubnetGroup(this, "SubnetGroup", {
      name: identifier,
      description: `${identifier}: the isolated data subnets`,
      subnetIds: props.network.dataSubnets.map((s) => s.id),
      tags: { Name: identifier },
    });
    const parameters = this.parameterGroup(naming, postgres.version);
    const logGroups = serviceLogGroups(this, `/aws/rds/instance/${identifier}`, LOG_EXPORTS, props.logRetentionDays, keys.logs);
    const monitoring = this.monitoringRole(naming, keys.partition);

    this.instance = protect(
      new DbInstance(this, "Instance", {
        identifier,
        engine: "postgres",
        engineVersion: postgres.version,
        // Changing the spec's major version is the upgrade; RDS refuses it otherwise.
        allowMajorVersionUpgrade: true,
        autoMinorVersionUpgrade: true,
        instanceClass: postgres.instanceClass,
        storageType: "gp3",
        allocatedStorage: postgres.storageGb,
        maxAllocatedStorage: postgres.maxStorageGb,
        storageEncrypted: true,
        kmsKeyId: keys.data.arn,
        dbName: props.database,
        username: MASTER_USER,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: keys.secrets.arn,
        // Enabled so IAM tokens can be used for roles mapped to `rds_iam` inside the database.
        iamDatabaseAuthenticationEnabled: true,
        port: PORT,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        publiclyAccessible: false,
        parameterGroupName: parameters.name,
        caCertIdentifier: RDS_CA,
        multiAz: postgres.ha,
        backupRetentionPeriod: postgres.backupDays,
        copyTagsToSnapshot: true,
        deletionProtection: protection,
        skipFinalSnapshot: !protection,
        finalSnapshotIdentifier: protection ? `${identifier}-final` : undefined,
        // Kept after the instance is deleted: the last point-in-time restore still works.
        deleteAutomatedBackups: !protection,
        enabledCloudwatchLogsExports: LOG_EXPORTS,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: keys.data.arn,
        performanceInsightsRetentionPeriod: 7,
        monitoringInterval: 60,
        monitoringRoleArn: monitoring.role.arn,
        // Size and class changes wait for the maintenance window, not the next apply.
        applyImmediately: false,
        tags: { Name: identifier },
        dependsOn: [...logGroups, monitoring.attachment],
      }),
      protection,
    );
    this.secretArn = this.instance.masterUserSecret.get(0).secretArn;

    const dr = props.disasterRecovery;
    if (dr) {
      if (!keys.dataReplica) throw new Error("disaster recovery needs the data key's replica: pass disasterRecovery to AwsKeys too");
      // Snapshots and transaction logs copied as they are taken: point-in-time restore in
      // the other region with an RPO of minutes. Every argument forces a replacement, which
      // would restart the replication: the retention is therefore fixed, not the tier's.
      new DbInstanceAutomatedBackupsReplication(this, "DisasterRecoveryBackups", {
        provider: dr.provider,
        sourceDbInstanceArn: this.instance.arn,
        kmsKeyId: keys.dataReplica.arn,
        retentionPeriod: DR_RETENTION_DAYS,
      });
    }

    this.connection = {
      kind: "postgres",
      host: this.instance.address,
      port: PORT,
      database: props.database,
      settings: {
        sslmode: "verify-full",
        ca_bundle_url: `https://truststore.pki.rds.amazonaws.com/${props.region}/${props.region}-bundle.pem`,
      },
      credentials: { remoteKey: this.secretArn, properties: { username: "username", password: "password" } },
    };
  }

  /**
   * TLS only, and an audit trail of sessions and slow statements. Named by major
   * version and replaced before it is destroyed, so a major upgrade switches to the new
   * family's group in the same apply.
   */
  private parameterGroup(naming: Naming, version: string): DbParameterGroup {
    return new DbParameterGroup(this, "ParameterGroup", {
      name: naming.name(`postgres${version}`),
      family: `postgres${version}`,
      description: "TLS required; connections, disconnections and statements over 1 s logged",
      parameter: [
        { name: "rds.force_ssl", value: "1" },
        { name: "ssl_min_protocol_version", value: "TLSv1.2" },
        { name: "log_connections", value: "1" },
        { name: "log_disconnections", value: "1" },
        { name: "log_min_duration_statement", value: "1000" },
      ],
      lifecycle: { createBeforeDestroy: true },
    });
  }

  /** Enhanced monitoring publishes OS metrics through this role. */
  private monitoringRole(naming: Naming, partition: string) {
    const trust = new DataAwsIamPolicyDocument(this, "MonitoringTrust", {
      statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["monitoring.rds.amazonaws.com"] }] }],
    });
    const name = naming.name("rds-monitoring", undefined, 64);
    const role = new IamRole(this, "MonitoringRole", { name, assumeRolePolicy: trust.json, tags: { Name: name } });
    const attachment = new IamRolePolicyAttachment(this, "MonitoringPolicy", {
      role: role.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
    });
    return { role, attachment };
  }
}
