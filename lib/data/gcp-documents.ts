import { FirestoreBackupSchedule } from "@cdktf/provider-google/lib/firestore-backup-schedule";
import { FirestoreDatabase } from "@cdktf/provider-google/lib/firestore-database";
import { Construct } from "constructs";
import type { DeploymentSpec } from "../config/spec";
import type { Naming } from "../core/naming";
import { protect } from "../core/protect";
import { setComponent } from "../core/tags";
import type { DataStoreConnection } from "./data";
import type { GcpKeys } from "./keys/gcp";

export interface GcpDocumentsProps {
  readonly spec: DeploymentSpec;
  readonly naming: Naming;
  readonly project: string;
  readonly region: string;
  /** The data key encrypts the database. */
  readonly keys: GcpKeys;
}

/** Days of daily backups when the spec sets none (PostgreSQL's backupDays otherwise). */
const DEFAULT_BACKUP_DAYS = 7;
/** The longest a daily Firestore backup may be kept. */
const DAILY_BACKUP_DAYS = 7;

/**
 * The MongoDB-compatible store: a Firestore Enterprise edition database in the region,
 * encrypted with the data key, with point-in-time recovery (7 days), daily backups and
 * delete protection. Firestore is serverless: it has no instance class and no private
 * IP; drivers reach `<uid>.<region>.firestore.goog:443` over TLS (through Private Google
 * Access from the nodes) and log in with the workload's Google service account
 * (MONGODB-OIDC), which holds `roles/datastore.user` on this database only.
 */
export class GcpDocuments extends Construct {
  readonly database: FirestoreDatabase;
  /** The database id, known at synth: IAM conditions name it. */
  readonly databaseName: string;
  readonly connection: DataStoreConnection;

  constructor(scope: Construct, id: string, props: GcpDocumentsProps) {
    super(scope, id);
    setComponent(this, "data");
    const { spec, naming, project, region, keys } = props;
    if (!spec.data.documents || !keys.data) throw new Error("GcpDocuments needs data.documents and the keys' data key");
    const protection = spec.data.protection;

    // Name, location, edition, type and key replace the database: none depends on the tier.
    this.databaseName = naming.name("documents");
    const name = this.databaseName;
    this.database = protect(
      new FirestoreDatabase(this, "Database", {
        name,
        project,
        locationId: region,
        type: "FIRESTORE_NATIVE",
        databaseEdition: "ENTERPRISE",
        cmekConfig: { kmsKeyName: keys.data.id },
        pointInTimeRecoveryEnablement: "POINT_IN_TIME_RECOVERY_ENABLED",
        deleteProtectionState: protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED",
        // ABANDON keeps the database when Terraform forgets it; DELETE only for throwaway environments.
        deletionPolicy: protection ? "ABANDON" : "DELETE",
        dependsOn: keys.grantsFor("documents"),
      }),
      protection,
    );

    // Firestore keeps daily backups at most 7 days and weekly ones up to 14 weeks: the
    // daily schedule covers the last week, a weekly one the rest of the backup days. Both
    // always exist (a schedule's recurrence cannot change in place), so a tier change only
    // changes their retention.
    const days = spec.data.postgres?.backupDays ?? DEFAULT_BACKUP_DAYS;
    new FirestoreBackupSchedule(this, "DailyBackup", {
      project,
      database: name,
      retention: `${DAILY_BACKUP_DAYS * 86400}s`,
      dailyRecurrence: {},
      dependsOn: [this.database],
    });
    new FirestoreBackupSchedule(this, "WeeklyBackup", {
      project,
      database: name,
      retention: `${Math.max(days, DAILY_BACKUP_DAYS + 7) * 86400}s`,
      weeklyRecurrence: { day: "SUNDAY" },
      dependsOn: [this.database],
    });

    this.connection = {
      kind: "documents",
      host: `${this.database.uid}.${region}.firestore.goog`,
      port: 443,
      database: name,
      // The connection string's options: load-balanced mode, TLS, no retryable writes (not
      // supported), and the workload's identity from the metadata server instead of a user.
      settings: {
        tls: "true",
        loadBalanced: "true",
        retryWrites: "false",
        authMechanism: "MONGODB-OIDC",
        authMechanismProperties: "ENVIRONMENT:gcp,TOKEN_RESOURCE:FIRESTORE",
      },
    };
  }
}
