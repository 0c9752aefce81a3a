-- V003: monthly partitions of audit.events, created ahead of time.
--
-- Months are calendar months in UTC (the functions pin TimeZone), named events_YYYY_MM.
-- A partition is created as a table of its own and then attached: ATTACH PARTITION takes
-- only a SHARE UPDATE EXCLUSIVE lock on audit.events, so creating next month's partition
-- neither waits for a long verification nor holds up writers (CREATE TABLE ... PARTITION
-- OF would lock out both).
SET LOCAL ROLE audit_owner;

-- Creates the missing partitions for the `months` calendar months starting with the one
-- that contains from_time, each with the TRUNCATE guard that PostgreSQL does not clone
-- from the parent. Returns the names created. Internal (audit.ensure_partitions and
-- audit.append call it); SECURITY DEFINER so that audit_owner owns every partition,
-- whoever calls.
CREATE FUNCTION audit.create_partitions(from_time timestamptz, months integer)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET "TimeZone" = 'UTC' SET "DateStyle" = 'ISO, YMD'
AS $$
DECLARE
  first_month timestamptz := date_trunc('month', from_time);
  range_from timestamptz;
  part text;
BEGIN
  -- Serialises creators (the schedule and a writer that finds its month missing), which
  -- would otherwise both see a partition missing and both create it.
  PERFORM pg_advisory_xact_lock('audit.events'::regclass::oid::integer, 2);
  FOR m IN 0 .. months - 1 LOOP
    range_from := first_month + make_interval(months => m);
    part := 'events_' || to_char(range_from, 'YYYY_MM');
    IF to_regclass(format('audit.%I', part)) IS NULL THEN
      EXECUTE format('CREATE TABLE audit.%I (LIKE audit.events INCLUDING ALL)', part);
      EXECUTE format('ALTER TABLE audit.events ATTACH PARTITION audit.%I FOR VALUES FROM (%L) TO (%L)',
                     part, range_from, range_from + interval '1 month');
      EXECUTE format('CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.%I
                      FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change()', part);
      RETURN NEXT part;
    END IF;
  END LOOP;
END
$$;

-- Creates the partitions for this month and the next months_ahead months, where missing.
-- Run on every deploy and by the schedule. Returns the names created.
CREATE FUNCTION audit.ensure_partitions(months_ahead integer DEFAULT 3)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s'
AS $$
BEGIN
  IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
    RAISE EXCEPTION 'audit.ensure_partitions: months_ahead must be between 0 and 120, got %', months_ahead
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN QUERY SELECT * FROM audit.create_partitions(now(), months_ahead + 1);
END
$$;

-- The partitions of audit.events with their bounds, read from the catalog, oldest first.
CREATE FUNCTION audit.partitions()
RETURNS TABLE (name text, range_from timestamptz, range_to timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp SET "TimeZone" = 'UTC' SET "DateStyle" = 'ISO, YMD'
AS $$
  SELECT c.relname::text, b[1]::timestamptz, b[2]::timestamptz
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
   CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                   '^FOR VALUES FROM \(''([^'']+)''\) TO \(''([^'']+)''\)$') AS b
   WHERE i.inhparent = 'audit.events'::regclass
   ORDER BY 2
$$;

GRANT EXECUTE ON FUNCTION audit.ensure_partitions(integer) TO audit_maintainer;

-- The first partitions, so that the first events need no DDL.
DO $$ BEGIN PERFORM audit.ensure_partitions(3); END $$;
