-- The derivation cache (tables in db/schema/335_derivation_cache.sql): app.capture_enrich asks
-- app.derive_cached for the scrubbed and parsed form of each distinct stack trace and user agent
-- of a batch; only inputs not seen before under the current generation are derived (app.derive).
--
-- Correctness: a cached result must equal what app.derive would compute now. The key holds the
-- generation, which every rule change and every deploy bumps (db/triggers/335_derivation_cache.sql
-- and the last line of this file). A transaction memoizes the generation no later than it builds
-- its scrub patterns (app._scrub_refresh_patterns asks for it first), so a result computed under
-- older rules is never stored under a newer generation.
-- Concurrency: new entries are inserted in digest order (a batch waits only for another batch
-- that inserts the same new input, and always in the same order: no deadlock); the daily
-- used_on touch skips rows another batch holds.

-- The generation of this transaction: read once, then memoized in a transaction setting. The
-- memoized case is a SQL expression, inlined into its callers (a single capture asks ~7 times).
CREATE OR REPLACE FUNCTION app._derivation_cache_generation_read() RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_generation integer := (SELECT s.generation FROM app.derivation_cache_state s);
BEGIN
  RETURN set_config('pgwarden.derivation_generation', v_generation::text, true)::integer;
END $$;
COMMENT ON FUNCTION app._derivation_cache_generation_read() IS
  'Read the derivation cache generation and memoize it for the transaction (app.derivation_cache_generation)';

CREATE OR REPLACE FUNCTION app.derivation_cache_generation() RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('pgwarden.derivation_generation', true), '')::integer,
                  app._derivation_cache_generation_read())
$$;
COMMENT ON FUNCTION app.derivation_cache_generation() IS 'The derivation cache generation this transaction reads and writes (memoized)';

-- Every cached result becomes unreachable (the prune job deletes them); this transaction's
-- memoized generation and the session's scrub patterns are rebuilt on next use.
CREATE OR REPLACE FUNCTION app.derivation_cache_invalidate() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_generation integer;
BEGIN
  UPDATE app.derivation_cache_state s SET generation = s.generation + 1 RETURNING s.generation INTO v_generation;
  PERFORM set_config('pgwarden.derivation_generation', '', true),
          set_config('pgwarden.scrub_generation', '', true);  -- app._scrub_pattern rebuilds
  RETURN v_generation;
END $$;
COMMENT ON FUNCTION app.derivation_cache_invalidate() IS 'Start a new derivation cache generation (rule change, deploy); returns it';

-- == The derivations ==

