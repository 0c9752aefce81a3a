/** The name of the audit database on a server the kit provisions. */
export const AUDIT_DATABASE = "audit";

/**
 * The ledger's logins on every target. The group roles (audit_owner, audit_writer,
 * audit_reader, audit_maintainer) are the migrations' own (V001); these logins are
 * members of them.
 */
export const AUDIT_ROLES = {
  /** Owns the database and applies the migrations (a member of audit_owner). */
  migrator: "audit_migrator",
  /** Runs retention and verification (audit_maintainer). */
  maintainer: "audit_keeper",
  /** The application's (audit_writer): appends and reads. */
  app: "audit_app",
} as const;

/**
 * The audit database, owned by `owner`, created by an admin that is no superuser
 * (RDS's master user, an Entra admin, cloudsqlsuperuser). From PostgreSQL 16 such an
 * admin must be able to SET ROLE the owner to hand it a database, so it takes the role
 * for that statement only; it keeps the ADMIN option it has as the owner's creator.
 * Idempotent: psql's \gexec runs the CREATE only when the database is missing.
 */
export function createDatabaseSql(owner: string): string[] {
  return [
    `GRANT ${owner} TO CURRENT_USER;`,
    `SELECT 'CREATE DATABASE ${AUDIT_DATABASE} OWNER ${owner} TEMPLATE template0 ENCODING ''UTF8''' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${AUDIT_DATABASE}') \\gexec`,
    `REVOKE ${owner} FROM CURRENT_USER;`,
  ];
}
