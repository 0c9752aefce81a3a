import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { INSUFFICIENT_PRIVILEGE, RAISED, createLedger, createLogin, createMigrator, failure, insertChained, monthStart, partitionOf } from "./ledger-fixture";

describe.each(POSTGRES_MAJORS)("PostgreSQL %i", (major) => {
  let pg: PostgresServer;
  let admin: Client;
  const clients: Record<"superuser" | "writer" | "reader" | "maintainer" | "outsider", Client> = {} as never;
  /** This month's partition (rows appended now land in it). */
  let current = "";
  /** A partition the schedule created after the migrations granted anything. */
  let later = "";

  beforeAll(async () => {
    pg = await startPostgres({ major });
    admin = await pg.connect("postgres");
    await createMigrator(admin);
    await createLedger(pg, admin, "guards");
    await createLogin(admin, "app_writer", "audit_writer");
    await createLogin(admin, "app_reader", "audit_reader");
    await createLogin(admin, "app_maintainer", "audit_maintainer");
    await createLogin(admin, "outsider");
    clients.superuser = await pg.connect("guards");
    clients.writer = await pg.connect("guards", "app_writer");
    clients.reader = await pg.connect("guards", "app_reader");
    clients.maintainer = await pg.connect("guards", "app_maintainer");
    clients.outsider = await pg.connect("guards", "outsider");

    await clients.writer.query("SELECT audit.append('auth.login', 'alice', '{\"ip\": \"192.0.2.1\"}')");
    current = partitionOf(0);
    // The migrations created this month and three ahead; the schedule now adds three more.
    const created = await clients.maintainer.query<{ name: string }>("SELECT audit.ensure_partitions(6) AS name");
    expect(created.rows.map((r) => r.name)).toEqual([partitionOf(4), partitionOf(5), partitionOf(6)]);
    later = partitionOf(6);
  });

  afterAll(async () => {
    for (const c of Object.values(clients)) await c?.end();
    await admin?.end();
    pg?.stop();
  });

  describe("audit ledger: what each role may do", () => {
    test("the writer appends, one event or a batch, and reads the rows, the head and the hash at a position", async () => {
      const w = clients.writer;
      const one = await w.query<{ seq: string; row_hash: Buffer }>("SELECT * FROM audit.append('api.call', 'svc-a', '{\"path\": \"/v1\"}')");
      const batch = await w.query<{ seq: string; row_hash: Buffer }>(
        `SELECT * FROM audit.append_batch('[{"event_type": "data.read", "actor": "svc-a", "payload": {"table": "t"}},
                                            {"event_type": "admin.action", "actor": "root"}]')`,
      );
      const seqs = [...one.rows, ...batch.rows].map((r) => Number(r.seq));
      expect(seqs).toEqual([2, 3, 4]);

      const rows = await w.query<{ seq: string; event_type: string; row_hash: Buffer }>(
        "SELECT seq, event_type, row_hash FROM audit.events WHERE seq BETWEEN 2 AND 4 ORDER BY seq",
      );
      expect(rows.rows.map((r) => r.event_type)).toEqual(["api.call", "data.read", "admin.action"]);
      expect(rows.rows.map((r) => r.row_hash)).toEqual([...one.rows, ...batch.rows].map((r) => r.row_hash));

      const head = await w.query<{ seq: string; row_hash: Buffer }>("SELECT * FROM audit.head()");
      expect(head.rows).toHaveLength(1);
      expect(head.rows[0].seq).toBe("4");
      expect(head.rows[0].row_hash).toEqual(batch.rows[1].row_hash);
      const at = await w.query<{ h: Buffer }>("SELECT audit.hash_at(2) AS h");
      expect(at.rows[0].h).toEqual(one.rows[0].row_hash);
    });

    test("the reader reads and verifies", async () => {
      const r = clients.reader;
      expect((await r.query("SELECT count(*)::int AS n FROM audit.events")).rows).toEqual([{ n: 4 }]);
      expect((await r.query("SELECT * FROM audit.verify(2)")).rows).toEqual([]);
      expect((await r.query("SELECT seq FROM audit.head()")).rows).toEqual([{ seq: "4" }]);
    });

    test("invalid events are rejected with the reason", async () => {
      const w = clients.writer;
      expect((await failure(w.query("SELECT audit.append('', 'alice')"))).message).toMatch(/event_type must be a non-empty string/);
      expect((await failure(w.query("SELECT audit.append('x', NULL)"))).message).toMatch(/actor must be a string/);
      expect((await failure(w.query(`SELECT audit.append_batch('[{"event_type": "ok", "actor": "a"}, {"event_type": 5, "actor": "a"}]')`))).message).toMatch(
        /audit event 2 of the batch: event_type must be a non-empty string/,
      );
      expect((await failure(w.query("SELECT audit.append_batch('[]')"))).message).toMatch(/events must be a non-empty JSON array/);
      // Nothing of the rejected batch was appended.
      expect((await w.query("SELECT seq FROM audit.head()")).rows).toEqual([{ seq: "4" }]);
    });
  });

  describe("audit ledger: rows cannot be changed or removed through privileges", () => {
    const statements: [string, (t: string) => string][] = [
      ["UPDATE", (t) => `UPDATE ${t} SET actor = 'mallory'`],
      ["DELETE", (t) => `DELETE FROM ${t}`],
      ["TRUNCATE", (t) => `TRUNCATE ${t}`],
      ["INSERT past audit.append", (t) => `INSERT INTO ${t} SELECT * FROM ${t} LIMIT 1`],
      ["ALTER", (t) => `ALTER TABLE ${t} ADD COLUMN note text`],
      ["DISABLE TRIGGER", (t) => `ALTER TABLE ${t} DISABLE TRIGGER ALL`],
      ["DROP", (t) => `DROP TABLE ${t}`],
    ];
    const cases = (["writer", "reader", "maintainer"] as const).flatMap((role) =>
      ["the parent", "this month's partition", "a partition created later"].flatMap((target) =>
        statements.map(([what, sql]) => ({ role, target, what, sql })),
      ),
    );
    const table = (target: string) => (target === "the parent" ? "audit.events" : `audit.${target === "a partition created later" ? later : current}`);

    test.each(cases)("$what on $target as $role is denied", async ({ role, target, sql }) => {
      const err = await failure(clients[role].query(sql(table(target))));
      expect(err.code, err.message).toBe(INSUFFICIENT_PRIVILEGE);
    });

    test.each(["writer", "reader", "maintainer"] as const)("the %s cannot change the checkpoints, the functions or the schema", async (role) => {
      const c = clients[role];
      for (const sql of [
        "INSERT INTO audit.checkpoints (partition_name, range_from, range_to, row_count) VALUES ('x', now(), now(), 0)",
        "DELETE FROM audit.checkpoints",
        "CREATE TABLE audit.mine (id int)",
        "ALTER FUNCTION audit.append(text, text, jsonb) RESET search_path",
        "DROP FUNCTION audit.verify(bigint)",
        "DROP SCHEMA audit CASCADE",
        "SET session_replication_role = replica",
      ]) {
        const err = await failure(c.query(sql));
        expect(err.code, `${sql}: ${err.message}`).toBe(INSUFFICIENT_PRIVILEGE);
      }
    });

    test.each([
      ["writer", ["SELECT * FROM audit.verify()", "SELECT audit.ensure_partitions(1)", "SELECT * FROM audit.drop_expired_partitions('1 day')", "SELECT audit.create_partitions(now(), 1)"]],
      ["reader", ["SELECT audit.append('x', 'y')", "SELECT audit.append_batch('[]')", "SELECT audit.ensure_partitions(1)", "SELECT * FROM audit.drop_expired_partitions('1 day')"]],
      ["maintainer", ["SELECT audit.append('x', 'y')", "SELECT audit.append_batch('[]')", "SELECT audit.create_partitions(now(), 1)"]],
      ["outsider", ["SELECT audit.append('x', 'y')", "SELECT * FROM audit.head()", "SELECT count(*) FROM audit.events"]],
    ] as const)("the %s may not call what it was not granted", async (role, calls) => {
      for (const sql of calls) {
        const err = await failure(clients[role].query(sql));
        expect(err.code, `${sql}: ${err.message}`).toBe(INSUFFICIENT_PRIVILEGE);
      }
    });
  });

  describe("audit ledger: rows cannot be changed or removed even with privileges (triggers)", () => {
    // The superuser has every privilege, so only the triggers stand in the way.
    beforeAll(async () => {
      // A row in the later partition, so that row triggers there have a row to fire on (it
      // breaks the chain, which no test after this one verifies).
      await clients.superuser.query(
        `INSERT INTO audit.${later} (seq, recorded_at, event_type, actor, payload, prev_hash, row_hash)
         VALUES (1000000, date_trunc('month', now() AT TIME ZONE 'UTC' + interval '6 months') AT TIME ZONE 'UTC',
                 'probe', 'test', '{}', decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex'))`,
      );
    });

    const targets = ["the parent", "this month's partition", "a partition created later"];
    const cases = targets.flatMap((target) =>
      [
        ["UPDATE", (t: string) => `UPDATE ${t} SET actor = 'mallory'`],
        ["DELETE", (t: string) => `DELETE FROM ${t}`],
        ["TRUNCATE", (t: string) => `TRUNCATE ${t}`],
      ].map(([what, sql]) => ({ target, what: what as string, sql: sql as (t: string) => string })),
    );
    const table = (target: string) => (target === "the parent" ? "audit.events" : `audit.${target === "a partition created later" ? later : current}`);

    test.each(cases)("$what on $target as superuser is rejected by a trigger", async ({ target, sql }) => {
      const err = await failure(clients.superuser.query(sql(table(target))));
      expect(err.code, err.message).toBe(RAISED);
      expect(err.message).toMatch(/the audit ledger is append-only: (UPDATE|DELETE|TRUNCATE) on audit\.events/);
    });

    test("the checkpoints are append-only", async () => {
      const su = clients.superuser;
      await su.query(
        `INSERT INTO audit.checkpoints (partition_name, range_from, range_to, row_count) VALUES ('events_1999_01', '1999-01-01Z', '1999-02-01Z', 0)`,
      );
      for (const sql of ["UPDATE audit.checkpoints SET row_count = 1", "DELETE FROM audit.checkpoints", "TRUNCATE audit.checkpoints"]) {
        const err = await failure(su.query(sql));
        expect(err.code, `${sql}: ${err.message}`).toBe(RAISED);
        expect(err.message).toMatch(/append-only/);
      }
    });
  });

  describe("audit ledger: partitions", () => {
    /** A ledger of its own, with connections as the superuser and as the writer. */
    async function isolatedLedger(database: string, run: (su: Client, writer: Client) => Promise<void>): Promise<void> {
      await createLedger(pg, admin, database);
      const [su, writer] = await Promise.all([pg.connect(database), pg.connect(database, "app_writer")]);
      try {
        await run(su, writer);
      } finally {
        await Promise.all([su.end(), writer.end()]);
      }
    }
    const partitionsWithOwner = async (su: Client) =>
      (
        await su.query<{ name: string; owner: string }>(
          "SELECT p.name, pg_get_userbyid(c.relowner) AS owner FROM audit.partitions() p JOIN pg_class c ON c.oid = format('audit.%I', p.name)::regclass",
        )
      ).rows;

    test("when no partition exists (the schedule never ran), the writer's first append creates this month's, guarded like the others", async () => {
      await isolatedLedger("unscheduled", async (su, writer) => {
        // GIVEN a ledger without any partition
        for (const { name } of (await su.query<{ name: string }>("SELECT name FROM audit.partitions()")).rows) await su.query(`DROP TABLE audit.${name}`);
        // WHEN the writer appends
        expect((await writer.query("SELECT * FROM audit.append('auth.login', 'bob')")).rows).toHaveLength(1);
        // THEN the event is stored in a new partition for this month, owned by audit_owner and guarded
        expect(await partitionsWithOwner(su)).toEqual([{ name: partitionOf(0), owner: "audit_owner" }]);
        expect((await failure(su.query(`TRUNCATE audit.${partitionOf(0)}`))).message).toMatch(/append-only/);
        expect((await failure(su.query(`DELETE FROM audit.${partitionOf(0)}`))).message).toMatch(/append-only/);
        expect((await su.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
      });
    });

    test("when the month changed and the schedule has stopped, the first append of the month creates its partition", async () => {
      await isolatedLedger("month_rollover", async (su, writer) => {
        // GIVEN the last event was recorded last month, and this month has no partition
        await su.query("SELECT audit.create_partitions($1, 1)", [monthStart(-1).toISOString()]);
        await insertChained(su, [{ unixMicros: BigInt(monthStart(-1).getTime() + 3_600_000) * 1000n, eventType: "auth.login", actor: "amy", payloadText: "{}" }]);
        for (const { name } of (await su.query<{ name: string }>("SELECT name FROM audit.partitions() WHERE range_from >= $1", [monthStart(0).toISOString()])).rows) {
          await su.query(`DROP TABLE audit.${name}`);
        }
        // WHEN the writer appends (one event, then a batch)
        await writer.query("SELECT audit.append('auth.login', 'bob')");
        await writer.query(`SELECT audit.append_batch('[{"event_type": "auth.logout", "actor": "bob"}]')`);
        // THEN this month's partition exists, owned by audit_owner, and the chain continues across the months
        expect(await partitionsWithOwner(su)).toEqual([
          { name: partitionOf(-1), owner: "audit_owner" },
          { name: partitionOf(0), owner: "audit_owner" },
        ]);
        const seqs = await su.query<{ seq: string; p: string }>("SELECT seq::text, tableoid::regclass::text AS p FROM audit.events ORDER BY seq");
        expect(seqs.rows).toEqual([
          { seq: "1", p: `audit.${partitionOf(-1)}` },
          { seq: "2", p: `audit.${partitionOf(0)}` },
          { seq: "3", p: `audit.${partitionOf(0)}` },
        ]);
        expect((await su.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
      });
    });

    test("ensure_partitions creates only what is missing and rejects an unreasonable horizon", async () => {
      const m = clients.maintainer;
      expect((await m.query("SELECT audit.ensure_partitions(6) AS name")).rows).toEqual([]);
      expect((await failure(m.query("SELECT audit.ensure_partitions(-1)"))).message).toMatch(/months_ahead must be between 0 and 120/);
    });
  });

  describe("audit ledger: isolation", () => {
    test.each([
      ["append", "SELECT audit.append('x', 'y')", clientOf("writer")],
      ["append_batch", `SELECT audit.append_batch('[{"event_type": "x", "actor": "y"}]')`, clientOf("writer")],
      ["verify", "SELECT * FROM audit.verify()", clientOf("reader")],
    ])("%s refuses REPEATABLE READ, where it could read a stale end of the chain", async (_name, sql, client) => {
      const c = client();
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      try {
        const err = await failure(c.query(sql));
        expect(err.message).toMatch(/READ COMMITTED transactions, not repeatable read/);
      } finally {
        await c.query("ROLLBACK");
      }
    });
  });

  /** Looks the client up when the test runs (the connections open in beforeAll). */
  function clientOf(role: keyof typeof clients): () => Client {
    return () => clients[role];
  }
});
