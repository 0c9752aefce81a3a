-- V005: appending to the chain, one event or a batch.
--
-- The only way in: audit_writer has no INSERT on the tables, so every row is chained here.
-- Writers are serialised by a transaction-level advisory lock (the "chain lock", keyed
-- (oid of audit.events, 1)), held until commit or rollback: each writer reads the end of
-- the chain only once the previous writer has committed, so two writers never chain onto
-- the same row, and a writer that rolls back leaves neither a row nor a gap. Keep the
-- transactions that append short: the next writer waits for the commit.
SET LOCAL ROLE audit_owner;

-- Takes the chain lock and returns where the next row goes: its seq, its prev_hash and
-- its recorded_at (now, but never before the end of the chain, so that seq and time grow
-- together even when the server clock steps back), creating that month's partition if
-- the schedule has not. Internal.
--
-- Only in READ COMMITTED does a statement see rows committed after the transaction began;
-- in REPEATABLE READ or SERIALIZABLE the end of the chain read after the lock could be
-- stale, and the chain would fork. So other isolation levels are refused.
CREATE FUNCTION audit.next_position(OUT seq bigint, OUT prev_hash bytea, OUT recorded_at timestamptz)
LANGUAGE plpgsql
AS $$
DECLARE
  last record;
BEGIN
  -- (PostgreSQL runs READ UNCOMMITTED as READ COMMITTED.)
  IF current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
    RAISE EXCEPTION 'audit events are appended in READ COMMITTED transactions, not %', current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;
  PERFORM pg_advisory_xact_lock('audit.events'::regclass::oid::integer, 1);
  -- The end of the chain is almost always in this month's partition (or a later one, if
  -- the clock stepped back): look there first, and in every partition only if not.
  SELECT e.seq, e.row_hash, e.recorded_at INTO last
    FROM audit.events e WHERE e.recorded_at >= date_trunc('month', now(), 'UTC')
   ORDER BY e.seq DESC LIMIT 1;
  IF NOT FOUND THEN
    SELECT h.seq, h.row_hash, h.recorded_at INTO last FROM audit.head() h;
  END IF;
  seq := coalesce(last.seq, 0) + 1;
  prev_hash := coalesce(last.row_hash, decode(repeat('00', 32), 'hex'));
  recorded_at := greatest(clock_timestamp(), last.recorded_at);
  IF last.recorded_at IS NULL OR date_trunc('month', recorded_at, 'UTC') > date_trunc('month', last.recorded_at, 'UTC') THEN
    -- First event of a month: the schedule should have created the partition ahead; if
    -- it has stopped, the writer creates it rather than lose the event.
    PERFORM audit.create_partitions(recorded_at, 1);
  END IF;
END
$$;

-- What is wrong with an event's fields, or null when nothing is.
CREATE FUNCTION audit.event_problem(event_type text, actor text, payload jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE
  WHEN event_type IS NULL OR event_type = '' THEN 'event_type must be a non-empty string'
  WHEN actor IS NULL THEN 'actor must be a string'
  WHEN payload IS NULL THEN 'payload must be a JSON value (''{}'' for none)'
END;

CREATE FUNCTION audit.append(event_type text, actor text, payload jsonb DEFAULT '{}')
RETURNS TABLE (seq bigint, row_hash bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  problem text := audit.event_problem(event_type, actor, payload);
  pos record;
  new_hash bytea;
BEGIN
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'audit event: %', problem USING ERRCODE = 'invalid_parameter_value';
  END IF;
  pos := audit.next_position();
  new_hash := audit.row_hash(pos.seq, pos.recorded_at, event_type, actor, payload, pos.prev_hash);
  INSERT INTO audit.events (seq, recorded_at, event_type, actor, payload, prev_hash, row_hash)
  VALUES (pos.seq, pos.recorded_at, append.event_type, append.actor, append.payload, pos.prev_hash, new_hash);
  RETURN QUERY SELECT pos.seq, new_hash;
END
$$;

-- A batch: events is a JSON array of {"event_type": string, "actor": string, "payload":
-- any JSON, default {}}, chained in array order under one lock, all with the same
-- recorded_at. Returns one (seq, row_hash) per event, in the same order.
CREATE FUNCTION audit.append_batch(events jsonb)
RETURNS TABLE (seq bigint, row_hash bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n integer;
  types text[];
  actors text[];
  payloads jsonb[];
  seqs bigint[];
  prevs bytea[];
  hashes bytea[];
  bad record;
  pos record;
  prev bytea;
BEGIN
  IF events IS NULL OR jsonb_typeof(events) <> 'array' OR jsonb_array_length(events) = 0 THEN
    RAISE EXCEPTION 'audit.append_batch: events must be a non-empty JSON array' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  n := jsonb_array_length(events);
  -- Unpacked and checked before the chain lock, which other writers wait for.
  SELECT array_agg(CASE WHEN jsonb_typeof(x.e -> 'event_type') = 'string' THEN x.e ->> 'event_type' END ORDER BY x.i),
         array_agg(CASE WHEN jsonb_typeof(x.e -> 'actor') = 'string' THEN x.e ->> 'actor' END ORDER BY x.i),
         array_agg(CASE WHEN jsonb_typeof(x.e) = 'object' THEN coalesce(x.e -> 'payload', '{}') END ORDER BY x.i)
    INTO types, actors, payloads
    FROM jsonb_array_elements(events) WITH ORDINALITY AS x(e, i);
  SELECT x.i, audit.event_problem(x.t, x.a, x.p) AS problem INTO bad
    FROM unnest(types, actors, payloads) WITH ORDINALITY AS x(t, a, p, i)
   WHERE audit.event_problem(x.t, x.a, x.p) IS NOT NULL
   ORDER BY x.i LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'audit event % of the batch: %', bad.i, bad.problem USING ERRCODE = 'invalid_parameter_value';
  END IF;

  pos := audit.next_position();
  prev := pos.prev_hash;
  FOR i IN 1 .. n LOOP
    seqs[i] := pos.seq + i - 1;
    prevs[i] := prev;
    prev := audit.row_hash(seqs[i], pos.recorded_at, types[i], actors[i], payloads[i], prev);
    hashes[i] := prev;
  END LOOP;
  INSERT INTO audit.events (seq, recorded_at, event_type, actor, payload, prev_hash, row_hash)
  SELECT u.s, pos.recorded_at, u.t, u.a, u.p, u.ph, u.rh
    FROM unnest(seqs, types, actors, payloads, prevs, hashes) AS u(s, t, a, p, ph, rh);
  RETURN QUERY SELECT u.s, u.rh FROM unnest(seqs, hashes) WITH ORDINALITY AS u(s, rh, i) ORDER BY u.i;
END
$$;

GRANT EXECUTE ON FUNCTION audit.append(text, text, jsonb), audit.append_batch(jsonb) TO audit_writer;
