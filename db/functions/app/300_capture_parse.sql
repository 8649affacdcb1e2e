-- Capture, step one: the events of a batch parsed into app.capture_item (typed, each field bounded)
-- once validated (app.capture_validate and the limits in 300_capture.sql). Split from
-- 300_capture.sql, which holds validation and the limits.

-- A client fingerprint as text (each part bounded), or NULL when absent or empty.
CREATE OR REPLACE FUNCTION app._capture_fingerprint(p_fingerprint jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF jsonb_typeof(p_fingerprint) IS DISTINCT FROM 'array' OR jsonb_array_length(p_fingerprint) = 0 THEN
    RETURN NULL;
  END IF;
  RETURN ARRAY(SELECT app._capture_bound(x #>> '{}', app.capture_limit('fingerprint')) FROM jsonb_array_elements(p_fingerprint) AS x);
END $$;
COMMENT ON FUNCTION app._capture_fingerprint(jsonb) IS
  'A client fingerprint (validated list) as text[], parts cut to twice their limit (cut to it once scrubbed)';

-- One event as typed values, or just its problem. Every field is bounded (app.capture_limit): free
-- text to twice its limit here, cut to the limit once scrubbed (app.capture_clean_fields). An
-- expression without subqueries, so the planner inlines it into app.capture_parse's query and
-- into app.capture_one's assignment.
CREATE OR REPLACE FUNCTION app.capture_item_of(p_item jsonb, p_ordinal integer, p_problem jsonb)
RETURNS app.capture_item
LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN p_problem IS NOT NULL
    THEN ROW(p_ordinal, p_problem, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::app.capture_item
    ELSE ROW(
      p_ordinal, NULL,
      coalesce(app._capture_text(p_item -> 'event_id')::uuid, gen_random_uuid()),
      app._capture_text(p_item -> 'event_id') IS NOT NULL,
      CASE WHEN app._capture_text(p_item -> 'timestamp') IS NULL THEN now()
           ELSE least(app.json_timestamp(p_item -> 'timestamp'), now()) END,
      coalesce(lower(app._capture_text(p_item -> 'error_type')), 'unknown')::app.error_type_enum,
      coalesce(lower(app._capture_text(p_item -> 'severity')), 'error')::app.severity_enum,
      app._capture_bound(p_item ->> 'message', app.capture_limit('message')),
      app._capture_bound(app._capture_text(p_item -> 'stack_trace'), app.capture_limit('stack_trace')),
      app._capture_trim_frames(nullif(nullif(p_item -> 'frames', 'null'), '[]')),
      CASE WHEN jsonb_typeof(p_item -> 'fingerprint') = 'array' THEN app._capture_fingerprint(p_item -> 'fingerprint') END,
      app._capture_bound(app._capture_text(p_item -> 'message_template'), app.capture_limit('message_template')),
      app._capture_bound(app._capture_text(p_item -> 'component'), app.capture_limit('component')),
      app._capture_bound(app._capture_text(p_item -> 'file_path'), app.capture_limit('file_path')),
      app._capture_text(p_item -> 'line_number')::integer,
      app._capture_text(p_item -> 'column_number')::integer,
      app._capture_bound(app._capture_text(p_item -> 'url'), app.capture_limit('url')),
      app._capture_bound(app._capture_text(p_item -> 'user_agent'), app.capture_limit('user_agent')),
      app._capture_bound(app._capture_text(p_item -> 'user_id'), app.capture_limit('user_id')),
      CASE WHEN pg_column_size(p_item -> 'metadata') > app.capture_limit('metadata')  -- (else small enough to scrub)
           THEN app._capture_trim_metadata(p_item -> 'metadata')
           ELSE coalesce(nullif(p_item -> 'metadata', 'null'), '{}') END,
      app._capture_bound(app._capture_text(p_item -> 'request_id'), app.capture_limit('request_id')),
      app._capture_bound(app._capture_text(p_item -> 'session_id'), app.capture_limit('session_id')),
      NULL, NULL, NULL, NULL,
      CASE WHEN jsonb_typeof(p_item -> 'exceptions') <> 'array' OR jsonb_array_length(p_item -> 'exceptions') = 0 THEN NULL
           -- the raised exception alone (most events), as app._capture_trim_exceptions keeps it, without a call
           WHEN jsonb_array_length(p_item -> 'exceptions') = 1 AND p_item #> '{exceptions,0,mechanism}' IS NULL
                AND coalesce(octet_length(p_item #>> '{exceptions,0,type}'), 0) <= 255
                AND coalesce(octet_length(p_item #>> '{exceptions,0,module}'), 0) <= 255
             THEN jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                    'type', app._capture_text(p_item #> '{exceptions,0,type}'), 'module', app._capture_text(p_item #> '{exceptions,0,module}'),
                    'synthetic', CASE WHEN p_item #> '{exceptions,0,synthetic}' = 'true'::jsonb THEN true END)))
           ELSE app._capture_trim_exceptions(p_item -> 'exceptions') END,
      NULL)::app.capture_item
    END
$$;
COMMENT ON FUNCTION app.capture_item_of(jsonb, integer, jsonb) IS
  'One event as app.capture_item: its typed values, or only p_problem when that is not null';

-- Every event of a batch, parsed. One statement in PL/pgSQL: planned once per session, with the
-- SQL helpers inlined.
CREATE OR REPLACE FUNCTION app.capture_parse(p_events jsonb) RETURNS app.capture_item[]
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN ARRAY(
    SELECT app.capture_item_of(e.item, e.n::integer, v.problem)
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e (item, n)
      -- OFFSET 0 keeps the validation a subquery, so it runs once per event
     CROSS JOIN LATERAL (SELECT CASE WHEN app._capture_plainly_valid(e.item) THEN NULL
                                     ELSE app._capture_problem_of(e.item) END AS problem OFFSET 0) AS v
     ORDER BY e.n);
END $$;
COMMENT ON FUNCTION app.capture_parse(jsonb) IS
  'The events of a batch as app.capture_item, in order: typed values, or the problem that refuses each';

-- Scrubbing, fingerprinting and enrichment (app.capture_enrich) are in 340_capture_enrich.sql.
