-- POST /functions/v1/error-webhook (the spec): errors from log drains and custom senders, through
-- the same app.capture_batch as everything else. Accepted shapes (one document each; a body may
-- hold an array of them, or NDJSON that Python splits):
--   spec:       {"source": "vercel"|"cloudflare"|"custom", "error": {"message", "stack", "metadata", ...}}
--   Vercel:     log drain entries {id, message, timestamp (ms), type, source, level, statusCode,
--               requestId, host, path, proxy{...}, deploymentId, projectId, ...}; only errors are kept
--               (level error/fatal, type stderr, or a 5xx status), other log lines are dropped
--   Cloudflare: Workers tail events {scriptName, outcome, eventTimestamp, event{request{url,method}},
--               exceptions[{name, message, stack, timestamp}], logs[{level, message[], timestamp}]} and
--               Logpush workers_trace_events {ScriptName, Outcome, EventTimestampMs, Event{Request{URL}},
--               Exceptions[{Name, Message, TimestampMs}], Logs[{Level, Message[], TimestampMs}]}

-- Milliseconds since the epoch (Vercel, Cloudflare) as RFC 3339 text.
CREATE OR REPLACE FUNCTION app.webhook_ms_timestamp(p_value jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(p_value) = 'number' AND (p_value::text)::numeric BETWEEN 0 AND 32503680000000
              THEN to_char(to_timestamp((p_value::text)::double precision / 1000) AT TIME ZONE 'UTC',
                           'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END
$$;
COMMENT ON FUNCTION app.webhook_ms_timestamp(jsonb) IS 'Unix milliseconds as an RFC 3339 UTC timestamp, NULL when not a usable number';

CREATE OR REPLACE FUNCTION app.webhook_capture_from_spec(p_document jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN nullif(btrim(app.json_text(e -> 'message')), '') IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
    'error_type', CASE WHEN app.json_text(e -> 'error_type') IN (SELECT unnest(enum_range(NULL::app.error_type_enum))::text)
                       THEN app.json_text(e -> 'error_type')
                       WHEN p_document ->> 'source' IN ('vercel', 'cloudflare') THEN 'api' ELSE 'unknown' END,
    'severity', CASE WHEN app.json_text(e -> 'severity') IN (SELECT unnest(enum_range(NULL::app.severity_enum))::text)
                     THEN app.json_text(e -> 'severity') ELSE 'error' END,
    'message', app.json_text(e -> 'message'),
    'stack_trace', app.json_text(e -> 'stack'),
    'component', app.json_text(e -> 'component'),
    'file_path', app.json_text(e -> 'file_path'),
    'line_number', app.json_int(e -> 'line_number'),
    'column_number', app.json_int(e -> 'column_number'),
    'url', app.json_text(e -> 'url'),
    'user_agent', app.json_text(e -> 'user_agent'),
    'request_id', app.json_text(e -> 'request_id'),
    'session_id', app.json_text(e -> 'session_id'),
    'event_id', app.json_text(e -> 'event_id'),
    'timestamp', app.json_text(e -> 'timestamp'),
    'fingerprint', CASE WHEN jsonb_typeof(e -> 'fingerprint') = 'array' THEN e -> 'fingerprint' END,
    'metadata', jsonb_build_object('source', p_document ->> 'source')
                || CASE WHEN jsonb_typeof(e -> 'metadata') = 'object' THEN e -> 'metadata' ELSE '{}' END)) END
    FROM (SELECT p_document -> 'error' AS e) spec
$$;
COMMENT ON FUNCTION app.webhook_capture_from_spec(jsonb) IS 'A spec-shaped webhook document ({source, error{message, stack, metadata}}) as a capture item';

CREATE OR REPLACE FUNCTION app.webhook_capture_from_vercel(p_log jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN lower(coalesce(app.json_text(p_log -> 'level'), '')) IN ('error', 'fatal')
                   OR app.json_text(p_log -> 'type') = 'stderr'
                   OR coalesce(app.json_int(p_log -> 'statusCode'), app.json_int(p_log #> '{proxy,statusCode}'), 0) >= 500
    THEN jsonb_strip_nulls(jsonb_build_object(
      'event_id', CASE WHEN app.json_text(p_log -> 'id') IS NOT NULL THEN md5('vercel:' || app.json_text(p_log -> 'id')) END,
      'timestamp', app.webhook_ms_timestamp(p_log -> 'timestamp'),
      'error_type', 'api',
      'severity', CASE WHEN lower(app.json_text(p_log -> 'level')) = 'fatal' THEN 'critical' ELSE 'error' END,
      'message', coalesce(nullif(btrim(split_part(app.json_text(p_log -> 'message'), E'\n', 1)), ''),
                          concat_ws(' ', 'HTTP', coalesce(app.json_int(p_log -> 'statusCode'), app.json_int(p_log #> '{proxy,statusCode}')),
                                    app.json_text(p_log #> '{proxy,method}'), coalesce(app.json_text(p_log -> 'path'),
                                    app.json_text(p_log #> '{proxy,path}')))),
      'stack_trace', CASE WHEN app.json_text(p_log -> 'message') LIKE E'%\n%' THEN app.json_text(p_log -> 'message') END,
      'component', coalesce(app.json_text(p_log -> 'entrypoint'), app.json_text(p_log -> 'source')),
      'url', CASE WHEN coalesce(app.json_text(p_log #> '{proxy,host}'), app.json_text(p_log -> 'host')) IS NOT NULL
                  THEN 'https://' || coalesce(app.json_text(p_log #> '{proxy,host}'), app.json_text(p_log -> 'host'))
                       || coalesce(app.json_text(p_log #> '{proxy,path}'), app.json_text(p_log -> 'path'), '') END,
      'user_agent', coalesce(app.json_text(p_log #> '{proxy,userAgent,0}'), app.json_text(p_log #> '{proxy,userAgent}')),
      'request_id', app.json_text(p_log -> 'requestId'),
      'metadata', jsonb_build_object('source', 'vercel', 'vercel', p_log - 'message')))
  END
$$;
COMMENT ON FUNCTION app.webhook_capture_from_vercel(jsonb) IS 'A Vercel log drain entry as a capture item when it reports an error (level error/fatal, stderr, 5xx), else NULL';

-- Cloudflare tail events and Logpush trace events: one capture item per exception or error log;
-- an abnormal outcome without either becomes one item of its own.
CREATE OR REPLACE FUNCTION app.webhook_captures_from_cloudflare(p_event jsonb) RETURNS SETOF jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH event AS (
    SELECT coalesce(app.json_text(p_event -> 'scriptName'), app.json_text(p_event -> 'ScriptName'), 'worker') AS script,
           lower(coalesce(app.json_text(p_event -> 'outcome'), app.json_text(p_event -> 'Outcome'), 'ok')) AS outcome,
           coalesce(p_event -> 'eventTimestamp', p_event -> 'EventTimestampMs') AS event_ms,
           coalesce(app.json_text(p_event #> '{event,request,url}'), app.json_text(p_event #> '{Event,Request,URL}')) AS url,
           coalesce(app.json_text(p_event #> '{event,request,headers,user-agent}'),
                    app.json_text(p_event #> '{Event,Request,Headers,user-agent}')) AS user_agent,
           coalesce(p_event -> 'exceptions', p_event -> 'Exceptions') AS exceptions,
           coalesce(p_event -> 'logs', p_event -> 'Logs') AS logs
  ), problem AS (
    SELECT coalesce(app.json_text(x.value -> 'name'), app.json_text(x.value -> 'Name'), 'Error') || ': '
             || coalesce(app.json_text(x.value -> 'message'), app.json_text(x.value -> 'Message'), '') AS message,
           coalesce(app.json_text(x.value -> 'stack'), app.json_text(x.value -> 'Stack')) AS stack,
           coalesce(x.value -> 'timestamp', x.value -> 'TimestampMs') AS ms, 'exception' AS kind, x.n
      FROM event, jsonb_array_elements(CASE WHEN jsonb_typeof(event.exceptions) = 'array' THEN event.exceptions ELSE '[]' END)
           WITH ORDINALITY AS x (value, n)
     WHERE jsonb_typeof(x.value) = 'object'
    UNION ALL
    SELECT (SELECT string_agg(coalesce(app.json_text(m.value), m.value::text), ' ')
              FROM jsonb_array_elements(CASE WHEN jsonb_typeof(coalesce(l.value -> 'message', l.value -> 'Message')) = 'array'
                                             THEN coalesce(l.value -> 'message', l.value -> 'Message')
                                             ELSE jsonb_build_array(coalesce(l.value -> 'message', l.value -> 'Message')) END) m),
           NULL, coalesce(l.value -> 'timestamp', l.value -> 'TimestampMs'), 'log', 1000 + l.n
      FROM event, jsonb_array_elements(CASE WHEN jsonb_typeof(event.logs) = 'array' THEN event.logs ELSE '[]' END)
           WITH ORDINALITY AS l (value, n)
     WHERE jsonb_typeof(l.value) = 'object'
       AND lower(coalesce(app.json_text(l.value -> 'level'), app.json_text(l.value -> 'Level'), '')) = 'error'
    UNION ALL
    SELECT 'Worker ' || event.script || ' ended with outcome ' || event.outcome, NULL, event.event_ms, 'outcome', 0
      FROM event
     WHERE event.outcome NOT IN ('ok', 'canceled', 'responsestreamdisconnected', 'unknown')
  ), kept AS (
    -- the outcome alone only when nothing more specific explains it
    SELECT p.* FROM problem p
     WHERE p.kind <> 'outcome' OR NOT EXISTS (SELECT FROM problem q WHERE q.kind <> 'outcome')
  )
  SELECT jsonb_strip_nulls(jsonb_build_object(
           'event_id', md5(concat_ws(':', 'cloudflare', event.script, event.event_ms::text, kept.n::text, kept.message)),
           'timestamp', coalesce(app.webhook_ms_timestamp(kept.ms), app.webhook_ms_timestamp(event.event_ms)),
           'error_type', 'api',
           'severity', CASE WHEN event.outcome IN ('exceededcpu', 'exceededmemory') THEN 'critical' ELSE 'error' END,
           'message', coalesce(nullif(btrim(kept.message), ''), 'Worker error'),
           'stack_trace', kept.stack,
           'component', event.script,
           'url', event.url,
           'user_agent', event.user_agent,
           'metadata', jsonb_build_object('source', 'cloudflare', 'cloudflare',
                         jsonb_build_object('script', event.script, 'outcome', event.outcome, 'kind', kept.kind))))
    FROM kept, event
   ORDER BY kept.n
$$;
COMMENT ON FUNCTION app.webhook_captures_from_cloudflare(jsonb) IS 'A Cloudflare Workers tail / Logpush trace event as capture items: its exceptions, error logs, or abnormal outcome';

-- Every document of a webhook body: its shape and the capture items it yields (none for a log
-- line that is not an error; kind 'unknown' when the shape is not recognised).
CREATE OR REPLACE FUNCTION app.webhook_captures(p_documents jsonb)
RETURNS TABLE (document integer, kind text, capture jsonb)
LANGUAGE sql STABLE AS $$
  WITH doc AS (
    SELECT d.n::integer AS n, d.value,
           CASE
             WHEN jsonb_typeof(d.value) <> 'object' THEN 'unknown'
             WHEN jsonb_typeof(d.value -> 'error') = 'object' AND d.value ->> 'source' IN ('vercel', 'cloudflare', 'custom')
               THEN 'spec'
             WHEN d.value ?| ARRAY['scriptName', 'ScriptName'] THEN 'cloudflare'
             WHEN d.value ? 'message' AND d.value ?| ARRAY['deploymentId', 'projectId', 'requestId', 'proxy'] THEN 'vercel'
             ELSE 'unknown'
           END AS kind
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_documents) = 'array' THEN p_documents
                                     ELSE jsonb_build_array(p_documents) END) WITH ORDINALITY AS d (value, n)
  )
  SELECT doc.n, doc.kind, app.webhook_capture_from_spec(doc.value) FROM doc WHERE doc.kind = 'spec'
  UNION ALL
  SELECT doc.n, doc.kind, app.webhook_capture_from_vercel(doc.value) FROM doc WHERE doc.kind = 'vercel'
  UNION ALL
  SELECT doc.n, doc.kind, c.capture
    FROM doc LEFT JOIN LATERAL app.webhook_captures_from_cloudflare(doc.value) AS c (capture) ON true
   WHERE doc.kind = 'cloudflare'
  UNION ALL
  SELECT doc.n, doc.kind, NULL FROM doc WHERE doc.kind = 'unknown'
$$;
COMMENT ON FUNCTION app.webhook_captures(jsonb) IS 'The capture items of an error-webhook body, per document with its recognised shape';

-- Authenticates by the project's webhook secret (any header Python found it in), or by a Vercel
-- signature (HMAC-SHA1 of the raw body) for the given project; then captures. Never raises for
-- bad input: returns {"error": {...}} or {"accepted", "ids", "dropped", "invalid", "rate_limited",
-- "retry_after"}. p_documents is the body's JSON value as text (one document, or an array of them;
-- app.json_repair makes it storable), p_non_finite how many NaN/Infinity Python turned into strings
-- in each document (NULL when none); what was repaired is counted and marked on the document's
-- captures (metadata._repaired).
DROP FUNCTION IF EXISTS app.ingest_error_webhook(text, bigint, text, bytea, jsonb);
CREATE OR REPLACE FUNCTION app.ingest_error_webhook(p_secret text, p_project_id bigint, p_signature text,
                                                    p_body bytea, p_documents text, p_non_finite integer[])
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_project_id bigint;
  v_organization_id uuid;
  v_secret text;
  v_repair record;
  v_repairs jsonb;                -- per document (in order): what was repaired in it, or null
  v_items jsonb;
  v_summary jsonb;
BEGIN
  IF p_secret IS NOT NULL THEN
    SELECT s.project_id, s.organization_id INTO v_project_id, v_organization_id
      FROM app.project_webhook_secrets s WHERE s.secret = p_secret;
    IF v_project_id IS NULL OR v_project_id <> coalesce(p_project_id, v_project_id) THEN
      RETURN jsonb_build_object('error', app.problem('QA602', 'webhook secret not accepted',
        'No project has this webhook secret.', 'Use the secret printed by pgwarden webhook-secret.'));
    END IF;
  ELSE
    SELECT s.project_id, s.organization_id, s.secret INTO v_project_id, v_organization_id, v_secret
      FROM app.project_webhook_secrets s WHERE s.project_id = p_project_id;
    IF v_secret IS NULL OR p_signature IS NULL OR p_body IS NULL
       OR encode(hmac(p_body, convert_to(v_secret, 'UTF8'), 'sha1'), 'hex') <> lower(btrim(p_signature)) THEN
      RETURN jsonb_build_object('error', app.problem('QA602', 'webhook signature not accepted',
        format('The signature does not match the body signed with project %s''s webhook secret.', p_project_id),
        'Configure the drain with the project''s webhook secret.'));
    END IF;
  END IF;

  v_repair := app.json_repair(p_documents);
  IF v_repair.unstorable > 0 OR p_non_finite IS NOT NULL THEN
    SELECT jsonb_agg(app.repair_marker(e.unstorable, p_non_finite[e.ordinal]) ORDER BY e.ordinal) INTO v_repairs
      FROM app.json_repair_elements(CASE WHEN json_typeof(p_documents::json) = 'array' THEN p_documents::json
                                         ELSE json_build_array(p_documents::json) END) AS e;
    PERFORM app.ingest_repairs_record((
      SELECT jsonb_agg(jsonb_build_object('organization_id', v_organization_id, 'source', 'error_webhook', 'repairs', r))
        FROM jsonb_array_elements(v_repairs) AS r WHERE r <> 'null'));
  END IF;

  SELECT jsonb_agg(app.capture_mark_repaired(c.capture, nullif(v_repairs -> (c.document - 1), 'null')) ORDER BY c.document)
           FILTER (WHERE c.capture IS NOT NULL),
         jsonb_build_object(
           'documents', count(DISTINCT c.document),
           'dropped', count(DISTINCT c.document) FILTER (WHERE c.capture IS NULL AND c.kind IN ('vercel', 'cloudflare')),
           'invalid', count(DISTINCT c.document) FILTER (WHERE c.capture IS NULL AND c.kind IN ('spec', 'unknown')))
    INTO v_items, v_summary
    FROM app.webhook_captures(v_repair.document) c;
  IF (v_summary ->> 'documents')::integer = (v_summary ->> 'invalid')::integer THEN
    RETURN jsonb_build_object('error', app.problem('QV601', 'no error to ingest',
      'No document has the spec''s {source, error{message}} shape (with a message) or a Vercel / Cloudflare log shape.',
      'Send {"source": "custom", "error": {"message": "..."}}.'));
  END IF;

  RETURN v_summary || (
    SELECT jsonb_build_object(
             'accepted', count(*) FILTER (WHERE r.error IS NULL),
             'ids', coalesce(jsonb_agg(r.result -> 'id' ORDER BY r.ordinal) FILTER (WHERE r.error IS NULL), '[]'),
             'rate_limited', count(*) FILTER (WHERE r.error ->> 'code' LIKE 'QR%'),
             'retry_after', max((r.error ->> 'retry_after')::numeric),
             'invalid', (v_summary ->> 'invalid')::integer + count(*) FILTER (WHERE r.error ->> 'code' NOT LIKE 'QR%'))
      FROM app.capture_batch(v_organization_id, v_project_id, coalesce(v_items, '[]')) r);
END $$;
COMMENT ON FUNCTION app.ingest_error_webhook(text, bigint, text, bytea, text, integer[]) IS
  'POST /functions/v1/error-webhook: authenticate by project webhook secret or Vercel signature, then capture';
GRANT EXECUTE ON FUNCTION app.ingest_error_webhook(text, bigint, text, bytea, text, integer[]) TO pgwarden_web;

-- A new webhook secret for a project (replacing any previous one); shown once.
CREATE OR REPLACE FUNCTION app.webhook_secret_rotate(p_project_id bigint) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_secret text := 'whsec_' || encode(gen_random_bytes(24), 'hex');
BEGIN
  INSERT INTO app.project_webhook_secrets (project_id, organization_id, secret)
  SELECT p.id, p.organization_id, v_secret FROM app.projects p WHERE p.id = p_project_id
  ON CONFLICT (project_id) DO UPDATE SET secret = excluded.secret, created_at = now();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'project % not found', p_project_id USING ERRCODE = 'QN601',
      DETAIL = 'Field: project_id.', HINT = 'Use the id of an existing project.';
  END IF;
  RETURN v_secret;
END $$;
COMMENT ON FUNCTION app.webhook_secret_rotate(bigint) IS 'Generate (or replace) the error-webhook secret of a project; returns it';
-- api.create_webhook_secret checks the caller may see the project (row-level security), then calls this
GRANT EXECUTE ON FUNCTION app.webhook_secret_rotate(bigint) TO org_owner, system_admin;
