-- Capture: validate → rate limit → scrub → fingerprint → enrich → store (DESIGN.md section 5).
-- app.capture_batch is the one entry point for api.capture_error(s) and the Sentry endpoint.
-- Validation is set-based SQL (no exceptions per item), so one bad event costs nothing to the
-- others and stores nothing; the INSERT into app.error_events then lets the statement trigger
-- (db/triggers/350_events.sql) update groups and metrics once per group.

-- == Validation ==

CREATE OR REPLACE FUNCTION app._capture_problem(p_code text, p_field text, p_message text, p_hint text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_object('code', p_code, 'message', p_message,
                            'details', format('Field: %s.', p_field), 'hint', p_hint)
$$;
COMMENT ON FUNCTION app._capture_problem(text, text, text, text) IS 'A per-event error object {code, message, details, hint}';

CREATE OR REPLACE FUNCTION app._capture_not_a(p_field text, p_kind text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT app._capture_problem('QV001', p_field, format('%s is not a %s', p_field, p_kind),
                              format('Send %s as a JSON %s.', p_field, p_kind))
$$;
COMMENT ON FUNCTION app._capture_not_a(text, text) IS 'The problem object for a field of the wrong JSON type';

-- absent and JSON null are the same thing; otherwise the JSON type must be one of p_types
CREATE OR REPLACE FUNCTION app._capture_is(p_value jsonb, VARIADIC p_types text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_value IS NULL OR jsonb_typeof(p_value) = 'null' OR jsonb_typeof(p_value) = ANY (p_types)
$$;
COMMENT ON FUNCTION app._capture_is(jsonb, text[]) IS 'True when a JSON value is absent, null or of one of the given JSON types';

CREATE OR REPLACE FUNCTION app._capture_text(p_value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(btrim(p_value #>> '{}'), '')
$$;
COMMENT ON FUNCTION app._capture_text(jsonb) IS 'A JSON scalar as trimmed text; NULL when absent, null or blank';

CREATE OR REPLACE FUNCTION app._capture_trim(p_value text, p_max integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN length(p_value) > p_max THEN left(p_value, p_max - 12) || '…[truncated]' ELSE p_value END
$$;
COMMENT ON FUNCTION app._capture_trim(text, integer) IS 'Cut text to p_max characters, ending in a visible …[truncated] marker';

-- Oversized metadata (over 16 KB as JSON) keeps its keys in order while they fit, plus a marker key.
CREATE OR REPLACE FUNCTION app._capture_trim_metadata(p_metadata jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF octet_length(p_metadata::text) <= 16384 THEN
    RETURN p_metadata;
  END IF;
  RETURN (SELECT coalesce(jsonb_object_agg(k.key, k.value), '{}'::jsonb)
            FROM (SELECT e.key, e.value,
                         sum(octet_length(e.key) + octet_length(e.value::text) + 6) OVER (ORDER BY e.key) AS size
                    FROM jsonb_each(p_metadata) AS e) AS k
           WHERE k.size <= 16000)
         || jsonb_build_object('_truncated', format('[metadata truncated from %s bytes]', octet_length(p_metadata::text)));
END $$;
COMMENT ON FUNCTION app._capture_trim_metadata(jsonb) IS 'Metadata cut to about 16 KB with a _truncated marker key';

-- RFC 3339 date-times or Unix seconds (number or numeric string); NULL when it is neither.
CREATE OR REPLACE FUNCTION app._capture_timestamp(p_value jsonb) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_text text := btrim(p_value #>> '{}');
BEGIN
  IF jsonb_typeof(p_value) NOT IN ('number', 'string') THEN
    RETURN NULL;
  END IF;
  IF v_text ~ '^[0-9]{1,11}(\.[0-9]+)?$' THEN
    RETURN to_timestamp(v_text::double precision);
  END IF;
  IF v_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?$' THEN
    RETURN NULL;
  END IF;
  -- a date-shaped string can still be out of range (month 13): no exception for a bad event
  RETURN (CASE WHEN v_text ~ '(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN v_text ELSE v_text || 'Z' END)::timestamptz;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR invalid_parameter_value THEN
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app._capture_timestamp(jsonb) IS 'Event timestamp from RFC 3339 text or Unix seconds; NULL if neither (UTC when no zone)';

-- The first problem of one event, or NULL: the field is named in details. One CASE without
-- subqueries, so the planner inlines it (a SQL function it cannot inline is planned per query).
CREATE OR REPLACE FUNCTION app.capture_validate(p_item jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p_item) IS DISTINCT FROM 'object' THEN
      app._capture_problem('QV001', 'event', 'event is not a JSON object', 'Send each event as a JSON object.')
    WHEN app._capture_text(p_item -> 'message') IS NULL AND app._capture_is(p_item -> 'message', 'string') THEN
      app._capture_problem('QV002', 'message', 'message is missing', 'Every event needs a non-empty message.')
    WHEN NOT app._capture_is(p_item -> 'message', 'string') THEN
      app._capture_problem('QV001', 'message', 'message is not a string', 'Send the message as a JSON string.')
    WHEN NOT app._capture_is(p_item -> 'error_type', 'string')
      OR lower(app._capture_text(p_item -> 'error_type')) <> ALL (enum_range(NULL::app.error_type_enum)::text[]) THEN
      app._capture_problem('QV001', 'error_type', 'unknown error_type',
        'Use one of: ' || array_to_string(enum_range(NULL::app.error_type_enum)::text[], ', ') || '.')
    WHEN NOT app._capture_is(p_item -> 'severity', 'string')
      OR lower(app._capture_text(p_item -> 'severity')) <> ALL (enum_range(NULL::app.severity_enum)::text[]) THEN
      app._capture_problem('QV001', 'severity', 'unknown severity',
        'Use one of: ' || array_to_string(enum_range(NULL::app.severity_enum)::text[], ', ') || '.')
    WHEN NOT app._capture_is(p_item -> 'stack_trace', 'string') THEN app._capture_not_a('stack_trace', 'string')
    WHEN NOT app._capture_is(p_item -> 'component', 'string') THEN app._capture_not_a('component', 'string')
    WHEN NOT app._capture_is(p_item -> 'file_path', 'string') THEN app._capture_not_a('file_path', 'string')
    WHEN NOT app._capture_is(p_item -> 'url', 'string') THEN app._capture_not_a('url', 'string')
    WHEN NOT app._capture_is(p_item -> 'user_agent', 'string') THEN app._capture_not_a('user_agent', 'string')
    WHEN NOT app._capture_is(p_item -> 'message_template', 'string') THEN app._capture_not_a('message_template', 'string')
    WHEN NOT app._capture_is(p_item -> 'user_id', 'string', 'number') THEN app._capture_not_a('user_id', 'string')
    WHEN NOT app._capture_is(p_item -> 'request_id', 'string', 'number') THEN app._capture_not_a('request_id', 'string')
    WHEN NOT app._capture_is(p_item -> 'session_id', 'string', 'number') THEN app._capture_not_a('session_id', 'string')
    WHEN NOT (app._capture_is(p_item -> 'line_number', 'string', 'number')
              AND coalesce(app._capture_text(p_item -> 'line_number') ~ '^[0-9]{1,9}$', true)) THEN
      app._capture_not_a('line_number', 'non-negative integer')
    WHEN NOT (app._capture_is(p_item -> 'column_number', 'string', 'number')
              AND coalesce(app._capture_text(p_item -> 'column_number') ~ '^[0-9]{1,9}$', true)) THEN
      app._capture_not_a('column_number', 'non-negative integer')
    WHEN NOT app._capture_is(p_item -> 'metadata', 'object') THEN app._capture_not_a('metadata', 'JSON object')
    WHEN NOT app._capture_is(p_item -> 'fingerprint', 'array')
      OR jsonb_array_length(coalesce(nullif(p_item -> 'fingerprint', 'null'), '[]')) > 50
      OR (jsonb_typeof(p_item -> 'fingerprint') = 'array'
          AND jsonb_path_exists(p_item -> 'fingerprint', '$[*] ? (@.type() != "string" && @.type() != "number")')) THEN
      app._capture_problem('QV001', 'fingerprint', 'fingerprint is not a list of strings',
        'Send up to 50 strings; "{{ default }}" stands for the default grouping.')
    WHEN NOT app._capture_is(p_item -> 'frames', 'array')
      OR (jsonb_typeof(p_item -> 'frames') = 'array' AND jsonb_path_exists(p_item -> 'frames', '$[*] ? (@.type() != "object")')) THEN
      app._capture_problem('QV001', 'frames', 'frames is not a list of frame objects',
        'Send frames as objects {filename, module, function, lineno, colno, in_app}, oldest first.')
    WHEN NOT app._capture_is(p_item -> 'event_id', 'string')
      OR app._capture_text(p_item -> 'event_id') !~* '^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$' THEN
      app._capture_problem('QV001', 'event_id', 'event_id is not a UUID', 'Send 32 hex digits or a UUID.')
    WHEN app._capture_text(p_item -> 'timestamp') IS NOT NULL AND app._capture_timestamp(p_item -> 'timestamp') IS NULL THEN
      app._capture_problem('QV001', 'timestamp', 'timestamp is not a time',
        'Send an RFC 3339 string (2026-11-28T13:57:14Z) or Unix seconds.')
  END
$$;
COMMENT ON FUNCTION app.capture_validate(jsonb) IS 'The first problem of one captured event as {code, message, details, hint}, or NULL';

-- Every event of a batch as typed values (string fields bounded to their columns), or just its
-- problem. One statement in PL/pgSQL: planned once per session, with the SQL helpers inlined.
CREATE OR REPLACE FUNCTION app.capture_parse(p_events jsonb) RETURNS app.capture_item[]
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN ARRAY(
    SELECT CASE WHEN v.problem IS NOT NULL
      THEN ROW(e.n, v.problem, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::app.capture_item
      ELSE ROW(
        e.n, NULL,
        coalesce(app._capture_text(e.item -> 'event_id')::uuid, gen_random_uuid()),
        app._capture_text(e.item -> 'event_id') IS NOT NULL,
        CASE WHEN app._capture_text(e.item -> 'timestamp') IS NULL THEN now()
             ELSE least(app._capture_timestamp(e.item -> 'timestamp'), now()) END,
        coalesce(lower(app._capture_text(e.item -> 'error_type')), 'unknown')::app.error_type_enum,
        coalesce(lower(app._capture_text(e.item -> 'severity')), 'error')::app.severity_enum,
        e.item ->> 'message',
        app._capture_text(e.item -> 'stack_trace'),
        nullif(nullif(e.item -> 'frames', 'null'), '[]'),
        CASE WHEN jsonb_typeof(e.item -> 'fingerprint') = 'array' AND jsonb_array_length(e.item -> 'fingerprint') > 0
             THEN ARRAY(SELECT left(x #>> '{}', 255) FROM jsonb_array_elements(e.item -> 'fingerprint') AS x) END,
        app._capture_text(e.item -> 'message_template'),
        app._capture_trim(app._capture_text(e.item -> 'component'), 255),
        app._capture_trim(app._capture_text(e.item -> 'file_path'), 500),
        app._capture_text(e.item -> 'line_number')::integer,
        app._capture_text(e.item -> 'column_number')::integer,
        app._capture_text(e.item -> 'url'),
        app._capture_trim(app._capture_text(e.item -> 'user_agent'), 2000),
        left(app._capture_text(e.item -> 'user_id'), 255),
        coalesce(nullif(e.item -> 'metadata', 'null'), '{}'),
        left(app._capture_text(e.item -> 'request_id'), 100),
        left(app._capture_text(e.item -> 'session_id'), 100),
        NULL, NULL, NULL, NULL)::app.capture_item
      END
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS e (item, n)
      -- OFFSET 0 keeps the validation a subquery, so it runs once per event
     CROSS JOIN LATERAL (SELECT app.capture_validate(e.item) AS problem OFFSET 0) AS v
     ORDER BY e.n);
END $$;
COMMENT ON FUNCTION app.capture_parse(jsonb) IS
  'The events of a batch as app.capture_item, in order: typed values, or the problem that refuses each';

-- == Scrub, fingerprint, enrich ==

-- Expensive steps run once per distinct input of the batch (a flood repeats the same stack,
-- metadata and user agent), and stack traces and user agents seen before cost one index probe
-- (app.derive_cached). Scrubbing comes first: nothing unscrubbed reaches a column. The common
-- clean text costs one detector regex, inline. Grouping keys on what the hash depends on: with
-- usable frames only the exception class of the message counts, so a flood of one stack with
-- varying messages is hashed once. PL/pgSQL so the big query is planned once per session.
CREATE OR REPLACE FUNCTION app.capture_enrich(p_items app.capture_item[]) RETURNS app.capture_item[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_text_detector text := app._scrub_pattern('pgwarden.scrub_text_detector');
  v_json_detector text := app._scrub_pattern('pgwarden.scrub_json_detector');
  v_key_pattern text := app._scrub_pattern('pgwarden.scrub_key_pattern');
  v_kinds text[];
  v_inputs text[];
  v_results jsonb[];
  v_stacks integer;  -- how many of the inputs (sorted by kind) are stack traces
BEGIN
  SELECT array_agg(d.kind ORDER BY d.kind, d.input), array_agg(d.input ORDER BY d.kind, d.input)
    INTO v_kinds, v_inputs
    FROM (SELECT 'stack_trace' AS kind, i.stack_trace AS input FROM unnest(p_items) AS i WHERE i.stack_trace IS NOT NULL
          UNION
          SELECT 'user_agent', i.user_agent FROM unnest(p_items) AS i WHERE i.user_agent IS NOT NULL) AS d;
  IF v_kinds IS NOT NULL THEN
    v_results := app.derive_cached(v_kinds, v_inputs);
  END IF;
  v_stacks := coalesce(array_position(v_kinds, 'user_agent') - 1, cardinality(v_kinds), 0);

  RETURN (
  WITH stack AS (
    -- unnest of each kind's slice (not a filter on all kinds, whose low row estimate makes a nested loop)
    SELECT d.input AS stack_trace, app._capture_trim(coalesce(d.result ->> 'scrubbed', d.input), 65536) AS clean,
           d.result ->> 'frame_components' AS frame_components
      FROM unnest(v_inputs[1:v_stacks], v_results[1:v_stacks]) AS d (input, result) OFFSET 0
  ), agent AS (
    SELECT d.input AS user_agent, left(d.result ->> 'browser', 100) AS browser, left(d.result ->> 'os', 100) AS os,
           left(d.result ->> 'device_type', 50) AS device_type
      FROM unnest(v_inputs[v_stacks + 1:], v_results[v_stacks + 1:]) AS d (input, result)
  ), metadata AS (
    -- by text: jsonb equality would take {"n": 1} for {"n": 1.0}
    SELECT d.metadata, app._capture_trim_metadata(CASE WHEN d.metadata ~ v_json_detector THEN app.scrub_jsonb(d.metadata::jsonb)
                                                       ELSE d.metadata::jsonb END) AS clean
      FROM (SELECT DISTINCT i.metadata::text AS metadata FROM unnest(p_items) AS i) AS d OFFSET 0
  ), client_frames AS (
    -- the newest 100 client frames are enough to group and to read
    SELECT d.frames, f.clean, app.grouping_frame_components(f.clean) AS frame_components
      FROM (SELECT DISTINCT i.frames::text AS frames FROM unnest(p_items) AS i WHERE i.frames IS NOT NULL) AS d
     CROSS JOIN LATERAL (SELECT app.scrub_jsonb(jsonb_path_query_array(d.frames::jsonb, 'lax $[last - 99 to last]'))
                                AS clean OFFSET 0) AS f
  ), scrubbed AS (
    -- messages, templates and URLs are scrubbed per event (they seldom repeat exactly); OFFSET 0
    -- keeps this a subquery, so each is scrubbed once however often the layer above names it
    SELECT i.ordinal, i.event_id, i.client_event_id, i.occurred_at, i.error_type, i.severity, i.fingerprint,
           i.component, i.file_path, i.line_number, i.column_number, i.user_agent, i.user_id, i.request_id, i.session_id,
           CASE WHEN i.message ~ v_text_detector THEN app._scrub_text(i.message, v_key_pattern, v_text_detector)
                ELSE i.message END AS message,
           CASE WHEN i.message_template ~ v_text_detector
                THEN app._scrub_text(i.message_template, v_key_pattern, v_text_detector)
                ELSE i.message_template END AS message_template,
           app._scrub_url(i.url, v_key_pattern, v_text_detector) AS url,
           md.clean AS metadata, s.clean AS stack_trace, f.clean AS frames, a.browser, a.os, a.device_type,
           CASE WHEN i.frames IS NOT NULL THEN f.frame_components ELSE coalesce(s.frame_components, '') END AS frame_components
      FROM unnest(p_items) AS i
      JOIN metadata md ON md.metadata = i.metadata::text
      LEFT JOIN stack s ON s.stack_trace = i.stack_trace
      LEFT JOIN agent a ON a.user_agent = i.user_agent
      LEFT JOIN client_frames f ON f.frames = i.frames::text
    OFFSET 0
  ), keyed AS (
    -- trimmed here: with a plain column as argument _capture_trim is inlined
    SELECT c.ordinal, c.event_id, c.client_event_id, c.occurred_at, c.error_type, c.severity,
           app._capture_trim(c.message, 8192) AS message, c.stack_trace, c.frames, c.fingerprint,
           app._capture_trim(c.message_template, 8192) AS message_template, c.component, c.file_path, c.line_number,
           c.column_number, app._capture_trim(c.url, 2000) AS url, c.user_agent, c.user_id, c.metadata, c.request_id,
           c.session_id, c.browser, c.os, c.device_type, c.frame_components,
           -- what the hash depends on: with frames only the exception class of the message (jsonb
           -- equality treats NULLs as equal, and hashes)
           jsonb_build_array(c.error_type, c.fingerprint, c.frame_components,
                             CASE WHEN c.frame_components <> '' THEN app.grouping_exception(app._capture_trim(c.message, 8192))
                                  ELSE app._capture_trim(c.message, 8192) END,
                             CASE WHEN c.frame_components = '' THEN app._capture_trim(c.message_template, 8192) END)
             AS grouping_key
      FROM scrubbed c
  ), grouping AS (
    SELECT d.grouping_key,
           app.error_hash(d.error_type, d.message, d.frame_components, d.fingerprint, d.message_template) AS error_hash
      FROM (SELECT DISTINCT ON (k.grouping_key) k.grouping_key, k.error_type, k.message, k.frame_components,
                   k.fingerprint, k.message_template
              FROM keyed k) AS d
    OFFSET 0  -- a subquery of its own: one hash per distinct key, not one per event
  )
  SELECT array_agg(ROW(
           k.ordinal, NULL, k.event_id, k.client_event_id, k.occurred_at, k.error_type, k.severity, k.message,
           k.stack_trace, k.frames, k.fingerprint, k.message_template, k.component, k.file_path, k.line_number,
           k.column_number, k.url, k.user_agent, k.user_id, k.metadata, k.request_id, k.session_id, g.error_hash,
           k.browser, k.os, k.device_type)::app.capture_item ORDER BY k.ordinal)
    FROM keyed k
    JOIN grouping g ON g.grouping_key = k.grouping_key);
END $$;
COMMENT ON FUNCTION app.capture_enrich(app.capture_item[]) IS
  'Scrub, trim, fingerprint (error_hash) and parse the user agent of accepted events, once per distinct input';