CREATE OR REPLACE FUNCTION app._derive_stack_trace(p_stack_trace text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_scrubbed text := app.scrub_text(p_stack_trace);
  v_frames jsonb := app.parse_stack_trace(v_scrubbed);
BEGIN
  RETURN jsonb_build_object('scrubbed', CASE WHEN v_scrubbed IS DISTINCT FROM p_stack_trace THEN v_scrubbed END,
                            'frames', v_frames, 'frame_components', app.grouping_frame_components(v_frames));
END $$;
COMMENT ON FUNCTION app._derive_stack_trace(text) IS
  'A stack trace scrubbed (null when unchanged), its frames parsed from the scrubbed text, and their grouping components';

-- A user agent scrubbed (null when unchanged: a secret in it is rare) and parsed as stored.
CREATE OR REPLACE FUNCTION app._derive_user_agent(p_user_agent text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_scrubbed text := app.scrub_text(p_user_agent);
BEGIN
  RETURN (SELECT to_jsonb(ua) FROM app.parse_user_agent(v_scrubbed) AS ua)
         || jsonb_build_object('scrubbed', CASE WHEN v_scrubbed IS DISTINCT FROM p_user_agent THEN v_scrubbed END);
END $$;
COMMENT ON FUNCTION app._derive_user_agent(text) IS
  'A user agent scrubbed (null when unchanged), and its browser, os and device type parsed from the scrubbed text';

-- An exception chain of two or more exceptions (its JSON text as app._capture_trim_exceptions
-- keeps it): whether it is to be scrubbed (app._capture_chain_suspect; the caller scrubs it: the
-- scrubbed chain may hold an address, which the cache never keeps), and the frame variants of each
-- cause of the scrubbed chain (app.grouping_frame_variants, flattened, oldest first: what
-- app.grouping_chain reads; addresses read <email> and <ip> there). A flood of one chained error
-- then costs an index probe instead of the detector over the chain's text and the reduction of
-- its causes' frames.
CREATE OR REPLACE FUNCTION app._derive_exceptions(p_exceptions text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_scrub boolean := app._capture_chain_suspect(p_exceptions, app._scrub_detectors('pgwarden.scrub_text_detector'));
  v_chain jsonb := app._capture_scrubbed_chain(p_exceptions::jsonb, v_scrub);
  v_causes jsonb := '[]'::jsonb;
BEGIN
  FOR i IN 0 .. jsonb_array_length(v_chain) - 2 LOOP
    v_causes := v_causes || to_jsonb(app.grouping_frame_variants(v_chain -> i -> 'frames'));
  END LOOP;
  RETURN jsonb_build_object('scrub', v_scrub, 'causes', v_causes);
END $$;
COMMENT ON FUNCTION app._derive_exceptions(text) IS
  'Whether an exception chain (JSON text) is to be scrubbed, and its scrubbed causes'' frame variants for grouping';

-- What the pipeline derives from one raw input, uncached.
CREATE OR REPLACE FUNCTION app.derive(p_kind text, p_input text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE p_kind
    WHEN 'stack_trace' THEN app._derive_stack_trace(p_input)
    WHEN 'user_agent' THEN app._derive_user_agent(p_input)
    WHEN 'exceptions' THEN app._derive_exceptions(p_input)
  END
$$;
COMMENT ON FUNCTION app.derive(text, text) IS
'stack_trace: {scrubbed (null when unchanged), frames, frame_components} (app.scrub_text, app.parse_stack_trace,
app.grouping_frame_components); user_agent: {scrubbed (null when unchanged), browser, os, device_type}
(app.scrub_text, app.parse_user_agent); exceptions (a chain of two or more): {scrub, causes}
(app._derive_exceptions)';

-- == Cached ==

CREATE OR REPLACE FUNCTION app.derivation_cache_key(p_kind text, p_generation integer, p_input text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to(p_kind || p_generation::text || ':' || p_input, 'UTF8'))
$$;
COMMENT ON FUNCTION app.derivation_cache_key(text, integer, text) IS 'The derivation cache key (input_digest) of an input under a generation';

-- One result per (kind, input) pair, in order; the pairs should be distinct and sorted by kind
-- (the derivations of a kind then run one after another: PostgreSQL keeps only 32 compiled
-- regexes per backend). Inputs over 32 KB are derived but not kept. Three statements, the last
-- two only when needed: starting an INSERT and an UPDATE that touch nothing costs as much as the
-- lookup (a single capture usually finds everything cached).
CREATE OR REPLACE FUNCTION app.derive_cached(p_kinds text[], p_inputs text[]) RETURNS jsonb[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_generation integer := app.derivation_cache_generation();
  v_digests bytea[];
  v_results jsonb[];
  v_missing boolean;
  v_stale boolean;
BEGIN
  SELECT array_agg(i.digest ORDER BY i.n), array_agg(c.result ORDER BY i.n), bool_or(c.result IS NULL),
         coalesce(bool_or(c.used_on < current_date), false)
    INTO v_digests, v_results, v_missing, v_stale
    FROM (SELECT i.n, app.derivation_cache_key(i.kind, v_generation, i.raw) AS digest
            FROM unnest(p_kinds, p_inputs) WITH ORDINALITY AS i (kind, raw, n)) AS i
    LEFT JOIN app.derivation_cache c ON c.input_digest = i.digest;

  IF v_missing THEN
    WITH derived AS MATERIALIZED (  -- each derivation runs once, for the misses only
      SELECT i.n, i.kind, i.digest, i.cached IS NULL AS missed, octet_length(i.raw) AS size,
             coalesce(i.cached, app.derive(i.kind, i.raw)) AS result
        FROM unnest(p_kinds, p_inputs, v_digests, v_results) WITH ORDINALITY AS i (kind, raw, digest, cached, n)
       ORDER BY i.n
    ), stored AS (
      INSERT INTO app.derivation_cache (input_digest, kind, generation, result)
      SELECT d.digest, d.kind, v_generation, d.result FROM derived d
       WHERE d.missed AND d.size <= 32768
         AND pg_stat_get_live_tuples('app.derivation_cache'::regclass) < (SELECT s.max_entries FROM app.derivation_cache_state s)
       ORDER BY d.digest
      ON CONFLICT DO NOTHING
    )
    SELECT array_agg(d.result ORDER BY d.n) INTO v_results FROM derived d;
  END IF;

  IF v_stale THEN  -- the daily touch
    UPDATE app.derivation_cache c SET used_on = current_date
     WHERE c.input_digest IN (SELECT x.input_digest FROM app.derivation_cache x
                               WHERE x.input_digest = ANY (v_digests) AND x.used_on < current_date
                                 FOR UPDATE SKIP LOCKED);
  END IF;
  RETURN v_results;
END $$;
COMMENT ON FUNCTION app.derive_cached(text[], text[]) IS
  'app.derive for each (kind, input) pair, from the derivation cache where it holds the result, else derived and stored';

-- One input (a single capture): a probe of the cache, app.derive_cached when it misses or the
-- entry is due its daily touch. NULL for a NULL input.
CREATE OR REPLACE FUNCTION app.derive_cached_one(p_kind text, p_input text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_key bytea;
  v_result jsonb;
BEGIN
  IF p_input IS NULL THEN
    RETURN NULL;
  END IF;
  v_key := app.derivation_cache_key(p_kind, app.derivation_cache_generation(), p_input);
  SELECT c.result INTO v_result FROM app.derivation_cache c WHERE c.input_digest = v_key AND c.used_on >= current_date;
  RETURN coalesce(v_result, (app.derive_cached(ARRAY[p_kind], ARRAY[p_input]))[1]);
END $$;
COMMENT ON FUNCTION app.derive_cached_one(text, text) IS 'app.derive_cached for one (kind, input) pair';

-- == Bounds (pg_cron, db/functions/app/930_ingest_cron.sql) ==

-- Entries of other generations and entries unused for keep_days go; if still over 90% of
-- max_entries, the least recently used (by day) go down to half of it, so new inputs are admitted.
CREATE OR REPLACE FUNCTION app.derivation_cache_prune() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_state app.derivation_cache_state;
  v_deleted integer;
  v_evicted integer := 0;
  v_left bigint;
BEGIN
  SELECT * INTO v_state FROM app.derivation_cache_state;
  DELETE FROM app.derivation_cache c
   WHERE c.generation <> v_state.generation OR c.used_on < current_date - v_state.keep_days;
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  SELECT count(*) INTO v_left FROM app.derivation_cache;
  IF v_left > v_state.max_entries * 0.9 THEN
    DELETE FROM app.derivation_cache c
     WHERE c.input_digest IN (SELECT x.input_digest FROM app.derivation_cache x ORDER BY x.used_on, x.input_digest
                               LIMIT v_left - v_state.max_entries / 2);
    GET DIAGNOSTICS v_evicted = ROW_COUNT;
  END IF;
  RETURN v_deleted + v_evicted;
END $$;
COMMENT ON FUNCTION app.derivation_cache_prune() IS
  'Delete stale derivation cache entries (other generations, unused for keep_days) and trim it to its bound; returns how many';

-- Every deploy may change the derivations (grouping, parsing): nothing cached before applies.
SELECT app.derivation_cache_invalidate();
