-- Sentry event → the spec's capture fields (what app.capture_batch takes). Pure functions over the
-- event JSON as the SDKs send it (reference/sentry.md §2), timestamps included (app.json_timestamp).
--
-- Mapping:
--   message        main exception "Type: value" (not synthetic), else logentry.formatted / message,
--                  else "<unlabeled event>"
--   message_template  logentry.message (the logging %s template) when the message came from logentry
--   severity       level: fatal→critical, error, warning (warn), info (log), debug; Python numeric 10–50
--   error_type     app.sentry_error_type_rules, first match (see db/schema/600_web_ingest.sql)
--   frames         the main exception's frames, oldest→newest as Sentry sends them (none when synthetic);
--                  a frame's context_line only where grouping reads it (app.grouping_context_line)
--   exceptions     the chain, oldest cause first: causes {type, value, module, synthetic, frames (without
--                  variables and source context)}, the raised one {type, module, synthetic}
--   stack_trace    every exception of the chain, main first, frames newest first
--   file_path/line_number/column_number  the newest in-app frame (else the newest frame)
--   url, user_agent  request.url, request.headers User-Agent
--   component      tags.component, else transaction, else logger
--   request_id     tags.request_id, else the X-Request-Id header
--   user_id        user.id, else username, email or ip_address (the monitored app's user, as text)
--   metadata       release, environment, dist, server_name, platform, logger, transaction, tags,
--                  contexts, user, request (method, url, query_string, headers), extra, sdk, mechanism,
--                  the last 10 breadcrumbs; _repaired (what ingest replaced to store it, when it did)

-- JSON number → integer, NULL for anything else or out of range (never raises).
CREATE OR REPLACE FUNCTION app.json_int(p_value jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p_value) = 'number' AND (p_value::text)::numeric BETWEEN -2147483648 AND 2147483647
      THEN trunc((p_value::text)::numeric)::integer
    WHEN jsonb_typeof(p_value) = 'string' AND (p_value #>> '{}') ~ '^\s*-?\d{1,9}\s*$'
      THEN btrim(p_value #>> '{}')::integer
  END
$$;
COMMENT ON FUNCTION app.json_int(jsonb) IS 'A JSON number (or digit string) as integer; NULL when absent, not a number or out of range';

-- JSON scalar → text: strings as they are, numbers and booleans stringified (Sentry's LenientString).
CREATE OR REPLACE FUNCTION app.json_text(p_value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(p_value) IN ('string', 'number', 'boolean') THEN p_value #>> '{}' END
$$;
COMMENT ON FUNCTION app.json_text(jsonb) IS 'A JSON scalar as text (numbers and booleans stringified); NULL for null, objects and arrays';

-- Sentry's Values<T>: a list, {"values": [...]}, or a single object → always a JSON array.
CREATE OR REPLACE FUNCTION app.sentry_values(p_value jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p_value) = 'array' THEN p_value
    WHEN jsonb_typeof(p_value) = 'object' AND jsonb_typeof(p_value -> 'values') = 'array' THEN p_value -> 'values'
    WHEN jsonb_typeof(p_value) = 'object' AND p_value <> '{}' AND NOT p_value ? 'values' THEN jsonb_build_array(p_value)
    ELSE '[]'::jsonb
  END
$$;
COMMENT ON FUNCTION app.sentry_values(jsonb) IS 'Sentry Values<T> (list, {values: [...]} or one object) as a JSON array';

-- STABLE, not IMMUTABLE: text → enum is a stable cast, and an IMMUTABLE body with it would not be inlined
CREATE OR REPLACE FUNCTION app.sentry_severity(p_level jsonb) RETURNS app.severity_enum
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(p_level) = 'number' THEN
      CASE WHEN (p_level::text)::numeric >= 50 THEN 'critical'
           WHEN (p_level::text)::numeric >= 40 THEN 'error'
           WHEN (p_level::text)::numeric >= 30 THEN 'warning'
           WHEN (p_level::text)::numeric >= 20 THEN 'info'
           ELSE 'debug' END
    ELSE
      CASE lower(btrim(coalesce(p_level #>> '{}', '')))
        WHEN 'fatal' THEN 'critical' WHEN 'critical' THEN 'critical'
        WHEN 'warning' THEN 'warning' WHEN 'warn' THEN 'warning'
        WHEN 'info' THEN 'info' WHEN 'log' THEN 'info'
        WHEN 'debug' THEN 'debug'
        ELSE 'error' END
  END::app.severity_enum
$$;
COMMENT ON FUNCTION app.sentry_severity(jsonb) IS 'Sentry level (name or Python numeric level) as the spec''s severity; default error';

-- A request header by case-insensitive name; Sentry sends headers as an object or as [name, value] pairs.
CREATE OR REPLACE FUNCTION app.sentry_header(p_headers jsonb, p_name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF jsonb_typeof(p_headers) = 'object' THEN
    RETURN (SELECT app.json_text(h.value) FROM jsonb_each(p_headers) h WHERE lower(h.key) = lower(p_name) LIMIT 1);
  ELSIF jsonb_typeof(p_headers) = 'array' THEN
    RETURN (SELECT app.json_text(pair -> 1) FROM jsonb_array_elements(p_headers) pair
             WHERE jsonb_typeof(pair) = 'array' AND lower(pair ->> 0) = lower(p_name) LIMIT 1);
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.sentry_header(jsonb, text) IS 'One header of a Sentry request interface (object or list of pairs), by case-insensitive name';

-- One frame as text, JS style: "  at function (file:line:col)".
CREATE OR REPLACE FUNCTION app.sentry_frame_line(p_frame jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '  at ' || coalesce(app.json_text(p_frame -> 'function'), '?') || ' ('
      || coalesce(app.json_text(p_frame -> 'filename'), app.json_text(p_frame -> 'abs_path'),
                  app.json_text(p_frame -> 'module'), '<unknown>')
      || coalesce(':' || app.json_int(p_frame -> 'lineno')::text, '')
      || coalesce(':' || app.json_int(p_frame -> 'colno')::text, '') || ')'
$$;
COMMENT ON FUNCTION app.sentry_frame_line(jsonb) IS 'A Sentry stack frame rendered as one "at function (file:line:col)" line';

-- Every event of a batch in one statement (per-event function calls would pay the executor's
-- start-up for each of their queries). PL/pgSQL, generic plan: planned once per session (as a SQL
-- function it was planned on every call, ~40% of the database's time for a single-event envelope).
-- p_events: the event items of an ingest batch (app.web_batch_of), of which it reads payload,
-- event_id (the envelope header's, or null) and repairs (what was repaired, or null); returns the
-- capture items in that order.
CREATE OR REPLACE FUNCTION app.sentry_events_to_captures(p_events app.web_item[]) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN (
  -- MATERIALIZED: the columns stay plain values, so the small helpers below are inlined (an
  -- inlined CTE would make their arguments whole expressions, and they would be called instead)
  WITH event AS MATERIALIZED (
    SELECT i.ordinality AS n, i.payload AS e, i.event_id AS header_event_id, i.repairs,
           app.sentry_values(i.payload -> 'exception') AS chain,
           CASE WHEN jsonb_typeof(i.payload -> 'logentry') = 'object' THEN i.payload -> 'logentry' END AS logentry,
           CASE WHEN jsonb_typeof(i.payload -> 'request') = 'object' THEN i.payload -> 'request' END AS request
      FROM unnest(p_events) WITH ORDINALITY AS i
  ), main AS MATERIALIZED (
    SELECT event.*,
           -- the exception that names the event: Sentry lists a chain oldest cause first, the raised one last
           CASE WHEN jsonb_typeof(event.chain -> -1) = 'object' THEN event.chain -> -1 END AS x
      FROM event
  ), shaped AS MATERIALIZED (
    SELECT main.*, m.synthetic,
           -- its frames as sent (none when synthetic)
           CASE WHEN NOT m.synthetic AND jsonb_typeof(main.x #> '{stacktrace,frames}') = 'array'
                THEN main.x #> '{stacktrace,frames}' ELSE '[]' END AS raw_frames,
           nullif(concat_ws(': ', app.json_text(main.x -> 'type'), app.json_text(main.x -> 'value')), '') AS exception_title,
           coalesce(app.json_text(main.logentry -> 'formatted'), app.json_text(main.logentry -> 'message')) AS logentry_text,
           app.event_id_text(coalesce(main.header_event_id, app.json_text(main.e -> 'event_id'))) AS event_id
      FROM main
     CROSS JOIN LATERAL (SELECT coalesce(main.x #> '{mechanism,synthetic}' = 'true'::jsonb, false) AS synthetic) AS m
  )
  SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
    'event_id', CASE WHEN s.event_id ~ '^[0-9a-f]{32}$' THEN s.event_id END,
    -- as the SDK sent it when it names a moment; else none, and the event is stored at its receipt
    -- (Relay does the same: an unreadable timestamp is no reason to lose the event)
    'timestamp', CASE WHEN app.json_timestamp(s.e -> 'timestamp') IS NOT NULL THEN s.e -> 'timestamp' END,
    'error_type', coalesce(rule.error_type, 'unknown'),
    'severity', app.sentry_severity(s.e -> 'level'),
    'message', coalesce(nullif(btrim(text.message), ''), '<unlabeled event>'),
    'message_template', text.template,
    'stack_trace', trace.stack_trace,
    'frames', frames.frames,
    'file_path', coalesce(app.json_text(culprit.frame -> 'filename'), app.json_text(culprit.frame -> 'abs_path')),
    'line_number', app.json_int(culprit.frame -> 'lineno'),
    'column_number', app.json_int(culprit.frame -> 'colno'),
    'component', coalesce(app.json_text(s.e #> '{tags,component}'), app.json_text(s.e -> 'transaction'),
                          app.json_text(s.e -> 'logger')),
    'url', app.json_text(s.request -> 'url'),
    'user_agent', headers.user_agent,
    'request_id', coalesce(app.json_text(s.e #> '{tags,request_id}'), headers.request_id),
    -- the monitored app's user as the SDK identifies it (counts affected users)
    'user_id', coalesce(app.json_text(s.e #> '{user,id}'), app.json_text(s.e #> '{user,username}'),
                        app.json_text(s.e #> '{user,email}'), app.json_text(s.e #> '{user,ip_address}')),
    'fingerprint', CASE WHEN jsonb_typeof(s.e -> 'fingerprint') = 'array' THEN s.e -> 'fingerprint' END,
    -- the chain, oldest cause first (app.capture_item_of keeps what grouping reads of it): the
    -- causes without their frames' variables and source context; the raised exception by its type
    -- (its value is the message, its frames are frames)
    'exceptions', CASE WHEN s.x IS NULL THEN NULL
                       WHEN jsonb_array_length(s.chain) = 1 THEN jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
                         'type', s.x -> 'type', 'module', s.x -> 'module', 'synthetic', CASE WHEN s.synthetic THEN true END)))
                       -- (its nulls go with the item's: jsonb_strip_nulls below reaches every depth)
                       ELSE (SELECT jsonb_agg(CASE
                                 WHEN c.n = jsonb_array_length(s.chain)
                                   THEN jsonb_build_object('type', c.value -> 'type', 'module', c.value -> 'module',
                                                           'synthetic', CASE WHEN s.synthetic THEN true END)
                                 ELSE jsonb_build_object('type', c.value -> 'type', 'value', c.value -> 'value', 'module', c.value -> 'module',
                                   'synthetic', CASE WHEN c.value #> '{mechanism,synthetic}' = 'true'::jsonb THEN true END,
                                   -- (what app._capture_trim_exceptions keeps: without the source line grouping
                                   -- does not read, a frame of Sentry's usual keys is kept as it is)
                                   'frames', (SELECT jsonb_agg(f.value - CASE WHEN app.grouping_context_line(f.value) IS NULL
                                                                              THEN '{vars,pre_context,post_context,data,context_line}'::text[]
                                                                              ELSE '{vars,pre_context,post_context,data}'::text[] END
                                                               ORDER BY f.n)
                                                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.value #> '{stacktrace,frames}') = 'array'
                                                                               THEN c.value #> '{stacktrace,frames}' ELSE '[]' END)
                                                     WITH ORDINALITY AS f (value, n)
                                               WHERE jsonb_typeof(f.value) = 'object'))
                                 END ORDER BY c.n)
                               FROM jsonb_array_elements(s.chain) WITH ORDINALITY AS c (value, n)
                              WHERE jsonb_typeof(c.value) = 'object') END,
    'metadata', jsonb_strip_nulls(jsonb_build_object(
      'source', 'sentry',
      'platform', app.json_text(s.e -> 'platform'),
      'level', app.json_text(s.e -> 'level'),
      'logger', app.json_text(s.e -> 'logger'),
      'release', app.json_text(s.e -> 'release'),
      'dist', app.json_text(s.e -> 'dist'),
      'environment', app.json_text(s.e -> 'environment'),
      'server_name', app.json_text(s.e -> 'server_name'),
      'transaction', app.json_text(s.e -> 'transaction'),
      'tags', CASE WHEN jsonb_typeof(s.e -> 'tags') IN ('object', 'array') THEN s.e -> 'tags' END,
      'contexts', CASE WHEN jsonb_typeof(s.e -> 'contexts') = 'object' THEN s.e -> 'contexts' END,
      'user', CASE WHEN jsonb_typeof(s.e -> 'user') = 'object' THEN s.e -> 'user' END,
      'request', CASE WHEN s.request IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
                   'method', s.request -> 'method', 'url', s.request -> 'url',
                   'query_string', s.request -> 'query_string', 'headers', s.request -> 'headers')) END,
      'extra', CASE WHEN jsonb_typeof(s.e -> 'extra') = 'object' AND s.e -> 'extra' <> '{}' THEN s.e -> 'extra' END,
      'sdk', CASE WHEN jsonb_typeof(s.e -> 'sdk') = 'object'
                  THEN jsonb_strip_nulls(jsonb_build_object('name', s.e #> '{sdk,name}', 'version', s.e #> '{sdk,version}')) END,
      'mechanism', s.x -> 'mechanism',
      'exception_module', app.json_text(s.x -> 'module'),
      'breadcrumbs', crumbs.breadcrumbs,
      '_repaired', s.repairs))
    )) ORDER BY s.n), '[]'::jsonb)
    FROM shaped s
    -- message: the raised exception ("Type: value") unless synthetic, else the logentry (its
    -- template groups), else `message` (a string or, from older SDKs, a logentry-shaped object)
    CROSS JOIN LATERAL (SELECT
      CASE WHEN NOT s.synthetic AND s.exception_title IS NOT NULL THEN s.exception_title
           WHEN s.logentry_text IS NOT NULL THEN s.logentry_text
           ELSE coalesce(app.json_text(s.e -> 'message'), app.json_text(s.e #> '{message,formatted}'),
                         app.json_text(s.e #> '{message,message}'), s.exception_title) END AS message,
      CASE WHEN NOT s.synthetic AND s.exception_title IS NOT NULL THEN NULL
           WHEN s.logentry_text IS NOT NULL THEN app.json_text(s.logentry -> 'message')
           ELSE app.json_text(s.e #> '{message,message}') END AS template) text
    -- the error type: first matching rule (app.sentry_error_type_rules)
    LEFT JOIN LATERAL (
      SELECT r.error_type FROM app.sentry_error_type_rules r
       WHERE (r.level_pattern IS NULL OR lower(coalesce(app.json_text(s.e -> 'level'), 'error')) ~* r.level_pattern)
         AND (r.platform_pattern IS NULL OR coalesce(app.json_text(s.e -> 'platform'), 'other') ~* r.platform_pattern)
         AND (r.type_pattern IS NULL OR coalesce(app.json_text(s.x -> 'type'), '') ~* r.type_pattern)
         AND (r.module_pattern IS NULL OR coalesce(app.json_text(s.x -> 'module'), '') ~* r.module_pattern)
         AND (r.value_pattern IS NULL OR coalesce(app.json_text(s.x -> 'value'), app.json_text(s.e -> 'message'),
                                                  s.logentry_text, '') ~* r.value_pattern)
         AND (r.unhandled IS NULL OR coalesce(s.x #> '{mechanism,handled}' = 'false'::jsonb, false) = r.unhandled)
       ORDER BY r.priority LIMIT 1) rule ON true
    -- the raised exception's frames, oldest first as Sentry sends them (none when synthetic)
    LEFT JOIN LATERAL (
      SELECT nullif(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'filename', coalesce(app.json_text(f.value -> 'filename'), app.json_text(f.value -> 'abs_path')),
               'module', app.json_text(f.value -> 'module'),
               'function', app.json_text(f.value -> 'function'),
               'lineno', app.json_int(f.value -> 'lineno'),
               'colno', app.json_int(f.value -> 'colno'),
               'in_app', CASE WHEN jsonb_typeof(f.value -> 'in_app') = 'boolean' THEN f.value -> 'in_app' END,
               'context_line', app.grouping_context_line(f.value),
               'vars', CASE WHEN jsonb_typeof(f.value -> 'vars') = 'object' THEN f.value -> 'vars' END))
               ORDER BY f.n), '[]'::jsonb) AS frames
        FROM jsonb_array_elements(s.raw_frames) WITH ORDINALITY AS f (value, n)
       WHERE jsonb_typeof(f.value) = 'object') frames ON true
    -- the newest in-app frame locates the error; without in-app frames, the newest frame
    LEFT JOIN LATERAL (
      SELECT f.value AS frame
        FROM jsonb_array_elements(s.raw_frames) WITH ORDINALITY AS f (value, n)
       WHERE jsonb_typeof(f.value) = 'object'
       ORDER BY (f.value -> 'in_app' = 'true'::jsonb) DESC, f.n DESC LIMIT 1) culprit ON true
    -- every exception of the chain, raised one first, frames newest first
    LEFT JOIN LATERAL (
      SELECT nullif(string_agg(l.line, E'\n' ORDER BY l.exception_n DESC, l.frame_n DESC), '') AS stack_trace
        FROM (SELECT c.n AS exception_n, 2147483647::bigint AS frame_n,
                     CASE WHEN c.n < jsonb_array_length(s.chain) THEN E'\n' ELSE '' END
                     || concat_ws(': ', app.json_text(c.value -> 'type'), app.json_text(c.value -> 'value')) AS line
                FROM jsonb_array_elements(s.chain) WITH ORDINALITY AS c (value, n)
               WHERE jsonb_typeof(c.value) = 'object'
              UNION ALL
              SELECT c.n, f.n, app.sentry_frame_line(f.value)
                FROM jsonb_array_elements(s.chain) WITH ORDINALITY AS c (value, n),
                     jsonb_array_elements(CASE WHEN jsonb_typeof(c.value #> '{stacktrace,frames}') = 'array'
                                               THEN c.value #> '{stacktrace,frames}' ELSE '[]' END) WITH ORDINALITY AS f (value, n)
               WHERE jsonb_typeof(f.value) = 'object') l) trace ON true
    -- request headers as an object or as [name, value] pairs
    LEFT JOIN LATERAL (
      SELECT max(h.value) FILTER (WHERE lower(h.name) = 'user-agent') AS user_agent,
             max(h.value) FILTER (WHERE lower(h.name) = 'x-request-id') AS request_id
        FROM (SELECT o.key AS name, app.json_text(o.value) AS value
                FROM jsonb_each(CASE WHEN jsonb_typeof(s.request -> 'headers') = 'object' THEN s.request -> 'headers' ELSE '{}' END) o
              UNION ALL
              SELECT pair ->> 0, app.json_text(pair -> 1)
                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(s.request -> 'headers') = 'array' THEN s.request -> 'headers' ELSE '[]' END) pair
               WHERE jsonb_typeof(pair) = 'array') h) headers ON true
    -- the last 10 breadcrumbs
    LEFT JOIN LATERAL (
      SELECT nullif(jsonb_agg(b.value ORDER BY b.n), '[]'::jsonb) AS breadcrumbs
        FROM (SELECT x.value, x.n FROM jsonb_array_elements(app.sentry_values(s.e -> 'breadcrumbs')) WITH ORDINALITY AS x (value, n)
               ORDER BY x.n DESC LIMIT 10) b) crumbs ON true);
END $$;
COMMENT ON FUNCTION app.sentry_events_to_captures(app.web_item[]) IS 'Sentry event items as app.capture_batch items, in order';

-- The same for events as JSON, [{"payload": <event>, "event_id": <header event id or null>,
-- "repairs": <or null>}, ...] (tests, bench/ and callers outside pgwarden web).
CREATE OR REPLACE FUNCTION app.sentry_events_to_captures(p_events jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT app.sentry_events_to_captures(ARRAY(
    SELECT ROW(NULL, i.n, NULL, NULL, i.value ->> 'event_id', 'event', i.value -> 'payload', NULL, NULL,
               i.value -> 'repairs')::app.web_item
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_events) = 'array' THEN p_events ELSE '[]' END)
           WITH ORDINALITY AS i (value, n)
     ORDER BY i.n))
$$;
COMMENT ON FUNCTION app.sentry_events_to_captures(jsonb) IS 'Sentry event payloads ([{payload, event_id, repairs}]) as app.capture_batch items, in order';

-- One event (tests, callers with a single event).
CREATE OR REPLACE FUNCTION app.sentry_event_to_capture(p_event jsonb, p_event_id text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT app.sentry_events_to_captures(jsonb_build_array(jsonb_build_object('payload', p_event, 'event_id', p_event_id))) -> 0
$$;
COMMENT ON FUNCTION app.sentry_event_to_capture(jsonb, text) IS 'A Sentry event payload as an app.capture_batch item (the spec''s fields + Sentry context in metadata)';

