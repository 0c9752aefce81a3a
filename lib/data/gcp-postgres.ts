import { SqlDatabase } from "@cdktf/provider-google/lib/sql-database";
import { SqlDatabaseInstance } from "@cdktf/provider-google/lib/sql-database-instance";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { gcpLabels, setComponent } from "../core/tags";
import type { GcpNetwork } from "../network/gcp";
import type { DataStoreConnection } from "./data";
import type { GcpKeys } from "./keys/gcp";

export interface GcpPostgresProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly project: string;
  /** Its private IP comes from the network's private service access range. */
  readonly network: GcpNetwork;
  /** The data key encrypts the instance, its disks and backups. */
  readonly keys: GcpKeys;
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
 * access range and no public one, TLS required, encrypted with the data key, REGIONAL
 * (a standby in another zone) when the spec asks for HA, storage growing on its own up
 * to the spec's ceiling, daily backups with point-in-time recovery (copied to the
 * disaster-recovery region when set), query insights, connection and audit logs, and
 * deletion protection at both Terraform and the API. Workloads log in with their Google
 * service accounts (IAM database authentication): no password exists.
 */
export class GcpPostgres extends Construct {
  readonly instance: SqlDatabaseInstance;
  /** The instance's name, known at synth: IAM users and conditions name it. */
  readonly instanceName: string;
  readonly database: SqlDatabase;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: GcpPostgresProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec, naming, project, network, keys } = props;
    const postgres = spec.data.postgres;
    if (!postgres || !keys.data) throw new Error("GcpPostgres needs data.postgres and the keys' data key");
    const protection = spec.data.protection;

    // Name, region and key replace the instance when changed: none depends on the tier.
    // The machine tier, availability and disk size change in place.
    this.instanceName = naming.name("postgres");
    this.instance = protect(
      new SqlDatabaseInstance(this, "Instance", {
        name: this.instanceName,
        project,
        region: network.region,
        databaseVersion: `POSTGRES_${postgres.version}`,
        encryptionKeyName: keys.data.id,
        deletionProtection: protection,
        settings: {
          tier: postgres.instanceClass,
          edition: "ENTERPRISE",
          availabilityType: postgres.ha ? "REGIONAL" : "ZONAL",
          diskType: "PD_SSD",
          diskSize: postgres.storageGb,
          diskAutoresize: true,
          diskAutoresizeLimit: postgres.maxStorageGb,
          deletionProtectionEnabled: protection,
          // Automated backups outlive the instance, as a final snapshot would.
          retainBackupsOnDelete: protection,
          userLabels: gcpLabels({ ...spec.tags, deployment: spec.name, environment: spec.environment, "managed-by": "cdktf-byoc", component: "data" }),
          ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: network.network.id,
            allocatedIpRange: network.privateServiceRange.name,
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
            transactionLogRetentionDays: Math.min(postgres.backupDays, MAX_LOG_RETENTION_DAYS),
            backupRetentionSettings: { retainedBackups: postgres.backupDays, retentionUnit: "COUNT" },
            // Without disaster recovery, Cloud SQL keeps backups in the multi-region nearest the instance.
            location: spec.data.disasterRecovery?.region,
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
        dependsOn: [network.privateServiceAccess, ...keys.grantsFor("postgres")],
      }),
      protection,
    );

    this.database = protect(
      new SqlDatabase(this, "Database", {
        name: spec.name,
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
      database: spec.name,
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
  }
}
