import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POSTGRES_MAJORS, startPostgres, type PostgresServer } from "../support/postgres";
import { ZERO_HASH, createLedger, createLogin, createMigrator, documentedRowHash, firstBadRow, insertChained, readChain, type ChainRow } from "./ledger-fixture";

describe.each(POSTGRES_MAJORS)("PostgreSQL %i", (major) => {
  let pg: PostgresServer;
  let admin: Client;
  let su: Client;
  let writer: Client;
  let reader: Client;
  /** The rows as appended, before any test tampers with (and restores) them. */
  let original: ChainRow[] = [];

  interface Break {
    seq: string;
    problem: string;
    expected_hash: Buffer | null;
    found_hash: Buffer | null;
  }
  const verify = async (fromSeq?: number): Promise<Break[]> =>
    (await reader.query<Break>("SELECT * FROM audit.verify($1)", [fromSeq ?? null])).rows;

  /** Runs `fn` as the superuser with triggers off for this session (session_replication_role). */
  async function bypassingTriggers(fn: (c: Client) => Promise<unknown>): Promise<void> {
    await su.query("SET session_replication_role = replica");
    try {
      await fn(su);
    } finally {
      await su.query("RESET session_replication_role");
    }
  }

  beforeAll(async () => {
    pg = await startPostgres({ major });
    admin = await pg.connect("postgres");
    await createMigrator(admin);
    await createLedger(pg, admin, "chain");
    await createLogin(admin, "app_writer", "audit_writer");
    await createLogin(admin, "app_reader", "audit_reader");
    su = await pg.connect("chain");
    writer = await pg.connect("chain", "app_writer");
    reader = await pg.connect("chain", "app_reader");

    for (let i = 1; i <= 40; i++) {
      await writer.query("SELECT audit.append($1, $2, $3)", [`api.call`, `user-${i % 3}`, { path: `/v1/items/${i}`, status: 200, ok: true }]);
    }
    const batch = Array.from({ length: 10 }, (_, i) => ({ event_type: "data.read", actor: "reporting", payload: { row: i } }));
    await writer.query("SELECT audit.append_batch($1)", [JSON.stringify(batch)]);
    original = await readChain(su);
  });

  afterAll(async () => {
    for (const c of [su, writer, reader, admin]) await c?.end();
    pg?.stop();
  });

  describe("audit ledger: the hash chain", () => {
    test("every row carries the sha256 of its documented canonical encoding and the hash of the row before", () => {
      expect(original.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
      expect(original[0].prevHash).toEqual(ZERO_HASH);
      expect(firstBadRow(original)).toBeUndefined();
    });

    test("the payload is hashed in jsonb's canonical text, whatever the order and spacing it was sent in", async () => {
      // GIVEN two appends of the same object written differently
      const a = await writer.query<{ seq: string }>("SELECT seq FROM audit.append('config.change', 'ops', '{\"zz\": 1, \"b\": \"x\", \"aaa\": [1.0, 2]}')");
      const b = await writer.query<{ seq: string }>("SELECT seq FROM audit.append('config.change', 'ops', '{ \"aaa\":[1.0,2],\"b\":\"x\",  \"zz\":1,\"b\":\"x\"}')");
      // THEN both are stored as jsonb's canonical text (keys by length, then bytewise; no duplicates)
      const rows = (await readChain(su)).filter((r) => [a.rows[0].seq, b.rows[0].seq].includes(String(r.seq)));
      expect(rows.map((r) => r.payloadText)).toEqual(['{"b": "x", "zz": 1, "aaa": [1.0, 2]}', '{"b": "x", "zz": 1, "aaa": [1.0, 2]}']);
      // AND the hash covers that text, with the multi-byte actor counted in UTF-8 bytes
      const c = await writer.query<{ seq: string }>("SELECT seq FROM audit.append('auth.login', 'zoë 🙂', '{\"note\": \"naïve\"}')");
      const all = await readChain(su);
      for (const row of all.filter((r) => [a.rows[0].seq, b.rows[0].seq, c.rows[0].seq].includes(String(r.seq)))) {
        expect(row.rowHash).toEqual(documentedRowHash(row));
      }
      expect(await verify()).toEqual([]);
    });

    test("an intact chain verifies, from the start and from any position", async () => {
      expect(await verify()).toEqual([]);
      expect(await verify(25)).toEqual([]);
      expect(await verify(1_000_000)).toEqual([]); // beyond the end: nothing to verify
    });

    test("when the server clock is behind the end of the chain, a new event takes the time of the end, so time never goes back along the chain", async () => {
      await createLedger(pg, admin, "clock");
      const [s, w] = await Promise.all([pg.connect("clock"), pg.connect("clock", "app_writer")]);
      try {
        // GIVEN the last event was recorded an hour ahead of the server's clock now (the clock stepped back)
        const ahead = BigInt(Date.now() + 3_600_000) * 1000n;
        await insertChained(s, [{ unixMicros: ahead, eventType: "a", actor: "x", payloadText: "{}" }]);
        // WHEN events are appended, one and a batch
        await w.query("SELECT audit.append('b', 'x')");
        await w.query("SELECT audit.append_batch('[{\"event_type\": \"c\", \"actor\": \"x\"}]')");
        // THEN they carry that time, not the clock's
        expect((await readChain(s)).map((r) => r.unixMicros)).toEqual([ahead, ahead, ahead]);
        expect((await s.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
      } finally {
        await Promise.all([s.end(), w.end()]);
      }
    });

    test("head and hash_at agree with the rows", async () => {
      const chain = await readChain(su);
      const last = chain[chain.length - 1];
      const head = await reader.query<{ seq: string; row_hash: Buffer }>("SELECT * FROM audit.head()");
      expect(head.rows[0].seq).toBe(String(last.seq));
      expect(head.rows[0].row_hash).toEqual(last.rowHash);
      const at = await reader.query<{ h: Buffer | null }>("SELECT audit.hash_at(17) AS h UNION ALL SELECT audit.hash_at(100000)");
      expect(at.rows.map((r) => r.h)).toEqual([original[16].rowHash, null]);
    });
  });

  describe("audit ledger: tampering is found at the row where it happened", () => {
    test("a payload edited as superuser past the triggers (session_replication_role) is reported at exactly that row", async () => {
      const row = original[16]; // seq 17
      await bypassingTriggers((c) => c.query(`UPDATE audit.events SET payload = '{"path": "/v1/items/17", "status": 403}' WHERE seq = 17`));
      try {
        const edited = (await readChain(su))[16];
        expect(await verify()).toEqual([
          { seq: "17", problem: "row_hash differs from the hash of the row's content", expected_hash: documentedRowHash(edited), found_hash: row.rowHash },
        ]);
        // Verification from a later position does not look back at it; from before, it does.
        expect(await verify(18)).toEqual([]);
        expect((await verify(10)).map((b) => b.seq)).toEqual(["17"]);
      } finally {
        await bypassingTriggers((c) => c.query("UPDATE audit.events SET payload = $1::jsonb WHERE seq = 17", [row.payloadText]));
      }
      expect(await verify()).toEqual([]);
    });

    test("an edited row whose hash was recomputed (trigger disabled) is reported at the next row, whose link no longer holds", async () => {
      const partition = (await su.query<{ p: string }>("SELECT tableoid::regclass::text AS p FROM audit.events WHERE seq = 20")).rows[0].p;
      await su.query(`ALTER TABLE ${partition} DISABLE TRIGGER events_append_only`);
      try {
        await su.query(
          `UPDATE audit.events SET actor = 'someone-else',
                  row_hash = audit.row_hash(seq, recorded_at, event_type, 'someone-else', payload, prev_hash) WHERE seq = 20`,
        );
        const forged = (await readChain(su))[19];
        expect(forged.rowHash).toEqual(documentedRowHash(forged)); // row 20 alone looks consistent
        expect(await verify()).toEqual([
          { seq: "21", problem: "prev_hash differs from the previous row's row_hash", expected_hash: forged.rowHash, found_hash: original[19].rowHash },
        ]);
        await su.query("UPDATE audit.events SET actor = $1, row_hash = $2 WHERE seq = 20", [original[19].actor, original[19].rowHash]);
      } finally {
        await su.query(`ALTER TABLE ${partition} ENABLE TRIGGER events_append_only`);
      }
      expect(await verify()).toEqual([]);
    });

    test("a row deleted from the middle is reported as missing at its seq", async () => {
      await bypassingTriggers((c) => c.query("CREATE TEMP TABLE kept AS SELECT * FROM audit.events WHERE seq = 30; DELETE FROM audit.events WHERE seq = 30"));
      try {
        expect(await verify()).toEqual([{ seq: "30", problem: "row missing", expected_hash: null, found_hash: null }]);
        // Verifying from the row after it needs its hash, so the hole is reported there too.
        expect(await verify(31)).toEqual([{ seq: "30", problem: "row missing", expected_hash: null, found_hash: null }]);
      } finally {
        await bypassingTriggers((c) => c.query("INSERT INTO audit.events SELECT * FROM kept; DROP TABLE kept"));
      }
      expect(await verify()).toEqual([]);
    });
  });

  describe("audit ledger: concurrent writers", () => {
    test("8 writers on separate connections appending 200 events each leave one unbroken chain with gapless seq", async () => {
      // GIVEN a fresh ledger and 8 connections of the writer role
      await createLedger(pg, admin, "concurrent");
      const writers = await Promise.all(Array.from({ length: 8 }, () => pg.connect("concurrent", "app_writer")));
      try {
        // WHEN they all append at once, each its own sequence of events (one in four as a batch of 3)
        const returned = await Promise.all(
          writers.map(async (w, n) => {
            const seqs: number[] = [];
            for (let i = 0; i < 200; i++) {
              const res =
                i % 4 === 3
                  ? await w.query<{ seq: string }>("SELECT seq FROM audit.append_batch($1)", [
                      JSON.stringify([0, 1, 2].map((k) => ({ event_type: "batch", actor: `writer-${n}`, payload: { i, k } }))),
                    ])
                  : await w.query<{ seq: string }>("SELECT seq FROM audit.append('single', $1, $2)", [`writer-${n}`, { i }]);
              seqs.push(...res.rows.map((r) => Number(r.seq)));
            }
            return seqs;
          }),
        );
        // THEN every writer saw its own seqs increase, and together they hold each position exactly once
        for (const seqs of returned) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        const total = 8 * (150 + 50 * 3);
        expect(returned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        // AND the stored chain is one unbroken chain, by the documented hash and by audit.verify
        const client = await pg.connect("concurrent");
        try {
          const chain = await readChain(client);
          expect(chain.map((r) => Number(r.seq))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
          expect(firstBadRow(chain)).toBeUndefined();
          // recorded_at never goes back along the chain, which retention by partition relies on
          expect(chain.every((r, i) => i === 0 || r.unixMicros >= chain[i - 1].unixMicros)).toBe(true);
          expect((await client.query("SELECT * FROM audit.verify()")).rows).toEqual([]);
        } finally {
          await client.end();
        }
      } finally {
        await Promise.all(writers.map((w) => w.end()));
      }
    });
  });
});
