-- Capture: validate → rate limit → scrub → fingerprint → enrich → store (DESIGN.md section 5).
-- app.capture_batch is the entry point for api.capture_errors and the Sentry endpoint;
-- api.capture_error's app.capture_one is its single-event form (345_capture_batch.sql).
-- Validation is set-based SQL (no exceptions per item), so one bad event costs nothing to the
-- others and stores nothing; the INSERT into app.error_events then lets the statement trigger
-- (db/triggers/350_events.sql) update groups and metrics once per group.
-- Parsing into app.capture_item (app.capture_parse, app.capture_item_of) is in 300_capture_parse.sql.

-- == Validation ==

-- The labels of the two enums an event names, as constants the planner folds: generated from
-- the enums each time this file runs (every deploy). enum_range(...)::text[] looks each label up
-- in the catalog on every call (~12 µs of a single capture for both).
DO $do$
BEGIN
  EXECUTE format('CREATE OR REPLACE FUNCTION app.error_type_labels() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L',
                 format('SELECT %L::text[]', enum_range(NULL::app.error_type_enum)::text[]));
  EXECUTE format('CREATE OR REPLACE FUNCTION app.severity_labels() RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L',
                 format('SELECT %L::text[]', enum_range(NULL::app.severity_enum)::text[]));
END $do$;
COMMENT ON FUNCTION app.error_type_labels() IS 'The labels of app.error_type_enum in order (a constant, generated at deploy)';
COMMENT ON FUNCTION app.severity_labels() IS 'The labels of app.severity_enum in order (a constant, generated at deploy)';

-- The fields an event may hold (the spec's, plus event_id, timestamp, fingerprint, frames,
-- exceptions and message_template), the one list: any other key refuses the event, so a typo
-- (mesage, stacktrace) is named instead of silently dropped.
CREATE OR REPLACE FUNCTION app.capture_field_names() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '{error_type,severity,message,stack_trace,component,file_path,line_number,column_number,url,user_agent,user_id,metadata,request_id,session_id,event_id,timestamp,fingerprint,frames,exceptions,message_template}'::text[]
$$;
COMMENT ON FUNCTION app.capture_field_names() IS 'The fields a captured event may hold, in the order the documentation lists them';

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

