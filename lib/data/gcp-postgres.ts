import { SqlDatabase } from "@cdktf/provider-google/lib/sql-database";
import { SqlDatabaseInstance } from "@cdktf/provider-google/lib/sql-database-instance";
import { Token } from "cdktf";
import { Construct } from "constructs";
import type { GcpAuditServer } from "../audit/sql/gcp";
import { POSTGRES_VERSIONS } from "../config/data";
import { TIERS } from "../config/tiers";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import type { IGcpPrivateServiceNetwork } from "../network/gcp";
import { deploymentLabels, resolveProject } from "../network/gcp-context";
import type { DataStoreConnection } from "./data";
import type { IGcpKey } from "./keys/gcp";

export interface GcpPostgresProps {
  /** The VPC and its private service access range, which the instance's private IP comes from. */
  readonly network: IGcpPrivateServiceNetwork;
  /** Encrypts the instance, its disks and backups (Cloud SQL's agent must hold encrypt/decrypt on it). */
  readonly key: IGcpKey;
  /** PostgreSQL major version. @default GcpPostgres.DEFAULT_VERSION */
  readonly version?: string;
  /** Machine tier, e.g. db-custom-2-8192 (changes in place). @default - the small tier's (TIERS.small.data.postgres.instanceClass.gcp) */
  readonly instanceClass?: string;
  /** Initial disk size in GB. @default - the small tier's (100) */
  readonly storageGb?: number;
  /** The most the disk grows to on its own, in GB. @default - the small tier's (1000) */
  readonly maxStorageGb?: number;
  /** A standby in another zone (REGIONAL availability). @default - the small tier's (false) */
  readonly ha?: boolean;
  /** Days of daily backups kept (point-in-time recovery: at most 7 of them). @default - the small tier's (7) */
  readonly backupDays?: number;
  /** Where backups are kept: the disaster-recovery region. @default - the multi-region nearest the instance */
  readonly backupLocation?: string;
  /** The database applications use. @default - the deployment's name */
  readonly databaseName?: string;
  /**
   * Deletion protection at Terraform (`prevent_destroy`) and the API, backups kept after
   * the instance is deleted, and the database abandoned rather than dropped when removed.
   * Off only for throwaway environments.
   * @default true
   */
  readonly protection?: boolean;
  /** Labels of the instance (`user_labels`, which the tagging aspect does not reach); the deployment's own are added and win. @default {} */
  readonly labels?: Record<string, string>;
  /** @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/**
 * PostgreSQL flags: connections and DDL logged, lock waits reported, IAM database
 * authentication on, and pgAudit for DDL and role changes (it takes effect once the
 * database runs `CREATE EXTENSION pgaudit`).
 */
const DATABASE_FLAGS: Record<string, string> = {
  log_connections: "on",
  log_disconnections: "on",
  log_lock_waits: "on",
  log_statement: "ddl",
  "cloudsql.iam_authentication": "on",
  "cloudsql.enable_pgaudit": "on",
  "pgaudit.log": "ddl,role",
};
/** Enterprise edition keeps transaction logs (point-in-time recovery) for at most 7 days. */
const MAX_LOG_RETENTION_DAYS = 7;

/**
 * Cloud SQL for PostgreSQL, Enterprise edition: a private IP from the private service
 * access range and no public one, TLS required, encrypted with `key`, REGIONAL (a
 * standby in another zone) with `ha`, storage growing on its own up to `maxStorageGb`,
 * daily backups with point-in-time recovery (kept in the disaster-recovery region when
 * `backupLocation` names it), query insights, connection and audit logs, and
 * deletion protection at both Terraform and the API. Workloads log in with their Google
 * service accounts (IAM database authentication): no password exists. Outputs:
 * `instance`, `connection_name` and `private_ip`.
 */
export class GcpPostgres extends Construct {
  static readonly DEFAULT_VERSION = "17";

  readonly instance: SqlDatabaseInstance;
  /** The instance's name, known at synth: IAM users and conditions name it. */
  readonly instanceName: string;
  readonly database: SqlDatabase;
  readonly connection: DataStoreConnection;
  /** What the platform stack's GcpAuditLogins need to create the audit database and its logins. */
  readonly auditServer: GcpAuditServer;
  readonly version: string;
  readonly instanceClass: string;
  readonly storageGb: number;
  readonly maxStorageGb: number;
  readonly ha: boolean;
  readonly backupDays: number;
  readonly databaseName: string;
  readonly protection: boolean;
  readonly region: string;
  readonly project: string;

