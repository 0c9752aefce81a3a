import type { ClientBase, Pool } from "pg";
import { bytesToHex, type Hex } from "viem";
import type { Anchor } from "./anchor";

/** Reads chain hashes from the SQL audit ledger. */
export interface LedgerReader {
  /** The chain hash of row `seq`, or undefined when the ledger has no such row. */
  hashAt(seq: bigint): Promise<Uint8Array | undefined>;
}

/** An anchor the ledger does not match. */
export interface AnchorMismatch {
  readonly anchor: Anchor;
  /** The ledger's hash at `anchor.seq`; undefined when the row is missing. */
  readonly ledgerHash?: Hex;
}

export interface VerifyAnchorsOptions {
  /**
   * Anchors below this sequence number are not checked: their rows may have been dropped
   * with an expired partition, which is retention, not tampering.
   * @default 0n (every anchor is checked)
   */
  readonly fromSeq?: bigint;
}

/** Checks each anchor against the ledger; returns every mismatch, in the order of `anchors`. */
export async function verifyAnchors(
  reader: LedgerReader,
  anchors: readonly Anchor[],
  options: VerifyAnchorsOptions = {},
): Promise<AnchorMismatch[]> {
  const fromSeq = options.fromSeq ?? 0n;
  const mismatches: AnchorMismatch[] = [];
  for (const anchor of anchors) {
    if (anchor.seq < fromSeq) continue;
    const hash = await reader.hashAt(anchor.seq);
    if (hash === undefined) {
      mismatches.push({ anchor });
      continue;
    }
    const ledgerHash = bytesToHex(hash);
    if (ledgerHash !== anchor.head.toLowerCase()) mismatches.push({ anchor, ledgerHash });
  }
  return mismatches;
}

/** A pg client or pool; only `query` is used. */
export type PgQueryable = Pick<ClientBase | Pool, "query">;

/** A LedgerReader over the ledger's `audit.hash_at(seq)` function. */
export function pgLedgerReader(client: PgQueryable): LedgerReader {
  return {
    async hashAt(seq) {
      // int8 travels as text: pg has no bigint parameter type of its own.
      const { rows } = await client.query<{ hash: Buffer | null }>("select audit.hash_at($1::bigint) as hash", [seq.toString()]);
      const hash = rows[0]?.hash;
      return hash == null ? undefined : new Uint8Array(hash);
    },
  };
}

/** The ledger's newest row, as `audit.head()` reports it. */
export interface LedgerHead {
  readonly seq: bigint;
  readonly hash: Uint8Array;
  readonly recordedAt: Date;
}

/** Reads the ledger's head row; undefined while the ledger is empty. */
export async function readLedgerHead(client: PgQueryable): Promise<LedgerHead | undefined> {
  const { rows } = await client.query<{ seq: string | null; row_hash: Buffer; recorded_at: Date }>(
    "select seq::text as seq, row_hash, recorded_at from audit.head()",
  );
  const row = rows[0];
  // An empty ledger may answer with no row or with a row of nulls.
  return row === undefined || row.seq === null ? undefined : { seq: BigInt(row.seq), hash: new Uint8Array(row.row_hash), recordedAt: row.recorded_at };
}