-- An event id in its one normal form, as stored in answers and compared: 32 lower-case hex digits
-- (a UUID's dashes dropped). Whether the text is an event id at all is for the caller to check.
CREATE OR REPLACE FUNCTION app.event_id_text(p_event_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(replace(p_event_id, '-', ''))
$$;
COMMENT ON FUNCTION app.event_id_text(text) IS 'An event id (32 hex digits or a UUID) as 32 lower-case hex digits';

-- The size limits of an event's fields, the one place they are written. What is stored is cut to
-- them: text to that many characters (ending in a visible marker), metadata to that many bytes of
-- JSON, frames to the newest ones that fit. Before anything parses, scrubs or fingerprints a field,
-- app.capture_item_of bounds it: text to twice its limit (app._capture_bound), so a hostile size
-- costs no more than twice a legitimate one, while a secret across the final cut is still seen
-- whole by the scrubbers (cut at the limit, a card number would lose its last digits and keep its
-- first ones unscrubbed); metadata and frames to their limit. IMMUTABLE SQL: called with a
-- constant it is folded into its caller's plan.
CREATE OR REPLACE FUNCTION app.capture_limit(p_field text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_field
    WHEN 'message' THEN 8192
    WHEN 'message_template' THEN 8192
    WHEN 'stack_trace' THEN 65536
    WHEN 'url' THEN 2000
    WHEN 'user_agent' THEN 2000
    WHEN 'component' THEN 255
    WHEN 'file_path' THEN 500
    WHEN 'user_id' THEN 255
    WHEN 'request_id' THEN 100
    WHEN 'session_id' THEN 100
    WHEN 'fingerprint' THEN 255     -- characters of each part
    WHEN 'metadata' THEN 16384      -- bytes of its JSON text
    WHEN 'frames' THEN 100          -- the newest frames kept
    WHEN 'frames_bytes' THEN 65536  -- bytes of their JSON text
  END
$$;
COMMENT ON FUNCTION app.capture_limit(text) IS
'The size limit of a captured field: characters of text (message, message_template, stack_trace, url,
user_agent, component, file_path, user_id, request_id, session_id, each fingerprint part), bytes of
JSON (metadata, frames_bytes), or how many of the newest frames are kept (frames)';

CREATE OR REPLACE FUNCTION app._capture_trim(p_value text, p_max integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN length(p_value) > p_max THEN left(p_value, p_max - 12) || '…[truncated]' ELSE p_value END
$$;
COMMENT ON FUNCTION app._capture_trim(text, integer) IS 'Cut text to p_max characters, ending in a visible …[truncated] marker';

-- Free text as the scrubbers and parsers get it: at most twice its limit (see app.capture_limit).
CREATE OR REPLACE FUNCTION app._capture_bound(p_value text, p_limit integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(p_value, 2 * p_limit)
$$;
COMMENT ON FUNCTION app._capture_bound(text, integer) IS
  'Text cut to twice a field''s limit, before it is scrubbed or parsed (the stored value is cut to the limit after)';

-- Oversized metadata (over its limit as JSON) keeps its keys in order while they fit, plus a marker key.
CREATE OR REPLACE FUNCTION app._capture_trim_metadata(p_metadata jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF octet_length(p_metadata::text) <= app.capture_limit('metadata') THEN
    RETURN p_metadata;
  END IF;
  RETURN (SELECT coalesce(jsonb_object_agg(k.key, k.value), '{}'::jsonb)
            FROM (SELECT e.key, e.value,
                         sum(octet_length(e.key) + octet_length(e.value::text) + 6) OVER (ORDER BY e.key) AS size
                    FROM jsonb_each(p_metadata) AS e) AS k
           WHERE k.size <= app.capture_limit('metadata') - 384)  -- room for the marker key
         || jsonb_build_object('_truncated', format('[metadata truncated from %s bytes]', octet_length(p_metadata::text)));
END $$;
COMMENT ON FUNCTION app._capture_trim_metadata(jsonb) IS 'Metadata cut to its limit (about 16 KB) with a _truncated marker key';

-- Client frames (a validated list), bounded: the newest app.capture_limit('frames'), and of those
-- the newest that fit in frames_bytes of JSON (a frame alone over it leaves none).
CREATE OR REPLACE FUNCTION app._capture_trim_frames(p_frames jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  IF jsonb_array_length(p_frames) > app.capture_limit('frames') THEN
    p_frames := jsonb_path_query_array(p_frames, 'lax $[last - $older to last]',
                                       jsonb_build_object('older', app.capture_limit('frames') - 1));
  END IF;
  IF octet_length(p_frames::text) <= app.capture_limit('frames_bytes') THEN
    RETURN p_frames;
  END IF;
  RETURN (SELECT jsonb_agg(f.value ORDER BY f.n)
            FROM (SELECT e.value, e.n, sum(octet_length(e.value::text) + 2) OVER (ORDER BY e.n DESC) AS size
                    FROM jsonb_array_elements(p_frames) WITH ORDINALITY AS e (value, n)) AS f
           WHERE f.size <= app.capture_limit('frames_bytes'));
END $$;
COMMENT ON FUNCTION app._capture_trim_frames(jsonb) IS
  'Client frames cut to the newest 100 that fit in 64 KB of JSON; NULL when not even the newest fits';

-- An exception chain (a validated list of objects, oldest cause first, the raised exception last;
-- Sentry's exception values, or the same as stored), bounded: its newest 10 exceptions; each cause as
-- {type, value, module, synthetic, frames} (texts cut to 255 characters, the value to 1024; frames,
-- from stacktrace.frames or frames, as {filename, abs_path, module, function, lineno, colno, in_app,
-- context_line (app.grouping_context_line)}: what grouping reads, no variables, and no key a
-- scrubbing rule could name; its
-- newest app.capture_limit('frames')), the raised one as {type, module, synthetic} (its value is the
-- message, its frames are frames; synthetic from mechanism.synthetic too); a chain over
-- frames_bytes of JSON has each cause's frames cut to app._capture_trim_frames' bounds, then loses
-- its oldest causes while still over. (A chain within the bytes has every cause's frames within
-- them: measured once, not per cause.) STRICT.
CREATE OR REPLACE FUNCTION app._capture_trim_exceptions(p_exceptions jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  v_count integer := jsonb_array_length(p_exceptions);
  v_raised jsonb := p_exceptions -> -1;
  v_chain jsonb;
  v_causes jsonb[] := '{}'::jsonb[];
  v_kept jsonb[];
  v_cause jsonb;
  v_frames jsonb;
  v_frame jsonb;
  v_length integer;
BEGIN
  v_raised := CASE WHEN jsonb_typeof(v_raised) = 'object' THEN jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                'type', left(app.json_text(v_raised -> 'type'), 255), 'module', left(app.json_text(v_raised -> 'module'), 255),
                'synthetic', CASE WHEN v_raised -> 'synthetic' = 'true'::jsonb OR v_raised #> '{mechanism,synthetic}' = 'true'::jsonb
                                  THEN true END))) END;
  IF v_count = 1 OR v_raised IS NULL THEN  -- the raised exception alone (most events): no query
    RETURN v_raised;
  END IF;
  -- loops, not a query: a query's start-up costs more than the few causes and frames of a chain
  FOR i IN greatest(v_count - 10, 0) .. v_count - 2 LOOP
    v_cause := p_exceptions -> i;
    CONTINUE WHEN jsonb_typeof(v_cause) <> 'object';
    v_frames := coalesce(v_cause #> '{stacktrace,frames}', v_cause -> 'frames', '[]');
    CONTINUE WHEN jsonb_typeof(v_frames) <> 'array';
    v_length := jsonb_array_length(v_frames);
    v_kept := '{}'::jsonb[];
    FOR j IN greatest(v_length - app.capture_limit('frames'), 0) .. v_length - 1 LOOP
      v_frame := v_frames -> j;
      CONTINUE WHEN jsonb_typeof(v_frame) <> 'object';
      -- a frame of only these keys (and a source line grouping reads) is kept as it is (the
      -- Sentry mapping sends them so): cheaper than building it again
      IF v_frame - '{filename,abs_path,module,function,lineno,colno,in_app,context_line}'::text[] = '{}'::jsonb
         AND (NOT v_frame ? 'context_line' OR app.grouping_context_line(v_frame) IS NOT NULL) THEN
        v_kept := v_kept || v_frame;
        CONTINUE;
      END IF;
      v_kept := v_kept || jsonb_build_object(
                  'filename', v_frame -> 'filename', 'abs_path', v_frame -> 'abs_path', 'module', v_frame -> 'module',
                  'function', v_frame -> 'function', 'lineno', v_frame -> 'lineno', 'colno', v_frame -> 'colno',
                  'in_app', v_frame -> 'in_app', 'context_line', app.grouping_context_line(v_frame));
    END LOOP;
    v_causes := v_causes || jsonb_strip_nulls(jsonb_build_object(  -- (strips the frames' nulls too)
                  'type', left(app.json_text(v_cause -> 'type'), 255), 'value', left(app.json_text(v_cause -> 'value'), 1024),
                  'module', left(app.json_text(v_cause -> 'module'), 255),
                  'synthetic', CASE WHEN v_cause -> 'synthetic' = 'true'::jsonb OR v_cause #> '{mechanism,synthetic}' = 'true'::jsonb
                                    THEN true END,
                  'frames', CASE WHEN cardinality(v_kept) > 0 THEN to_jsonb(v_kept) END));
  END LOOP;
  v_chain := to_jsonb(v_causes) || v_raised;
  v_chain := coalesce(v_chain, v_raised);
  IF octet_length(v_chain::text) <= app.capture_limit('frames_bytes') THEN
    RETURN v_chain;
  END IF;
  v_chain := (SELECT jsonb_agg(jsonb_strip_nulls(c.x || jsonb_build_object('frames', app._capture_trim_frames(c.x -> 'frames')))
                               ORDER BY c.n)
                FROM jsonb_array_elements(v_chain) WITH ORDINALITY AS c (x, n));
  WHILE octet_length(v_chain::text) > app.capture_limit('frames_bytes') AND jsonb_array_length(v_chain) > 1 LOOP
    v_chain := v_chain - 0;
  END LOOP;
  RETURN v_chain;
END $$;
COMMENT ON FUNCTION app._capture_trim_exceptions(jsonb) IS
  'An exception chain cut to its newest 10 exceptions, the keys grouping reads, and 64 KB of JSON';

-- A capture body holding a number no double holds (app.json_numbers_fit_double, 025_json_input.sql)
CREATE OR REPLACE FUNCTION app.capture_number_out_of_range() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_build_object('code', 'QV001', 'message', 'a number is out of range',
    'details', 'A JSON number lies beyond a double''s range (|x| > 1.8e308, or 0 < |x| < 1e-324).',
    'hint', 'Send numbers a double can hold; send larger ones as strings.')
$$;
COMMENT ON FUNCTION app.capture_number_out_of_range() IS 'The problem object of a capture request holding a number no double holds';

-- The first problem of one event, or NULL: the field is named in details. One CASE without
-- subqueries, so the planner inlines it (a SQL function it cannot inline is planned per query).
CREATE OR REPLACE FUNCTION app.capture_validate(p_item jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p_item) IS DISTINCT FROM 'object' THEN
      app._capture_problem('QV001', 'event', 'event is not a JSON object', 'Send each event as a JSON object.')
    WHEN p_item - app.capture_field_names() <> '{}'::jsonb THEN
      app._capture_problem('QV001', jsonb_path_query_first(p_item - app.capture_field_names(), '$.keyvalue().key') #>> '{}',
        format('unknown field %s', jsonb_path_query_first(p_item - app.capture_field_names(), '$.keyvalue().key')),
        'Send only these fields: ' || array_to_string(app.capture_field_names(), ', ')
        || '; put anything else in metadata.')
    WHEN app._capture_text(p_item -> 'message') IS NULL AND app._capture_is(p_item -> 'message', 'string') THEN
      app._capture_problem('QV002', 'message', 'message is missing', 'Every event needs a non-empty message.')
    WHEN NOT app._capture_is(p_item -> 'message', 'string') THEN
      app._capture_problem('QV001', 'message', 'message is not a string', 'Send the message as a JSON string.')
    WHEN NOT app._capture_is(p_item -> 'error_type', 'string')
      OR lower(app._capture_text(p_item -> 'error_type')) <> ALL (app.error_type_labels()) THEN
      app._capture_problem('QV001', 'error_type', 'unknown error_type',
        'Use one of: ' || array_to_string(app.error_type_labels(), ', ') || '.')
    WHEN NOT app._capture_is(p_item -> 'severity', 'string')
      OR lower(app._capture_text(p_item -> 'severity')) <> ALL (app.severity_labels()) THEN
      app._capture_problem('QV001', 'severity', 'unknown severity',
        'Use one of: ' || array_to_string(app.severity_labels(), ', ') || '.')
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
    WHEN NOT app._capture_is(p_item -> 'exceptions', 'array')
      OR (jsonb_typeof(p_item -> 'exceptions') = 'array'
          AND jsonb_path_exists(p_item -> 'exceptions', '$[*] ? (@.type() != "object")')) THEN
      app._capture_problem('QV001', 'exceptions', 'exceptions is not a list of exception objects',
        'Send the chain as objects {type, value, module, frames}, oldest cause first, the raised exception last.')
    WHEN NOT app._capture_is(p_item -> 'event_id', 'string')
      OR app._capture_text(p_item -> 'event_id') !~* '^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$' THEN
      app._capture_problem('QV001', 'event_id', 'event_id is not a UUID', 'Send 32 hex digits or a UUID.')
    WHEN app._capture_text(p_item -> 'timestamp') IS NOT NULL AND app.json_timestamp(p_item -> 'timestamp') IS NULL THEN
      app._capture_problem('QV001', 'timestamp', 'timestamp is not a time',
        'Send an RFC 3339 string (2026-11-28T13:57:14Z) or Unix seconds.')
  END
$$;
COMMENT ON FUNCTION app.capture_validate(jsonb) IS 'The first problem of one captured event as {code, message, details, hint}, or NULL';

-- The problem of an event that is not plainly valid (not inlined: the big expression of
-- app.capture_validate is only prepared in a transaction that meets such an event).
CREATE OR REPLACE FUNCTION app._capture_problem_of(p_item jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN app.capture_validate(p_item);
END $$;
COMMENT ON FUNCTION app._capture_problem_of(jsonb) IS 'app.capture_validate, as a call the planner does not inline';

-- Plainly valid: the common event, recognised by one JSON path test (a single expression, cheap to
-- prepare and to run) and the two label lists. What it does not vouch for (a value to trim or
-- lower-case, line numbers, fingerprints, frames, exceptions, event ids, timestamps) goes to
-- app.capture_validate, so it only ever says yes where app.capture_validate finds no problem
-- (tests/sql/ingest/300_capture_validation.test.sql).
CREATE OR REPLACE FUNCTION app._capture_plainly_valid(p_item jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT jsonb_path_match(p_item, '$.type() == "object" && $.message.type() == "string" && $.message like_regex "[^ ]"
      && (!exists($.error_type) || $.error_type.type() == "null" || $.error_type.type() == "string")
      && (!exists($.severity) || $.severity.type() == "null" || $.severity.type() == "string")
      && (!exists($.stack_trace) || $.stack_trace.type() == "null" || $.stack_trace.type() == "string")
      && (!exists($.component) || $.component.type() == "null" || $.component.type() == "string")
      && (!exists($.file_path) || $.file_path.type() == "null" || $.file_path.type() == "string")
      && (!exists($.url) || $.url.type() == "null" || $.url.type() == "string")
      && (!exists($.user_agent) || $.user_agent.type() == "null" || $.user_agent.type() == "string")
      && (!exists($.message_template) || $.message_template.type() == "null" || $.message_template.type() == "string")
      && (!exists($.user_id) || $.user_id.type() == "null" || $.user_id.type() == "string" || $.user_id.type() == "number")
      && (!exists($.request_id) || $.request_id.type() == "null" || $.request_id.type() == "string"
          || $.request_id.type() == "number")
      && (!exists($.session_id) || $.session_id.type() == "null" || $.session_id.type() == "string"
          || $.session_id.type() == "number")
      && (!exists($.metadata) || $.metadata.type() == "null" || $.metadata.type() == "object")
      && (!exists($.line_number) || $.line_number.type() == "null")
      && (!exists($.column_number) || $.column_number.type() == "null")
      && (!exists($.fingerprint) || $.fingerprint.type() == "null")
      && (!exists($.frames) || $.frames.type() == "null")
      && (!exists($.exceptions) || $.exceptions.type() == "null")
      && (!exists($.event_id) || $.event_id.type() == "null")
      && (!exists($.timestamp) || $.timestamp.type() == "null")')
     AND p_item - app.capture_field_names() = '{}'::jsonb
     AND coalesce(p_item ->> 'error_type', 'unknown') = ANY (app.error_type_labels())
     AND coalesce(p_item ->> 'severity', 'error') = ANY (app.severity_labels())
$$;
COMMENT ON FUNCTION app._capture_plainly_valid(jsonb) IS
  'True only for an event app.capture_validate accepts: known fields, string fields strings, enums exact, no optional extras';
DROP FUNCTION IF EXISTS app._capture_plainly_valid(jsonb, text[], text[]);  -- (it took the label lists)