  constructor(scope: Construct, id: string, props: GcpPostgresProps) {
    super(scope, id);
    const sizes = TIERS.small.data.postgres;
    this.version = props.version ?? GcpPostgres.DEFAULT_VERSION;
    this.instanceClass = props.instanceClass ?? sizes.instanceClass.gcp;
    this.storageGb = props.storageGb ?? sizes.storageGb;
    this.maxStorageGb = props.maxStorageGb ?? sizes.maxStorageGb;
    this.ha = props.ha ?? sizes.ha;
    this.backupDays = props.backupDays ?? sizes.backupDays;
    this.protection = props.protection ?? true;
    this.validate();
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    const region = (this.region = resolveRegion(this, "google", props.region));
    const { network, key } = props;
    const protection = this.protection;
    this.databaseName = props.databaseName ?? naming.deployment;

    // Name, region and key replace the instance when changed: none depends on the tier.
    // The machine tier, availability and disk size change in place.
    this.instanceName = naming.name("postgres");
    this.instance = protect(
      new SqlDatabaseInstance(this, "Instance", {
        name: this.instanceName,
        project,
        region,
        databaseVersion: `POSTGRES_${this.version}`,
        encryptionKeyName: key.id,
        deletionProtection: protection,
        settings: {
          tier: this.instanceClass,
          edition: "ENTERPRISE",
          availabilityType: this.ha ? "REGIONAL" : "ZONAL",
          diskType: "PD_SSD",
          diskSize: this.storageGb,
          diskAutoresize: true,
          diskAutoresizeLimit: this.maxStorageGb,
          deletionProtectionEnabled: protection,
          // Automated backups outlive the instance, as a final snapshot would.
          retainBackupsOnDelete: protection,
          userLabels: deploymentLabels(this, naming, "data", props.labels),
          ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: network.networkId,
            allocatedIpRange: network.privateServiceRangeName,
            // TLS on every connection; client certificates are not required, since logins are IAM tokens.
            sslMode: "ENCRYPTED_ONLY",
            // A CA per instance, published to workloads to verify the server.
            serverCaMode: "GOOGLE_MANAGED_INTERNAL_CA",
            enablePrivatePathForGoogleCloudServices: false,
          },
          backupConfiguration: {
            enabled: true,
            startTime: "01:00",
            pointInTimeRecoveryEnabled: true,
            transactionLogRetentionDays: Math.min(this.backupDays, MAX_LOG_RETENTION_DAYS),
            backupRetentionSettings: { retainedBackups: this.backupDays, retentionUnit: "COUNT" },
            // Without a backup location, Cloud SQL keeps backups in the multi-region nearest the instance.
            location: props.backupLocation,
          },
          // Sunday 02:00 UTC, on the stable track: updates land a few weeks after their notice.
          maintenanceWindow: { day: 7, hour: 2, updateTrack: "stable" },
          insightsConfig: {
            queryInsightsEnabled: true,
            queryStringLength: 1024,
            queryPlansPerMinute: 5,
            recordApplicationTags: true,
            recordClientAddress: false,
          },
          databaseFlags: Object.entries(DATABASE_FLAGS).map(([name, value]) => ({ name, value })),
        },
        // Autoresize grows the disk past the configured size; a plan must not try to shrink it
        // back (shrinking forces a new instance).
        lifecycle: { ignoreChanges: ["settings[0].disk_size"] },
        dependsOn: [...(network.privateServiceAccess ? [network.privateServiceAccess] : []), ...(key.grants ?? [])],
      }),
      protection,
    );

    this.database = protect(
      new SqlDatabase(this, "Database", {
        name: this.databaseName,
        instance: this.instance.name,
        project,
        // With protection on, removing it from the configuration leaves the data in place.
        deletionPolicy: protection ? "ABANDON" : "DELETE",
      }),
      protection,
    );

    this.connection = {
      kind: "postgres",
      host: this.instance.privateIpAddress,
      port: 5432,
      database: this.databaseName,
      settings: {
        sslmode: "verify-ca",
        // PEM of the instance's CA: mount the ConfigMap and point sslrootcert at this key.
        server_ca: this.instance.serverCaCert.get(0).cert,
        // The user is the workload's Google service account email without ".gserviceaccount.com";
        // the password is a fresh OAuth access token (Cloud SQL connectors fetch it themselves).
        auth: "iam",
        // For the Cloud SQL connectors and Auth Proxy (--auto-iam-authn).
        connection_name: this.instance.connectionName,
      },
    };

    this.auditServer = { project, instance: this.instance.name, host: this.instance.privateIpAddress, serverCa: this.instance.serverCaCert.get(0).cert };
    constructOutput(this, "instance", { value: this.instance.name, description: "The Cloud SQL instance: restore backups and clone to a point in time from it." });
    constructOutput(this, "connection_name", { value: this.instance.connectionName, description: "project:region:instance, for the Cloud SQL Auth Proxy and connectors." });
    constructOutput(this, "private_ip", { value: this.instance.privateIpAddress, description: "The instance's private IP (no public IP exists)." });
  }

  private validate() {
    const label = `GcpPostgres ${this.node.path}`;
    if (!(POSTGRES_VERSIONS as readonly string[]).includes(this.version)) {
      throw new Error(`${label}: version must be one of ${POSTGRES_VERSIONS.join(", ")} (got ${JSON.stringify(this.version)})`);
    }
    const { storageGb, maxStorageGb, backupDays } = this;
    if (!Token.isUnresolved(storageGb) && !(Number.isInteger(storageGb) && storageGb >= 10)) throw new Error(`${label}: storageGb must be a whole number of GB, at least 10 (got ${storageGb})`);
    if (!Token.isUnresolved(storageGb) && !Token.isUnresolved(maxStorageGb) && !(maxStorageGb >= storageGb)) {
      throw new Error(`${label}: maxStorageGb must be at least storageGb ${storageGb} (got ${maxStorageGb})`);
    }
    if (!Token.isUnresolved(backupDays) && !(Number.isInteger(backupDays) && backupDays >= 1 && backupDays <= 365)) {
      throw new Error(`${label}: backupDays must be a whole number from 1 to 365 (got ${backupDays})`);
    }
  }
}
