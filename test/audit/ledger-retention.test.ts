import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { createLedger, createLogin, createMigrator, failure, insertChained, monthStart, partitionOf, readChain, type ChainRow } from "./ledger-fixture";

describe.each(POSTGRES_MAJORS)("PostgreSQL %i", (major) => {
  let pg: PostgresServer;
  let admin: Client;

  interface Ledger {
    su: Client;
    writer: Client;
    maintainer: Client;
    reader: Client;
    end(): Promise<void>;
  }

  async function ledger(database: string): Promise<Ledger> {
    await createLedger(pg, admin, database);
    const [su, writer, maintainer, reader] = await Promise.all([
      pg.connect(database),
      pg.connect(database, "app_writer"),
      pg.connect(database, "app_maintainer"),
      pg.connect(database, "app_reader"),
    ]);
    return { su, writer, maintainer, reader, end: async () => void (await Promise.all([su, writer, maintainer, reader].map((c) => c.end()))) };
  }

  /**
   * Rows recorded in past months, as if the ledger had been running then: the partitions
   * created as the schedule would have, the rows chained by the documented hash (computed
   * here) and inserted by the superuser. Returns the rows in seq order.
   */
  async function backfill(su: Client, months: { offset: number; rows: number }[]): Promise<ChainRow[]> {
    for (const { offset } of months) await su.query("SELECT audit.create_partitions($1, 1)", [monthStart(offset).toISOString()]);
    return insertChained(
      su,
      months.flatMap(({ offset, rows }) =>
        Array.from({ length: rows }, (_, i) => ({
          unixMicros: BigInt(monthStart(offset).getTime() + 86_400_000 + i * 1000) * 1000n,
          eventType: "auth.login",
          actor: `user-${i}`,
          payloadText: `{"i": ${i}, "month": ${offset}}`,
        })),
      ),
    );
  }

  const partitions = async (c: Client) => (await c.query<{ name: string }>("SELECT name FROM audit.partitions()")).rows.map((r) => r.name);

  beforeAll(async () => {
    pg = await startPostgres({ major });
    admin = await pg.connect("postgres");
    await createMigrator(admin);
    // The roles the logins join exist once the first ledger is migrated.
    await createLedger(pg, admin, "roles");
    await createLogin(admin, "app_writer", "audit_writer");
    await createLogin(admin, "app_maintainer", "audit_maintainer");
    await createLogin(admin, "app_reader", "audit_reader");
  });

  afterAll(async () => {
    await admin?.end();
    pg?.stop();
  });

  describe("audit ledger retention", () => {
    test("drops exactly the partitions that ended before now - retention, keeps every other row, and verify continues from the checkpoint", async () => {
      const l = await ledger("retention");
      try {
        // GIVEN rows 30 to 27 months ago, an empty partition 26 months ago, rows 23 months ago, and new events
        const old = await backfill(l.su, [
          { offset: -30, rows: 3 },
          { offset: -29, rows: 3 },
          { offset: -28, rows: 3 },
          { offset: -27, rows: 3 },
          { offset: -26, rows: 0 },
          { offset: -23, rows: 2 },
        ]);
        for (let i = 0; i < 5; i++) await l.writer.query("SELECT audit.append('api.call', 'svc', $1)", [{ i }]);
        expect((await l.reader.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
        const before = await readChain(l.su);

        // WHEN the schedule applies a 24-month retention
        const dropped = await l.maintainer.query("SELECT * FROM audit.drop_expired_partitions('24 months')");

        // THEN the five partitions that ended more than 24 months ago are dropped, oldest first
        expect(dropped.rows).toEqual([
          { partition_name: partitionOf(-30), row_count: "3", first_seq: "1", last_seq: "3" },
          { partition_name: partitionOf(-29), row_count: "3", first_seq: "4", last_seq: "6" },
          { partition_name: partitionOf(-28), row_count: "3", first_seq: "7", last_seq: "9" },
          { partition_name: partitionOf(-27), row_count: "3", first_seq: "10", last_seq: "12" },
          { partition_name: partitionOf(-26), row_count: "0", first_seq: null, last_seq: null },
        ]);
        expect(await partitions(l.su)).toEqual([partitionOf(-23), partitionOf(0), partitionOf(1), partitionOf(2), partitionOf(3)]);
        // AND every later row is still there, unchanged
        expect(await readChain(l.su)).toEqual(before.filter((r) => r.seq > 12n));
        // AND the checkpoint holds the last dropped row's hash, from which the chain still verifies
        const checkpoint = await l.su.query<{ last_seq: string; last_row_hash: Buffer }>(
          "SELECT last_seq, last_row_hash FROM audit.checkpoints WHERE last_seq IS NOT NULL ORDER BY last_seq DESC LIMIT 1",
        );
        expect(checkpoint.rows).toEqual([{ last_seq: "12", last_row_hash: old[11].rowHash }]);
        expect((await l.reader.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
        expect((await l.reader.query("SELECT * FROM audit.verify(1)")).rows).toEqual([]);
        const at = await l.reader.query<{ h: Buffer | null }>("SELECT audit.hash_at(12) AS h UNION ALL SELECT audit.hash_at(5)");
        expect(at.rows.map((r) => r.h)).toEqual([old[11].rowHash, null]);

        // AND the chain goes on; a second run has nothing to drop
        await l.writer.query("SELECT audit.append('api.call', 'svc', '{}')");
        expect((await l.maintainer.query("SELECT * FROM audit.drop_expired_partitions('24 months')")).rows).toEqual([]);
        expect((await l.reader.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
      } finally {
        await l.end();
      }
    });

    test("when retention has dropped every row, the head is the checkpoint and the next event chains onto it", async () => {
      const l = await ledger("retention_all");
      try {
        const old = await backfill(l.su, [{ offset: -30, rows: 3 }]);
        await l.maintainer.query("SELECT * FROM audit.drop_expired_partitions('24 months')");
        expect((await l.su.query("SELECT count(*)::int AS n FROM audit.events")).rows).toEqual([{ n: 0 }]);
        const head = await l.reader.query<{ seq: string; row_hash: Buffer; unix_us: string }>(
          "SELECT seq::text, row_hash, (extract(epoch FROM recorded_at) * 1000000)::bigint::text AS unix_us FROM audit.head()",
        );
        expect(head.rows).toEqual([{ seq: "3", row_hash: old[2].rowHash, unix_us: String(old[2].unixMicros) }]);

        const appended = await l.writer.query<{ seq: string }>("SELECT seq FROM audit.append('auth.login', 'eve')");
        expect(appended.rows).toEqual([{ seq: "4" }]);
        const [next] = await readChain(l.su);
        expect(next.prevHash).toEqual(old[2].rowHash);
        expect((await l.reader.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
      } finally {
        await l.end();
      }
    });

    test("a verification that starts while retention is dropping partitions waits for it and reports nothing missing", async () => {
      const l = await ledger("retention_during_verify");
      try {
        await backfill(l.su, [
          { offset: -30, rows: 3 },
          { offset: -23, rows: 2 },
        ]);
        // GIVEN retention has dropped a partition but not committed yet
        await l.maintainer.query("BEGIN");
        await l.maintainer.query("SELECT * FROM audit.drop_expired_partitions('24 months')");
        // WHEN a verification starts, and is seen waiting on a lock, before retention commits
        const pid = (await l.reader.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
        const verifying = l.reader.query("SELECT * FROM audit.verify()");
        for (let waited = 0; ; waited += 20) {
          const state = await l.su.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [pid]);
          if (state.rows.length > 0) break;
          if (waited > 10_000) throw new Error("the verification never waited for the retention's lock");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await l.maintainer.query("COMMIT");
        // THEN it verifies from the new checkpoint: no row is reported missing
        expect((await verifying).rows).toEqual([]);
      } finally {
        await l.end();
      }
    });

    test("a verify after retention still finds tampering in the rows that remain, at the first of them", async () => {
      const l = await ledger("retention_then_tamper");
      try {
        await backfill(l.su, [
          { offset: -30, rows: 2 },
          { offset: -23, rows: 2 },
        ]);
        await l.maintainer.query("SELECT * FROM audit.drop_expired_partitions('24 months')");
        // The first remaining row is rewritten, hash and all: its link to the checkpoint breaks.
        await l.su.query("SET session_replication_role = replica");
        await l.su.query("UPDATE audit.events SET prev_hash = decode(repeat('00', 32), 'hex'), row_hash = audit.row_hash(seq, recorded_at, event_type, actor, payload, decode(repeat('00', 32), 'hex')) WHERE seq = 3");
        await l.su.query("RESET session_replication_role");
        const broken = await l.reader.query<{ seq: string; problem: string }>("SELECT seq, problem FROM audit.verify()");
        expect(broken.rows).toEqual([{ seq: "3", problem: "prev_hash differs from the previous row's row_hash" }]);
      } finally {
        await l.end();
      }
    });

    test("tampered rows in an expired partition stop retention, and nothing is dropped", async () => {
      const l = await ledger("retention_tampered");
      try {
        // GIVEN two expired months, a row of the first edited past the triggers
        await backfill(l.su, [
          { offset: -30, rows: 3 },
          { offset: -29, rows: 3 },
        ]);
        await l.su.query("SET session_replication_role = replica");
        await l.su.query(`UPDATE audit.events SET actor = 'someone-else' WHERE seq = 2`);
        await l.su.query("RESET session_replication_role");
        const before = await partitions(l.su);
        // WHEN retention runs THEN it refuses, naming the broken row, and keeps the evidence
        const err = await failure(l.maintainer.query("SELECT * FROM audit.drop_expired_partitions('24 months')"));
        expect(err.message).toMatch(/refusing to drop expired partitions, the chain is broken at seq 2 \(row_hash differs/);
        expect(await partitions(l.su)).toEqual(before);
        expect(before).toContain(partitionOf(-30));
        expect((await l.su.query("SELECT count(*)::int AS n FROM audit.checkpoints")).rows).toEqual([{ n: 0 }]);
        expect((await l.su.query("SELECT count(*)::int AS n FROM audit.events")).rows).toEqual([{ n: 6 }]);
      } finally {
        await l.end();
      }
    });

    test("retention must be a positive interval", async () => {
      const l = await ledger("retention_input");
      try {
        for (const bad of ["0 days", "-1 year"]) {
          const err = await failure(l.maintainer.query("SELECT * FROM audit.drop_expired_partitions($1)", [bad]));
          expect(err.message).toMatch(/retention must be a positive interval/);
        }
        expect((await l.maintainer.query("SELECT * FROM audit.drop_expired_partitions('7 years')")).rows).toEqual([]);
      } finally {
        await l.end();
      }
    });
  });
});
