import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbInstanceAutomatedBackupsReplication } from "@cdktf/provider-aws/lib/db-instance-automated-backups-replication";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Construct } from "constructs";
import type { AwsAuditServer } from "../audit/sql/aws";
import { AUDIT_DATABASE, AUDIT_ROLES } from "../audit/sql/roles";
import { TIERS } from "../config/tiers";
import { constructOutput } from "../core/outputs";
import { namingOf, type Naming } from "../core/naming";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { serviceLogGroups } from "./aws-log-groups";
import { StoreSecurityGroup } from "./aws-security-group";
import { DEFAULT_LOG_RETENTION_DAYS, validateStoreProps, type AwsDisasterRecovery, type AwsStoreProps } from "./aws-store";
import type { DataStoreConnection } from "./data";
import type { IAwsKey } from "./keys/aws";
import { requireInt, requireProp } from "../core/validate";

/** Days of backups kept in the DR region (fixed: changing it would restart the replication). */
const DR_RETENTION_DAYS = 14;
const SMALL = TIERS.small.data.postgres;

/** The database's engine and sizes; every one defaults to the small tier's. */
export interface AwsPostgresOptions {
  /** The PostgreSQL major version; changing it is the major upgrade. @default AwsPostgres.DEFAULT_VERSION ("17") */
  readonly version?: string;
  /** The RDS instance class. @default - the small tier's, "db.t4g.medium" */
  readonly instanceClass?: string;
  /** Allocated gp3 storage in GB, 20-65536. @default - the small tier's, 100 */
  readonly storageGb?: number;
  /** The ceiling storage autoscaling may grow to, `storageGb`-65536. @default - the small tier's 1000, or `storageGb` if larger */
  readonly maxStorageGb?: number;
  /** Multi-AZ: a synchronous standby in another zone. @default - the small tier's, false */
  readonly ha?: boolean;
  /** Days of automated backups and point-in-time restore, 7-35. @default - the small tier's, 7 */
  readonly backupDays?: number;
  /** The database RDS creates, which applications use. @default - the deployment name, `-` replaced by `_` */
  readonly database?: string;
}

export interface AwsPostgresProps extends AwsStoreProps, AwsPostgresOptions {
  /** Encrypts the master password RDS generates and keeps in Secrets Manager. */
  readonly secretsKey: IAwsKey;
  /** The region the instance is in, for its CA bundle's URL. @default - the region of the stack's AWS provider */
  readonly region?: string;
  /** The AWS partition, for the enhanced-monitoring policy's ARN. @default - read with an `aws_partition` data source */
  readonly partition?: string;
  /** Automated backups (and their transaction logs) replicated to a second region. @default - none */
  readonly disasterRecovery?: AwsDisasterRecovery;
}

/** The master user of RDS and DocumentDB: a constant, since changing it replaces the database. */
export const MASTER_USER = "byoc_admin";
/** RDS's current default CA: RSA 2048, server certificates rotated without a restart. */
export const RDS_CA = "rds-ca-rsa2048-g1";
const PORT = 5432;
const LOG_EXPORTS = ["postgresql", "upgrade"];

/**
 * RDS for PostgreSQL in the network's data subnets, reachable on 5432 from the client
 * security groups only, never publicly. Storage, snapshots and Performance Insights are
 * encrypted with `key`; RDS generates the master password and keeps (and rotates) it in
 * Secrets Manager under `secretsKey`, so no password passes through Terraform.
 * Connections must use TLS (`rds.force_ssl`), connections and slow statements are
 * logged to log groups created beforehand, enhanced monitoring reports every minute.
 * Outputs: `address` and `secret_arn`.
 *
 * Size, storage, Multi-AZ and backup days change in place; the identifier, engine,
 * keys, subnet group, user and database never depend on the tier. The engine version
 * is the major only: RDS picks the minor and upgrades it in the maintenance window,
 * and the provider accepts a configured prefix of the running version, so no
 * `ignore_changes` is needed.
 */
export class AwsPostgres extends Construct {
  static readonly DEFAULT_VERSION = "17";
  readonly instance: DbInstance;
  readonly securityGroup: SecurityGroup;
  /** The RDS-managed secret holding `username` and `password`. */
  readonly secretArn: string;
  readonly connection: DataStoreConnection;
  /** The audit ledger's database on this server, as tenants reach it (used when the data layer publishes it). */
  readonly auditConnection: DataStoreConnection;
  /** What the platform stack's AwsAuditLogins need to create the audit database and its logins. */
  readonly auditServer: AwsAuditServer;
  readonly version: string;
  readonly instanceClass: string;
  readonly storageGb: number;
  readonly maxStorageGb: number;
  readonly ha: boolean;
  readonly backupDays: number;
  readonly database: string;
  readonly protection: boolean;

