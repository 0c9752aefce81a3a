/**
 * What the audit ledger tests share: the shipped migrations applied with the shipped
 * runner to a fresh database of a real PostgreSQL, login roles in the ledger's group
 * roles, and an independent implementation of the documented row hash.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Client } from "pg";
import { expect } from "vitest";
import type { PostgresServer } from "../support/postgres";

export const AUDIT_SQL_DIR = join(__dirname, "..", "..", "audit", "sql");
/** The login that applies migrations: CREATEROLE and owner of the database, no superuser, as on the managed clouds. */
export const MIGRATOR = "migrator";

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `<dir>/migrate.sh` against `database` as the migrator, with the psql of the test server. */
export function migrate(pg: PostgresServer, database: string, dir = AUDIT_SQL_DIR): RunResult {
  return runMigrate(pg.env(database, MIGRATOR), dir);
}

/**
 * Runs the shipped migrate.sh as `login` acting as `role`, a NOLOGIN role it is a member
 * of, selected at connection (PGOPTIONS='-c role=...'): how a cloud identity's Job migrates.
 */
export function migrateAs(pg: PostgresServer, database: string, login: string, role: string): RunResult {
  return runMigrate({ ...pg.env(database, login), PGOPTIONS: `-c role=${role}` }, AUDIT_SQL_DIR);
}

function runMigrate(env: NodeJS.ProcessEnv, dir: string): RunResult {
  const r = spawnSync("sh", [join(dir, "migrate.sh")], { env, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: for runs that race each other. */
export function migrateAsync(pg: PostgresServer, database: string, dir = AUDIT_SQL_DIR): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", [join(dir, "migrate.sh")], { env: pg.env(database, MIGRATOR) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Creates the migrator login once per server. */
export async function createMigrator(admin: Client): Promise<void> {
  await admin.query(`CREATE ROLE ${MIGRATOR} LOGIN CREATEROLE`);
}

/** A new database owned by the migrator, with the ledger's migrations applied. */
export async function createLedger(pg: PostgresServer, admin: Client, database: string): Promise<void> {
  await admin.query(`CREATE DATABASE ${database} OWNER ${MIGRATOR}`);
  const r = migrate(pg, database);
  expect(r.status, r.stderr).toBe(0);
}

/** A login role that is a member of `group` (audit_writer, audit_reader, ...), or of none. */
export async function createLogin(admin: Client, name: string, group?: string): Promise<void> {
  await admin.query(`CREATE ROLE ${name} LOGIN${group ? ` IN ROLE ${group}` : ""}`);
}

/** The error a statement fails with (SQLSTATE and message); fails the test when it succeeds. */
export async function failure(statement: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await statement;
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { code: err.code ?? "", message: err.message };
  }
  throw new Error("the statement succeeded; it was expected to fail");
}

export const INSUFFICIENT_PRIVILEGE = "42501";
export const RAISED = "P0001";

export interface ChainRow {
  readonly seq: bigint;
  /** recorded_at in microseconds since 1970-01-01 UTC. */
  readonly unixMicros: bigint;
  readonly eventType: string;
  readonly actor: string;
  /** jsonb's text output of the payload. */
  readonly payloadText: string;
  readonly prevHash: Buffer;
  readonly rowHash: Buffer;
}

/** Every row of audit.events in seq order, with recorded_at as exact microseconds. */
export async function readChain(client: Client): Promise<ChainRow[]> {
  const { rows } = await client.query<{ seq: string; unix_us: string; event_type: string; actor: string; payload_text: string; prev_hash: Buffer; row_hash: Buffer }>(
    `SELECT e.seq::text AS seq, (extract(epoch FROM e.recorded_at) * 1000000)::bigint::text AS unix_us,
            e.event_type, e.actor, e.payload::text AS payload_text, e.prev_hash, e.row_hash
       FROM audit.events e ORDER BY e.seq`,
  );
  return rows.map((r) => ({
    seq: BigInt(r.seq),
    unixMicros: BigInt(r.unix_us),
    eventType: r.event_type,
    actor: r.actor,
    payloadText: r.payload_text,
    prevHash: r.prev_hash,
    rowHash: r.row_hash,
  }));
}

/** 2000-01-01 00:00:00 UTC in Unix microseconds: the epoch of the encoding's timestamp. */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n;

/**
 * The row hash as V002__ledger_tables.sql documents it, written from that description:
 * sha256("audit-ledger-v1" | int64 seq | int64 microseconds since 2000-01-01 UTC |
 * prev_hash | int32 len | event_type | int32 len | actor | payload text), big-endian.
 */
export function documentedRowHash(row: Omit<ChainRow, "rowHash">): Buffer {
  const int64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  const prefixed = (s: string) => {
    const bytes = Buffer.from(s, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return Buffer.concat([len, bytes]);
  };
  return createHash("sha256")
    .update(Buffer.from("audit-ledger-v1", "ascii"))
    .update(int64(row.seq))
    .update(int64(row.unixMicros - POSTGRES_EPOCH_MICROS))
    .update(row.prevHash)
    .update(prefixed(row.eventType))
    .update(prefixed(row.actor))
    .update(Buffer.from(row.payloadText, "utf8"))
    .digest();
}

export const ZERO_HASH = Buffer.alloc(32);

/** The first row whose hash or link disagrees with the documented encoding, or undefined. */
export function firstBadRow(chain: ChainRow[]): ChainRow | undefined {
  return chain.find((row, i) => {
    const prev = i === 0 ? ZERO_HASH : chain[i - 1].rowHash;
    return !row.prevHash.equals(prev) || !row.rowHash.equals(documentedRowHash(row));
  });
}

export interface NewRow {
  /** recorded_at in microseconds since 1970-01-01 UTC. */
  readonly unixMicros: bigint;
  readonly eventType: string;
  readonly actor: string;
  /** The payload exactly as jsonb prints it (canonical), since the hash covers that text. */
  readonly payloadText: string;
}

/**
 * Rows written as if audit.append had recorded them at the given times: inserted by the
 * superuser after the end of the chain, chained by the documented hash computed here.
 * Their partitions must exist. Returns them as stored.
 */
export async function insertChained(su: Client, rows: NewRow[]): Promise<ChainRow[]> {
  const head = await su.query<{ seq: string; row_hash: Buffer }>("SELECT seq::text AS seq, row_hash FROM audit.head()");
  let seq = BigInt(head.rows[0]?.seq ?? 0);
  let prevHash = head.rows[0]?.row_hash ?? ZERO_HASH;
  const chained: ChainRow[] = [];
  for (const r of rows) {
    seq += 1n;
    const row = { ...r, seq, prevHash };
    const rowHash = documentedRowHash(row);
    await su.query(
      `INSERT INTO audit.events (seq, recorded_at, event_type, actor, payload, prev_hash, row_hash)
       VALUES ($1, timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3, $4, $5::jsonb, $6, $7)`,
      [String(seq), String(r.unixMicros), r.eventType, r.actor, r.payloadText, prevHash, rowHash],
    );
    chained.push({ ...row, rowHash });
    prevHash = rowHash;
  }
  return chained;
}

/** The first instant of the UTC calendar month `offset` months from now. */
export function monthStart(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

/** The name of the partition for the UTC month `offset` months from now, computed here, not by the SQL. */
export function partitionOf(offset: number): string {
  const m = monthStart(offset);
  return `events_${m.getUTCFullYear()}_${String(m.getUTCMonth() + 1).padStart(2, "0")}`;
}
