-- V006: retention by dropping whole expired partitions, never by deleting rows.
SET LOCAL ROLE audit_owner;

-- Drops every partition whose upper bound is at or before now() - retention, oldest
-- first, and records for each its seq range and its last row (seq, row_hash,
-- recorded_at) in audit.checkpoints, from which audit.verify continues. Refuses, dropping
-- nothing, when the rows about to go do not verify: evidence of tampering is never
-- deleted. Returns the partitions dropped.
--
-- Dropping a partition locks audit.events exclusively, so it waits for running
-- verifications (and writers queue behind it): lock_timeout gives up after 5 s instead,
-- and the next scheduled run tries again.
CREATE FUNCTION audit.drop_expired_partitions(retention interval)
RETURNS TABLE (partition_name text, row_count bigint, first_seq bigint, last_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET "TimeZone" = 'UTC' SET lock_timeout = '5s'
AS $$
DECLARE
  expired text[];
  expired_until timestamptz;
  cp record;
  through_seq bigint;
  broken record;
  part text;
  stats record;
  last_row record;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'audit.drop_expired_partitions: retention must be a positive interval, got %', retention
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT array_agg(x.name ORDER BY x.range_from), max(x.range_to) INTO expired, expired_until
    FROM audit.partitions() x WHERE x.range_to <= now() - retention;
  IF expired IS NULL THEN
    RETURN;
  END IF;

  -- The rows that will go are all older than the cutoff: no append can add to them.
  cp := audit.checkpoint();
  SELECT max(e.seq) INTO through_seq FROM audit.events e WHERE e.recorded_at < expired_until;
  IF through_seq IS NOT NULL THEN
    SELECT * INTO broken FROM audit.first_break(cp.seq + 1, cp.row_hash, through_seq);
    IF FOUND THEN
      RAISE EXCEPTION 'audit.drop_expired_partitions: refusing to drop expired partitions, the chain is broken at seq % (%)',
        broken.seq, broken.problem
        USING ERRCODE = 'data_corrupted', HINT = 'Investigate with audit.verify() before retention can proceed.';
    END IF;
  END IF;

  FOREACH part IN ARRAY expired LOOP
    EXECUTE format('SELECT count(*) AS n, min(e.seq) AS lo, max(e.seq) AS hi FROM audit.%I e', part) INTO stats;
    EXECUTE format('SELECT e.row_hash, e.recorded_at FROM audit.%I e WHERE e.seq = $1', part) INTO last_row USING stats.hi;
    INSERT INTO audit.checkpoints (partition_name, range_from, range_to, row_count, first_seq, last_seq, last_row_hash, last_recorded_at)
    SELECT x.name, x.range_from, x.range_to, stats.n, stats.lo, stats.hi, last_row.row_hash, last_row.recorded_at
      FROM audit.partitions() x WHERE x.name = part;
    EXECUTE format('DROP TABLE audit.%I', part);
    partition_name := part;
    row_count := stats.n;
    first_seq := stats.lo;
    last_seq := stats.hi;
    RETURN NEXT;
  END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION audit.drop_expired_partitions(interval) TO audit_maintainer;