  constructor(scope: Construct, id: string, props: AwsPostgresProps) {
    super(scope, id);
    validateStoreProps(this, props);
    requireProp(this, "version", props.version, (v: string) => /^\d{2}$/.test(v), 'a PostgreSQL major version such as "17"');
    requireProp(this, "instanceClass", props.instanceClass, (c: string) => /^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(c), 'an RDS instance class such as "db.m7g.large"');
    requireInt(this, "storageGb", props.storageGb, 20, 65536);
    requireInt(this, "backupDays", props.backupDays, 7, 35);
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    this.version = props.version ?? AwsPostgres.DEFAULT_VERSION;
    this.instanceClass = props.instanceClass ?? SMALL.instanceClass.aws;
    this.storageGb = props.storageGb ?? SMALL.storageGb;
    this.maxStorageGb = props.maxStorageGb ?? Math.max(SMALL.maxStorageGb, this.storageGb);
    requireProp(this, "maxStorageGb", props.maxStorageGb, (g: number) => Number.isInteger(g) && g >= this.storageGb && g <= 65536, `an integer from storageGb (${this.storageGb}) to 65536`);
    this.ha = props.ha ?? SMALL.ha;
    this.backupDays = props.backupDays ?? SMALL.backupDays;
    this.database = props.database ?? naming.deployment.replace(/-/g, "_");
    this.protection = props.protection ?? true;
    const region = resolveRegion(this, "aws", props.region);
    const partition = props.partition ?? new DataAwsPartition(this, "Partition").partition;
    const { key } = props;
    const identifier = naming.name("postgres");

    this.securityGroup = new StoreSecurityGroup(this, "SecurityGroup", {
      name: identifier,
      description: `${identifier}: PostgreSQL from the cluster's nodes`,
      vpcId: props.network.vpcId,
      port: PORT,
      clientSecurityGroupIds: props.clientSecurityGroupIds,
    }).group;
    const subnets = new DbSubnetGroup(this, "SubnetGroup", {
      name: identifier,
      description: `${identifier}: the isolated data subnets`,
      subnetIds: props.network.dataSubnetIds,
      tags: { Name: identifier },
    });
    const parameters = this.parameterGroup(naming, this.version);
    const logGroups = serviceLogGroups(this, `/aws/rds/instance/${identifier}`, LOG_EXPORTS, props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS, props.logsKey);
    const monitoring = this.monitoringRole(naming, partition);

    this.instance = protect(
      new DbInstance(this, "Instance", {
        identifier,
        engine: "postgres",
        engineVersion: this.version,
        // Changing the major version is the upgrade; RDS refuses it otherwise.
        allowMajorVersionUpgrade: true,
        autoMinorVersionUpgrade: true,
        instanceClass: this.instanceClass,
        storageType: "gp3",
        allocatedStorage: this.storageGb,
        maxAllocatedStorage: this.maxStorageGb,
        storageEncrypted: true,
        kmsKeyId: key.arn,
        dbName: this.database,
        username: MASTER_USER,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: props.secretsKey.arn,
        // Enabled so IAM tokens can be used for roles mapped to `rds_iam` inside the database.
        iamDatabaseAuthenticationEnabled: true,
        port: PORT,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        publiclyAccessible: false,
        parameterGroupName: parameters.name,
        caCertIdentifier: RDS_CA,
        multiAz: this.ha,
        backupRetentionPeriod: this.backupDays,
        copyTagsToSnapshot: true,
        deletionProtection: this.protection,
        skipFinalSnapshot: !this.protection,
        finalSnapshotIdentifier: this.protection ? `${identifier}-final` : undefined,
        // Kept after the instance is deleted: the last point-in-time restore still works.
        deleteAutomatedBackups: !this.protection,
        enabledCloudwatchLogsExports: LOG_EXPORTS,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: key.arn,
        performanceInsightsRetentionPeriod: 7,
        monitoringInterval: 60,
        monitoringRoleArn: monitoring.role.arn,
        // Size and class changes wait for the maintenance window, not the next apply.
        applyImmediately: false,
        tags: { Name: identifier },
        dependsOn: [...logGroups, monitoring.attachment],
      }),
      this.protection,
    );
    this.secretArn = this.instance.masterUserSecret.get(0).secretArn;

    const dr = props.disasterRecovery;
    if (dr) {
      // Snapshots and transaction logs copied as they are taken: point-in-time restore in
      // the other region with an RPO of minutes. Every argument forces a replacement, which
      // would restart the replication: the retention is therefore fixed, not the tier's.
      new DbInstanceAutomatedBackupsReplication(this, "DisasterRecoveryBackups", {
        provider: dr.provider,
        sourceDbInstanceArn: this.instance.arn,
        kmsKeyId: dr.key.arn,
        retentionPeriod: DR_RETENTION_DAYS,
      });
    }

    this.connection = {
      kind: "postgres",
      host: this.instance.address,
      port: PORT,
      database: this.database,
      settings: {
        sslmode: "verify-full",
        ca_bundle_url: `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`,
      },
      credentials: { remoteKey: this.secretArn, properties: { username: "username", password: "password" } },
    };
    this.auditConnection = {
      kind: "audit",
      host: this.instance.address,
      port: PORT,
      database: AUDIT_DATABASE,
      // No password: the application's pods sign in as audit_app with IAM tokens (their role may rds-db:connect as it).
      settings: { sslmode: "verify-full", ca_bundle_url: this.connection.settings.ca_bundle_url, auth: "iam", user: AUDIT_ROLES.app },
    };
    this.auditServer = {
      host: this.instance.address,
      port: PORT,
      resourceId: this.instance.resourceId,
      masterUser: MASTER_USER,
      masterSecretArn: this.secretArn,
      masterSecretKeyArn: props.secretsKey.arn,
    };
    constructOutput(this, "address", { value: this.instance.address, description: "The PostgreSQL instance's private host name." });
    constructOutput(this, "secret_arn", { value: this.secretArn, description: "The Secrets Manager secret RDS keeps the master credentials in." });
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
