import { readdirSync } from "node:fs";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { AUDIT_SQL_DIR, migrateAs } from "./ledger-fixture";

/**
 * The ledger migrated the way the managed clouds need: by a NOLOGIN role audit_migrator
 * (CREATEROLE, owner of the database) that the migrating login is a member of and acts as
 * (PGOPTIONS='-c role=audit_migrator'), everything set up beforehand by an admin that is
 * no superuser, as RDS's master user, an Entra admin or cloudsqlsuperuser. PostgreSQL 16
 * changed what such an admin and such a role may do with roles they did not create.
 */

const MIGRATIONS = readdirSync(AUDIT_SQL_DIR).filter((f) => /^V\d+__\w+\.sql$/.test(f));
const GROUPS = ["audit_owner", "audit_writer", "audit_reader", "audit_maintainer"];

/** A server with the admin login of a managed cloud: CREATEROLE CREATEDB, no superuser. */
async function cloudServer(major: number): Promise<{ pg: PostgresServer; admin: Client }> {
  const pg = await startPostgres({ major });
  const su = await pg.connect("postgres");
  await su.query("CREATE ROLE cloud_admin LOGIN CREATEROLE CREATEDB");
  await su.end();
  return { pg, admin: await pg.connect("postgres", "cloud_admin") };
}

/**
 * As the admin: the NOLOGIN `migrator` role with CREATEROLE, a database it owns, and a
 * login that is a member of it. On 16+ the admin must be able to SET ROLE the new owner to
 * hand it the database, so it grants itself the role for that statement only.
 */
async function migratorSetup(admin: Client, migrator: string, database: string, login: string): Promise<void> {
  await admin.query(`CREATE ROLE ${migrator} NOLOGIN CREATEROLE`);
  await admin.query(`GRANT ${migrator} TO CURRENT_USER`);
  await admin.query(`CREATE DATABASE ${database} OWNER ${migrator}`);
  await admin.query(`REVOKE ${migrator} FROM CURRENT_USER`);
  await admin.query(`CREATE ROLE ${login} LOGIN`);
  await admin.query(`GRANT ${migrator} TO ${login}`);
}

/** A client of `login` acting as `role`, as psql with PGOPTIONS='-c role=...' connects. */
async function connectAs(pg: PostgresServer, database: string, login: string, role: string): Promise<Client> {
  const client = await pg.connect(database, login);
  await client.query(`SET ROLE ${role}`);
  return client;
}

describe.each(POSTGRES_MAJORS)("PostgreSQL %i", (major) => {
  describe("audit ledger migrated by a NOLOGIN migrator role, set up by a cloud admin that is no superuser", () => {
    let fresh: { pg: PostgresServer; admin: Client };
    let preset: { pg: PostgresServer; admin: Client };

    beforeAll(async () => {
      [fresh, preset] = await Promise.all([cloudServer(major), cloudServer(major)]);
    });
    afterAll(async () => {
      for (const s of [fresh, preset]) {
        await s?.admin.end();
        s?.pg.stop();
      }
    });

    test("the migrator creates the group roles itself; the login migrates as it, grants the app login, and the app appends", async () => {
      const { pg, admin } = fresh;
      await migratorSetup(admin, "audit_migrator", "audit", "mig_login");
      await admin.query("CREATE ROLE app_login LOGIN");

      const r = migrateAs(pg, "audit", "mig_login", "audit_migrator");
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.match(/^applying /gm)).toHaveLength(MIGRATIONS.length);
      const again = migrateAs(pg, "audit", "mig_login", "audit_migrator");
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).not.toMatch(/applying/);

      // Only the migrator holds ADMIN on the group roles it created (16+), so it grants the app.
      const mig = await connectAs(pg, "audit", "mig_login", "audit_migrator");
      try {
        await mig.query("GRANT audit_writer TO app_login");
        const owners = await mig.query<{ schema: string; database: string; by: string }>(
          `SELECT (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'audit') AS schema,
                  (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'audit') AS database,
                  (SELECT string_agg(DISTINCT applied_by, ',') FROM audit_migrations.applied) AS by`,
        );
        expect(owners.rows).toEqual([{ schema: "audit_owner", database: "audit_migrator", by: "mig_login" }]);
      } finally {
        await mig.end();
      }
      const app = await pg.connect("audit", "app_login");
      try {
        const appended = await app.query<{ seq: string }>("SELECT seq FROM audit.append('auth.login', 'alice', '{}')");
        expect(appended.rows).toEqual([{ seq: "1" }]);
      } finally {
        await app.end();
      }
    });

    test("with the group roles created by the admin beforehand and audit_owner granted to the migrator, the login migrates as it", async () => {
      const { pg, admin } = preset;
      for (const g of GROUPS) await admin.query(`CREATE ROLE ${g} NOLOGIN`);
      await migratorSetup(admin, "audit_migrator", "audit", "mig_login");
      await admin.query("GRANT audit_owner TO audit_migrator");
      await admin.query("CREATE ROLE app_login LOGIN IN ROLE audit_writer");

      const r = migrateAs(pg, "audit", "mig_login", "audit_migrator");
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.match(/^applying /gm)).toHaveLength(MIGRATIONS.length);

      const creators = await admin.query<{ rolname: string; member_of_creator: boolean }>(
        // The groups are still the admin's: the migration created none of them.
        `SELECT r.rolname, EXISTS (SELECT FROM pg_auth_members m WHERE m.roleid = r.oid AND m.member = 'cloud_admin'::regrole AND m.admin_option) AS member_of_creator
           FROM pg_roles r WHERE r.rolname = ANY ($1) ORDER BY r.rolname`,
        [GROUPS],
      );
      // 16+ records the creator's ADMIN OPTION; 15 has no such row (any CREATEROLE role administers every role).
      expect(creators.rows.every((c) => c.member_of_creator === major >= 16)).toBe(true);
      const app = await pg.connect("audit", "app_login");
      try {
        const appended = await app.query<{ seq: string }>("SELECT seq FROM audit.append('auth.login', 'alice', '{}')");
        expect(appended.rows).toEqual([{ seq: "1" }]);
      } finally {
        await app.end();
      }
    });

    test("a migrator that is not granted an audit_owner someone else created: refused on 16+ with the GRANT it needs, granted by CREATEROLE on 15", async () => {
      // On the server of the previous test: audit_owner exists, created by the admin.
      const { pg, admin } = preset;
      await migratorSetup(admin, "other_migrator", "audit_other", "other_login");

      const r = migrateAs(pg, "audit_other", "other_login", "other_migrator");
      if (major >= 16) {
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/the migrating role other_migrator may not SET ROLE audit_owner and cannot grant itself that role/);
        expect(r.stderr).toMatch(/GRANT audit_owner TO other_migrator/);
        const schema = await pg.connect("audit_other", "cloud_admin");
        try {
          expect((await schema.query("SELECT to_regnamespace('audit') AS s")).rows).toEqual([{ s: null }]);
        } finally {
          await schema.end();
        }
      } else {
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.match(/^applying /gm)).toHaveLength(MIGRATIONS.length);
      }
    });
  });
});
