import { createHash } from "node:crypto";
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { AUDIT_SQL_DIR, MIGRATOR, createMigrator, migrate, migrateAsync } from "./ledger-fixture";

const MIGRATIONS = readdirSync(AUDIT_SQL_DIR).filter((f) => /^V\d+__\w+\.sql$/.test(f)).sort();

describe.each(POSTGRES_MAJORS)("PostgreSQL %i", (major) => {
  let pg: PostgresServer;
  let admin: Client;
  const scratch: string[] = [];

  beforeAll(async () => {
    pg = await startPostgres({ major });
    admin = await pg.connect("postgres");
    await createMigrator(admin);
  });

  afterAll(async () => {
    await admin?.end();
    pg?.stop();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  async function newDatabase(name: string, extra = ""): Promise<void> {
    await admin.query(`CREATE DATABASE ${name} OWNER ${MIGRATOR}${extra}`);
  }

  /** A copy of the shipped migrations that a test may change. */
  function copyOfMigrations(): string {
    const dir = mkdtempSync(join(tmpdir(), "audit-sql-"));
    scratch.push(dir);
    cpSync(AUDIT_SQL_DIR, dir, { recursive: true });
    return dir;
  }

  async function query<T extends object>(database: string, sql: string): Promise<T[]> {
    const client = await pg.connect(database);
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  const applied = (database: string) =>
    query<{ version: number; name: string; sha256: string; applied_at: Date }>(database, "SELECT * FROM audit_migrations.applied ORDER BY version");

  describe("audit ledger migrations (migrate.sh)", () => {
    test("apply from scratch as a CREATEROLE login that is no superuser, recording each version with its file's sha256", async () => {
      // GIVEN an empty database owned by the migrating login
      await newDatabase("fresh");
      // WHEN the runner applies the shipped migrations
      const r = migrate(pg, "fresh");
      // THEN every file is applied in order and recorded with the sha256 of its bytes
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.match(/^applying (\S+)$/gm)).toEqual(MIGRATIONS.map((f) => `applying ${f.replace(/\.sql$/, "")}`));
      const rows = await applied("fresh");
      expect(rows.map((a) => [a.version, `${a.name}.sql`, a.sha256])).toEqual(
        MIGRATIONS.map((f) => [Number(/^V(\d+)/.exec(f)![1]), f, createHash("sha256").update(readFileSync(join(AUDIT_SQL_DIR, f))).digest("hex")]),
      );
      // AND the schema and everything in it belong to the NOLOGIN owner role, not to the migrator
      const owners = await query<{ owner: string }>(
        "fresh",
        `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.relnamespace = 'audit'::regnamespace
         UNION SELECT DISTINCT pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.pronamespace = 'audit'::regnamespace
         UNION SELECT pg_get_userbyid(n.nspowner) FROM pg_namespace n WHERE n.nspname = 'audit'`,
      );
      expect(owners).toEqual([{ owner: "audit_owner" }]);
      const roles = await query<{ rolname: string; rolcanlogin: boolean }>(
        "fresh",
        "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'audit\\_%' ORDER BY rolname",
      );
      expect(roles).toEqual(["audit_maintainer", "audit_owner", "audit_reader", "audit_writer"].map((rolname) => ({ rolname, rolcanlogin: false })));
    });

    test("re-applying changes nothing", async () => {
      const before = await applied("fresh");
      const r = migrate(pg, "fresh");
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/applying/);
      expect(await applied("fresh")).toEqual(before);
    });

    test("a second database on the same server reuses the existing group roles", async () => {
      await newDatabase("second");
      const r = migrate(pg, "second");
      expect(r.status, r.stderr).toBe(0);
      expect(await applied("second")).toHaveLength(MIGRATIONS.length);
    });

    test("an applied migration whose file changed is refused, and nothing after it runs", async () => {
      // GIVEN a database migrated from a copy of the files
      const dir = copyOfMigrations();
      await newDatabase("tampered");
      expect(migrate(pg, "tampered", dir).status).toBe(0);
      // WHEN an applied file is edited and a new migration is added after it
      appendFileSync(join(dir, MIGRATIONS[1]), "\n-- an edit after the fact\n");
      writeFileSync(join(dir, "V900__later.sql"), "CREATE TABLE public.later_migration_ran (id int);\n");
      const r = migrate(pg, "tampered", dir);
      // THEN the run fails naming the changed file, and the new migration was not applied
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`migration ${MIGRATIONS[1].replace(/\.sql$/, "")} was applied with sha256 [0-9a-f]{64} but the file now has sha256 [0-9a-f]{64}`));
      expect(await query("tampered", "SELECT to_regclass('public.later_migration_ran') AS t")).toEqual([{ t: null }]);
      expect(await applied("tampered")).toHaveLength(MIGRATIONS.length);
    });

    test("a database migrated by a newer package, or a migration slotted in before an applied one, is refused", async () => {
      const newer = copyOfMigrations();
      writeFileSync(join(newer, "V900__newer.sql"), "CREATE TABLE public.newer (id int);\n");
      await newDatabase("ahead");
      expect(migrate(pg, "ahead", newer).status).toBe(0);

      const older = migrate(pg, "ahead");
      expect(older.status).not.toBe(0);
      expect(older.stderr).toMatch(/the database has audit migration versions 900 that this package lacks/);

      writeFileSync(join(newer, "V899__slotted_in.sql"), "CREATE TABLE public.slotted_in (id int);\n");
      const slotted = migrate(pg, "ahead", newer);
      expect(slotted.status).not.toBe(0);
      expect(slotted.stderr).toMatch(/migration V899__slotted_in is pending but version 900 is applied already/);
      expect(await query("ahead", "SELECT to_regclass('public.slotted_in') AS t")).toEqual([{ t: null }]);
    });

    test("concurrent runs on a fresh database are serialised: each migration is applied once and every run succeeds", async () => {
      await newDatabase("raced");
      const runs = await Promise.all([1, 2, 3, 4].map(() => migrateAsync(pg, "raced")));
      for (const r of runs) expect(r.status, r.stderr).toBe(0);
      const applying = runs.flatMap((r) => r.stdout.match(/^applying \S+$/gm) ?? []).sort();
      expect(applying).toEqual(MIGRATIONS.map((f) => `applying ${f.replace(/\.sql$/, "")}`));
      expect(await applied("raced")).toHaveLength(MIGRATIONS.length);
    });

    test("a database that is not UTF8 is refused (the hashes count UTF-8 bytes)", async () => {
      await newDatabase("latin", " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
      const r = migrate(pg, "latin");
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/the audit ledger needs a UTF8 database; latin is LATIN1/);
      expect(await query("latin", "SELECT to_regnamespace('audit') AS s")).toEqual([{ s: null }]);
    });
  });
});
