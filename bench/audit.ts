/**
 * The SQL audit ledger's throughput on this machine: starts a throwaway PostgreSQL (the
 * same as the tests, but flushing every commit to disk as a production server does),
 * applies the shipped migrations with the shipped runner, then measures for a fixed time
 * each: appends one event per transaction from one connection and from 8 at once (all
 * queue on the chain head), appends in batches of 100 and 1000, and finally
 * audit.verify() over every row written. Run: `npx tsx bench/audit.ts`
 * (BENCH_AUDIT_SECONDS sets each phase's length, default 10; BENCH_AUDIT_POSTGRES the
 * PostgreSQL major, one of the tests' majors, default the highest from Debian's packages).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Client } from "pg";
import { startPostgres, type PostgresServer } from "../test/support/postgres";

const SECONDS = Number(process.env.BENCH_AUDIT_SECONDS ?? 10);
const MAJOR = process.env.BENCH_AUDIT_POSTGRES ? Number(process.env.BENCH_AUDIT_POSTGRES) : undefined;
const DATABASE = "ledger";

/** A realistic event: an API call with a small JSON payload. */
const event = (n: number) => ({
  event_type: "api.call",
  actor: `service-account-${n % 50}`,
  payload: { method: "POST", path: `/v1/orders/${n}`, status: 201, source_ip: "192.0.2.10", request_id: `req-${n.toString(16).padStart(12, "0")}` },
});

/** Appends with `step` on each client until time runs out; returns events/s. */
async function sustained(clients: Client[], step: (c: Client, n: number) => Promise<number>): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  const counts = await Promise.all(
    clients.map(async (c, i) => {
      let n = 0;
      while (performance.now() < deadline) n += await step(c, i * 1e9 + n);
      return n;
    }),
  );
  return counts.reduce((a, b) => a + b, 0) / ((performance.now() - started) / 1000);
}

const single = (c: Client, n: number) => {
  const e = event(n);
  return c.query("SELECT audit.append($1, $2, $3)", [e.event_type, e.actor, e.payload]).then(() => 1);
};
const batch = (size: number) => (c: Client, n: number) =>
  c.query("SELECT count(*) FROM audit.append_batch($1)", [JSON.stringify(Array.from({ length: size }, (_, k) => event(n + k)))]).then(() => size);

async function main(): Promise<void> {
  const pg: PostgresServer = await startPostgres({ durable: true, major: MAJOR });
  const clients: Client[] = [];
  try {
    const admin = await pg.connect("postgres");
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
    const migrated = spawnSync("sh", [join(__dirname, "..", "audit", "sql", "migrate.sh")], { env: pg.env(DATABASE), encoding: "utf8" });
    if (migrated.status !== 0) throw new Error(`migrate.sh failed: ${migrated.stderr}`);
    for (let i = 0; i < 8; i++) clients.push(await pg.connect(DATABASE));
    const version = (await clients[0].query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;

    const results: [string, string][] = [];
    const measure = async (label: string, run: () => Promise<number>, unit: string) => {
      const rate = await run();
      results.push([label, `${Math.round(rate).toLocaleString("en-US")} ${unit}`]);
    };
    await measure("append, 1 event per transaction, 1 connection", () => sustained(clients.slice(0, 1), single), "events/s");
    await measure("append, 1 event per transaction, 8 connections", () => sustained(clients, single), "events/s");
    await measure("append_batch, 100 events, 1 connection", () => sustained(clients.slice(0, 1), batch(100)), "events/s");
    await measure("append_batch, 1000 events, 1 connection", () => sustained(clients.slice(0, 1), batch(1000)), "events/s");
    await measure("append_batch, 100 events, 8 connections", () => sustained(clients, batch(100)), "events/s");

    const rows = Number((await clients[0].query<{ n: string }>("SELECT count(*) AS n FROM audit.events")).rows[0].n);
    const started = performance.now();
    const broken = await clients[0].query("SELECT * FROM audit.verify()");
    const seconds = (performance.now() - started) / 1000;
    if (broken.rows.length > 0) throw new Error(`verify found a broken chain: ${JSON.stringify(broken.rows[0])}`);
    results.push([`verify, ${rows.toLocaleString("en-US")} rows`, `${Math.round(rows / seconds).toLocaleString("en-US")} rows/s (${seconds.toFixed(2)} s)`]);

    console.log(`SQL audit ledger on PostgreSQL ${version}, commits flushed to disk (fsync on), ${SECONDS} s per append phase\n`);
    const width = Math.max(...results.map(([l]) => l.length));
    for (const [label, value] of results) console.log(`${label.padEnd(width)}  ${value}`);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    pg.stop();
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
