import { FirestoreBackupSchedule } from "@cdktf/provider-google/lib/firestore-backup-schedule";
import { FirestoreDatabase } from "@cdktf/provider-google/lib/firestore-database";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { namingOf, type Naming } from "../core/naming";
import { constructOutput } from "../core/outputs";
import { protect } from "../core/protect";
import { resolveRegion } from "../core/region";
import { setComponent } from "../core/tags";
import { resolveProject } from "../network/gcp-context";
import type { DataStoreConnection } from "./data";
import type { IGcpKey } from "./keys/gcp";

export interface GcpDocumentsProps {
  /** Encrypts the database (Firestore's agent must hold encrypt/decrypt on it). */
  readonly key: IGcpKey;
  /** Days backups are kept: daily ones for the last week, weekly ones for the rest. @default GcpDocuments.DEFAULT_BACKUP_DAYS */
  readonly backupDays?: number;
  /**
   * Delete protection in Firestore, `prevent_destroy`, and the database abandoned rather
   * than deleted when removed. Off only for throwaway environments.
   * @default true
   */
  readonly protection?: boolean;
  /** The database's location. @default - the google provider's region */
  readonly region?: string;
  /** @default - the google provider's project (read at plan time when the provider sets none) */
  readonly project?: string;
  /** @default - the enclosing ByocStack's naming */
  readonly naming?: Naming;
}

/** The longest a daily Firestore backup may be kept. */
const DAILY_BACKUP_DAYS = 7;

/**
 * The MongoDB-compatible store: a Firestore Enterprise edition database in the region,
 * encrypted with the data key, with point-in-time recovery (7 days), daily backups and
 * delete protection. Firestore is serverless: it has no instance class and no private
 * IP; drivers reach `<uid>.<region>.firestore.goog:443` over TLS (through Private Google
 * Access from the nodes) and log in with the workload's Google service account
 * (MONGODB-OIDC), which holds `roles/datastore.user` on this database only. Output: `host`.
 */
export class GcpDocuments extends Construct {
  /** Daily backups for a week; weekly ones kept to two weeks. */
  static readonly DEFAULT_BACKUP_DAYS = 7;

  readonly database: FirestoreDatabase;
  /** The database id, known at synth: IAM conditions name it. */
  readonly databaseName: string;
  readonly connection: DataStoreConnection;
  readonly backupDays: number;
  readonly protection: boolean;
  readonly region: string;
  readonly project: string;

  constructor(scope: Construct, id: string, props: GcpDocumentsProps) {
    super(scope, id);
    this.backupDays = props.backupDays ?? GcpDocuments.DEFAULT_BACKUP_DAYS;
    const days = this.backupDays;
    // Weekly backups are kept at most 14 weeks.
    if (!Token.isUnresolved(days) && !(Number.isInteger(days) && days >= 1 && days <= 98)) {
      throw new Error(`GcpDocuments ${this.node.path}: backupDays must be a whole number from 1 to 98 (got ${days})`);
    }
    this.protection = props.protection ?? true;
    setComponent(this, "data");
    const naming = namingOf(this, props.naming);
    const project = (this.project = resolveProject(this, props.project));
    const region = (this.region = resolveRegion(this, "google", props.region));
    const protection = this.protection;

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
        cmekConfig: { kmsKeyName: props.key.id },
        pointInTimeRecoveryEnablement: "POINT_IN_TIME_RECOVERY_ENABLED",
        deleteProtectionState: protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED",
        // ABANDON keeps the database when Terraform forgets it; DELETE only for throwaway environments.
        deletionPolicy: protection ? "ABANDON" : "DELETE",
        dependsOn: props.key.grants,
      }),
      protection,
    );

    // Firestore keeps daily backups at most 7 days and weekly ones up to 14 weeks: the
    // daily schedule covers the last week, a weekly one the rest of the backup days. Both
    // always exist (a schedule's recurrence cannot change in place), so a tier change only
    // changes their retention.
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
    constructOutput(this, "host", { value: this.connection.host, description: "Firestore's MongoDB-compatible endpoint." });
  }
}
