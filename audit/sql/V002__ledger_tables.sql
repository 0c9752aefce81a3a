-- V002: the row hash, the hash-chained events table, the retention checkpoints, and the
-- triggers that make both append-only.
--
-- Everything from here on is created as audit_owner, so that it owns the objects and the
-- SECURITY DEFINER functions run with its rights, never the migrating login's.
SET LOCAL ROLE audit_owner;

-- The canonical encoding a row's hash covers (version 1). Integers are big-endian, text is
-- UTF-8, every field but the last has a fixed length or a length prefix, so no two
-- different rows encode to the same bytes:
--
--   row_hash = sha256(
--       "audit-ledger-v1"                15 ASCII bytes, names this encoding
--     | seq                              int64
--     | recorded_at                      int64: microseconds since 2000-01-01 00:00:00 UTC
--                                        (PostgreSQL's timestamptz, as its binary protocol
--                                        sends it; Unix microseconds minus 946684800000000)
--     | prev_hash                        32 bytes: the previous row's row_hash, zeros for seq 1
--     | len(event_type) | event_type     int32 byte length, then the bytes
--     | len(actor)      | actor          int32 byte length, then the bytes
--     | payload::text                    the rest: jsonb's own text output
--   )
--
-- jsonb's text output is canonical: keys sorted (by length, then bytewise), duplicate keys
-- removed, fixed spacing (", " and ": "), numbers as stored. The payload goes last so that
-- it is rendered once per row (its length is implied). octet_length() counts UTF-8 bytes
-- because V001 requires a UTF8 database. STABLE rather than IMMUTABLE only because
-- convert_to() is declared so; either way PostgreSQL inlines it into audit.verify's scan.
CREATE FUNCTION audit.row_hash(
  seq bigint, recorded_at timestamptz, event_type text, actor text, payload jsonb, prev_hash bytea
) RETURNS bytea
LANGUAGE sql STABLE STRICT PARALLEL SAFE
RETURN pg_catalog.sha256(
  '\x61756469742d6c65646765722d7631'::bytea
  || pg_catalog.int8send(seq)
  || pg_catalog.timestamptz_send(recorded_at)
  || prev_hash
  || pg_catalog.int4send(pg_catalog.octet_length(event_type)) || pg_catalog.convert_to(event_type, 'UTF8')
  || pg_catalog.int4send(pg_catalog.octet_length(actor)) || pg_catalog.convert_to(actor, 'UTF8')
  || pg_catalog.convert_to(payload::text, 'UTF8')
);
COMMENT ON FUNCTION audit.row_hash IS
  'sha256 of the canonical encoding (audit-ledger-v1) of one ledger row; see V002__ledger_tables.sql';

-- One row per event. seq is the position in the chain: gapless, starting at 1, and in the
-- same order as recorded_at (audit.append never lets time go backwards along the chain),
-- so each monthly partition holds a contiguous run of the chain and dropping the oldest
-- partitions removes a prefix of it. The table is insert-only: the end of the chain is
-- its row with the highest seq, never a row updated on every append (under a long-running
-- snapshot, such as a backup's, the dead versions of an updated row pile up and slow
-- every writer down).
CREATE TABLE audit.events (
  seq         bigint      NOT NULL CHECK (seq > 0),
  recorded_at timestamptz NOT NULL,
  event_type  text        NOT NULL CHECK (event_type <> ''),
  actor       text        NOT NULL,
  payload     jsonb       NOT NULL,
  prev_hash   bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
  row_hash    bytea       NOT NULL CHECK (octet_length(row_hash) = 32),
  -- A unique key on a partitioned table must contain the partition key; seq alone is kept
  -- unique by the chain lock in audit.append, and audit.verify reports any duplicate.
  PRIMARY KEY (seq, recorded_at)
) PARTITION BY RANGE (recorded_at);

-- One row per dropped partition. The row with the highest last_seq is the checkpoint
-- audit.verify starts from once the rows up to it are gone.
CREATE TABLE audit.checkpoints (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partition_name   text        NOT NULL,
  range_from       timestamptz NOT NULL,
  range_to         timestamptz NOT NULL,
  row_count        bigint      NOT NULL CHECK (row_count >= 0),
  first_seq        bigint,
  last_seq         bigint,
  last_row_hash    bytea       CHECK (octet_length(last_row_hash) = 32),
  last_recorded_at timestamptz,
  dropped_at       timestamptz NOT NULL DEFAULT now(),
  dropped_by       name        NOT NULL DEFAULT session_user,
  -- an empty partition leaves no seq range; one with rows leaves all four
  CHECK (num_nonnulls(first_seq, last_seq, last_row_hash, last_recorded_at) = CASE WHEN row_count = 0 THEN 0 ELSE 4 END)
);

CREATE FUNCTION audit.reject_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION 'the audit ledger is append-only: % on %.% is not allowed', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING HINT = 'Old events leave only by audit.drop_expired_partitions.';
END
$$;

-- Row-level triggers on a partitioned table are cloned onto every partition, present and
-- future. Statement-level TRUNCATE triggers are not: audit.create_partitions adds one to
-- each partition it creates.
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON audit.events
  FOR EACH ROW EXECUTE FUNCTION audit.reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.events
  FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change();

CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON audit.checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit.reject_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON audit.checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit.reject_change();

-- Reading: the events and the checkpoints. Nobody but audit_owner writes to either.
GRANT SELECT ON audit.events, audit.checkpoints TO audit_writer, audit_reader, audit_maintainer;
GRANT EXECUTE ON FUNCTION audit.row_hash TO audit_writer, audit_reader, audit_maintainer;
