-- V004: reading the chain: its head, the hash at a position, and verification.
SET LOCAL ROLE audit_owner;

-- The first broken link among the rows from_seq..to_seq (to the end when to_seq is null),
-- given the row_hash the row before from_seq must have (from_prev_hash). Checks, in order,
-- for each row: its seq follows the previous one, its prev_hash is the previous row's
-- row_hash, its row_hash is the hash of its own content. One ordered scan that stops at
-- the first failure. Internal: audit.verify and audit.drop_expired_partitions call it.
CREATE FUNCTION audit.first_break(from_seq bigint, from_prev_hash bytea, to_seq bigint)
RETURNS TABLE (seq bigint, problem text, expected_hash bytea, found_hash bytea)
LANGUAGE sql STABLE
AS $$
  WITH chain AS (
    SELECT e.seq, e.prev_hash, e.row_hash,
           audit.row_hash(e.seq, e.recorded_at, e.event_type, e.actor, e.payload, e.prev_hash) AS computed,
           coalesce(lag(e.seq) OVER w, from_seq - 1) AS before_seq,
           coalesce(lag(e.row_hash) OVER w, from_prev_hash) AS before_hash
      FROM audit.events e
     WHERE e.seq >= from_seq AND (to_seq IS NULL OR e.seq <= to_seq)
    WINDOW w AS (ORDER BY e.seq)
  )
  SELECT CASE WHEN c.seq > c.before_seq + 1 THEN c.before_seq + 1 ELSE c.seq END,
         CASE
           WHEN c.seq > c.before_seq + 1 THEN 'row missing'
           WHEN c.seq <= c.before_seq THEN 'duplicate seq'
           WHEN c.prev_hash <> c.before_hash THEN 'prev_hash differs from the previous row''s row_hash'
           ELSE 'row_hash differs from the hash of the row''s content'
         END,
         CASE
           WHEN c.seq <> c.before_seq + 1 THEN NULL
           WHEN c.prev_hash <> c.before_hash THEN c.before_hash
           ELSE c.computed
         END,
         CASE
           WHEN c.seq > c.before_seq + 1 THEN NULL
           WHEN c.seq <= c.before_seq THEN c.row_hash
           WHEN c.prev_hash <> c.before_hash THEN c.prev_hash
           ELSE c.row_hash
         END
    FROM chain c
   WHERE c.seq <> c.before_seq + 1 OR c.prev_hash <> c.before_hash OR c.row_hash <> c.computed
   ORDER BY c.seq
   LIMIT 1
$$;

-- The checkpoint left by retention: the last dropped row, or seq 0 and the zero hash (the
-- prev_hash of seq 1) when nothing has been dropped.
CREATE FUNCTION audit.checkpoint(OUT seq bigint, OUT row_hash bytea, OUT recorded_at timestamptz)
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(max(c.last_seq), 0),
         coalesce((array_agg(c.last_row_hash ORDER BY c.last_seq DESC))[1], decode(repeat('00', 32), 'hex')),
         (array_agg(c.last_recorded_at ORDER BY c.last_seq DESC))[1]
    FROM audit.checkpoints c
   WHERE c.last_seq IS NOT NULL
$$;

-- The first broken link from from_seq (from the retention checkpoint when null or
-- older) to the end of the chain, or no row when the chain is intact. It first locks
-- audit.events against retention, which drops partitions and records the checkpoint in
-- one transaction: a verification that read the old checkpoint and then found the
-- partitions gone would report rows missing that were dropped by design. That lock
-- needs a VOLATILE function and READ COMMITTED (where each statement sees what committed
-- before it).
CREATE FUNCTION audit.verify(from_seq bigint DEFAULT NULL)
RETURNS TABLE (seq bigint, problem text, expected_hash bytea, found_hash bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cp record;
  start_seq bigint;
  start_hash bytea;
BEGIN
  -- (PostgreSQL runs READ UNCOMMITTED as READ COMMITTED.)
  IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
    RAISE EXCEPTION 'audit.verify runs in READ COMMITTED transactions, not %', current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;
  LOCK TABLE audit.events IN ACCESS SHARE MODE;
  cp := audit.checkpoint();
  IF from_seq IS NULL OR from_seq <= cp.seq + 1 THEN
    start_seq := cp.seq + 1;
    start_hash := cp.row_hash;
  ELSE
    start_seq := from_seq;
    SELECT e.row_hash INTO start_hash FROM audit.events e WHERE e.seq = from_seq - 1;
    IF NOT FOUND THEN
      -- Nothing to verify beyond the end of the chain; a hole before from_seq is a break.
      IF coalesce(from_seq - 1 > (SELECT max(e.seq) FROM audit.events e), true) THEN
        RETURN;
      END IF;
      RETURN QUERY SELECT from_seq - 1, 'row missing'::text, NULL::bytea, NULL::bytea;
      RETURN;
    END IF;
  END IF;
  RETURN QUERY SELECT * FROM audit.first_break(start_seq, start_hash, NULL);
END
$$;

-- The end of the chain: the row with the highest seq, or the retention checkpoint when
-- every row has been dropped; no row before the first event.
CREATE FUNCTION audit.head()
RETURNS TABLE (seq bigint, row_hash bytea, recorded_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT h.* FROM (
    (SELECT e.seq, e.row_hash, e.recorded_at FROM audit.events e ORDER BY e.seq DESC LIMIT 1)
    UNION ALL
    (SELECT cp.seq, cp.row_hash, cp.recorded_at FROM audit.checkpoint() cp WHERE cp.seq > 0)
  ) h
  ORDER BY h.seq DESC
  LIMIT 1
$$;

-- The row_hash at a position (what an anchor recorded); for the last row of a dropped
-- partition, the checkpoint's; null for a position that does not exist or was dropped.
CREATE FUNCTION audit.hash_at(seq bigint) RETURNS bytea
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(
    (SELECT e.row_hash FROM audit.events e WHERE e.seq = hash_at.seq),
    (SELECT c.last_row_hash FROM audit.checkpoints c WHERE c.last_seq = hash_at.seq)
  )
$$;

GRANT EXECUTE ON FUNCTION audit.head(), audit.hash_at(bigint) TO audit_writer, audit_reader, audit_maintainer;
GRANT EXECUTE ON FUNCTION audit.verify(bigint) TO audit_reader, audit_maintainer;
