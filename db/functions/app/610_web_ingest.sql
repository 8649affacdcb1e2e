-- The Sentry ingest entry point of `pgwarden web`: one call per micro-batch of HTTP requests.
--
-- p_requests: JSON array, one object per HTTP request (envelope or store body), as Python parsed it
-- and app.web_requests_clean made it storable:
--   {"project_id": 42, "public_key": "<32 hex>", "event_id": "<envelope header event_id>",
--    "items": [{"type": "event", "payload": {...}}, {"type": "session", "payload": {...}},
--              {"type": "attachment"}, ...],
--    "repairs": {"unstorable_characters": 1, "non_finite_numbers": 2}}  (only when something was repaired:
--   counted in app.ingest_repairs, and marked in the metadata._repaired of the request's events)
-- Returns one row per request: outcome {"id": <event id or null>} or {"error": {code, message,
-- details, hint, http_status[, retry_after]}}. A request whose key is wrong stores nothing; the
-- others in the batch are not affected. Events go through app.capture_batch (rate limit, scrub,
-- fingerprint, dedupe), once per project in the batch.

-- The batch as Python sends it (JSON text) → jsonb, with what PostgreSQL cannot store replaced
-- (app.json_repair). When something was repaired, each request carries its own count as
-- "repairs" {unstorable_characters, non_finite_numbers}: the latter Python counted (NaN and
-- Infinity it turned into strings) and sent as "non_finite".
CREATE OR REPLACE FUNCTION app.web_requests_clean(p_requests text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_batch record;
BEGIN
  v_batch := app.json_repair(p_requests);
  IF v_batch.unstorable > 0 THEN  -- (rare) again request by request, to know which
    RETURN (SELECT coalesce(jsonb_agg(CASE WHEN r.unstorable > 0 OR r.document ? 'non_finite'
               THEN (r.document - 'non_finite') || jsonb_build_object('repairs',
                      app.repair_marker(r.unstorable, (r.document ->> 'non_finite')::integer))
               ELSE r.document END ORDER BY r.ordinal), '[]')
              FROM app.json_repair_elements(p_requests::json) AS r);
  END IF;
  IF jsonb_path_exists(v_batch.document, '$[*].non_finite') THEN
    RETURN (SELECT jsonb_agg(CASE WHEN r.value ? 'non_finite'
               THEN (r.value - 'non_finite') || jsonb_build_object('repairs',
                      app.repair_marker(0, (r.value ->> 'non_finite')::integer))
               ELSE r.value END ORDER BY r.n)
              FROM jsonb_array_elements(v_batch.document) WITH ORDINALITY AS r (value, n));
  END IF;
  RETURN v_batch.document;
END $$;
COMMENT ON FUNCTION app.web_requests_clean(text) IS
  'pgwarden web''s ingest batch (JSON text) as jsonb, unstorable escapes replaced; repaired requests carry "repairs"';
GRANT EXECUTE ON FUNCTION app.web_requests_clean(text) TO pgwarden_web;

-- Which requests of a batch may write: the project exists and the key is its key. A project that
-- does not exist is answered exactly as one whose key is wrong (QA601, 403): the answer must not
-- tell a stranger which project ids exist.
CREATE OR REPLACE FUNCTION app.web_authenticate(p_requests jsonb)
RETURNS TABLE (request_ordinal integer, organization_id uuid, project_id bigint, error jsonb)
LANGUAGE sql STABLE AS $$
  SELECT r.n::integer, p.organization_id, p.id,
         CASE WHEN p.id IS NULL OR p.public_key IS DISTINCT FROM lower(r.value ->> 'public_key') THEN
           app.problem('QA601', 'key not accepted for the project',
             format('Project %s does not accept this key.', r.value ->> 'project_id'),
             'Use the DSN printed for the project (pgwarden project create).')
         END
    FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS r (value, n)
    LEFT JOIN app.projects p ON p.id = CASE WHEN (r.value ->> 'project_id') ~ '^\d{1,18}$'
                                            THEN (r.value ->> 'project_id')::bigint END
$$;
COMMENT ON FUNCTION app.web_authenticate(jsonb) IS 'Per request of an ingest batch: its organization and project, or QA601 (unknown project or wrong key alike)';

-- The items other than events of the authenticated requests, the shape the recorders read.
-- (PL/pgSQL: planned once per session; an aggregating SQL function is planned on every call)
CREATE OR REPLACE FUNCTION app.web_batch_items(p_requests jsonb, p_auth jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
           'request', (a.value ->> 'request_ordinal')::integer,
           'organization_id', a.value -> 'organization_id', 'project_id', a.value -> 'project_id',
           'event_id', app.event_id_text(r.value ->> 'event_id'),
           'item', i.n, 'type', i.value ->> 'type',
           'payload', CASE WHEN jsonb_typeof(i.value -> 'payload') = 'object' THEN i.value -> 'payload' END,
           -- an image attachment pgwarden web checked, and where its screenshots are served
           'screenshot', CASE WHEN jsonb_typeof(i.value -> 'screenshot') = 'object' THEN i.value -> 'screenshot' END,
           'base_url', r.value -> 'base_url')
           ORDER BY (a.value ->> 'request_ordinal')::integer, i.n), '[]')
    FROM jsonb_array_elements(p_auth) a
    JOIN LATERAL (SELECT p_requests -> ((a.value ->> 'request_ordinal')::integer - 1) AS value) r ON true
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.value -> 'items') = 'array'
                                                 THEN r.value -> 'items' ELSE '[]' END) WITH ORDINALITY AS i (value, n)
   WHERE a.value -> 'error' = 'null' AND jsonb_typeof(i.value) = 'object' AND jsonb_typeof(i.value -> 'type') = 'string'
     AND i.value ->> 'type' <> 'event');
END $$;
COMMENT ON FUNCTION app.web_batch_items(jsonb, jsonb) IS 'The non-event items of an ingest batch''s authenticated requests, tagged with request, organization and project';

CREATE OR REPLACE FUNCTION app.web_ingest(p_requests jsonb)
RETURNS TABLE (request_ordinal integer, outcome jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_auth jsonb;
  v_items jsonb;
  v_project record;
  v_captured jsonb := '[]'::jsonb;  -- [{request, event_id, group_id, error}] for this batch's events
BEGIN
  IF jsonb_typeof(p_requests) IS DISTINCT FROM 'array' THEN
    RETURN;
  END IF;
  SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.request_ordinal), '[]') INTO v_auth
    FROM app.web_authenticate(p_requests) a;
  v_items := app.web_batch_items(p_requests, v_auth);

  -- Events: one capture_batch call per project, items in request order.
  FOR v_project IN
    SELECT a.organization_id, a.project_id,
           app.sentry_events_to_captures(jsonb_agg(jsonb_build_object('payload', i.value -> 'payload',
                                                                      'event_id', r.value ->> 'event_id',
                                                                      'repairs', r.value -> 'repairs')
                                                   ORDER BY a.request_ordinal, i.n)) AS events,
           array_agg(a.request_ordinal ORDER BY a.request_ordinal, i.n) AS requests
      FROM jsonb_to_recordset(v_auth) AS a (request_ordinal integer, organization_id uuid, project_id bigint, error jsonb)
      JOIN jsonb_array_elements(p_requests) WITH ORDINALITY AS r (value, n) ON r.n = a.request_ordinal
     CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.value -> 'items') = 'array'
                                                  THEN r.value -> 'items' ELSE '[]' END) WITH ORDINALITY AS i (value, n)
     WHERE a.error IS NULL AND jsonb_typeof(i.value) = 'object' AND i.value ->> 'type' = 'event'
       AND jsonb_typeof(i.value -> 'payload') = 'object'
     GROUP BY a.organization_id, a.project_id
     ORDER BY a.project_id
  LOOP
    v_captured := v_captured || coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'request', v_project.requests[c.ordinal],
               'organization_id', v_project.organization_id,
               'event_id', c.result ->> 'event_id',
               'group_id', c.result ->> 'id',
               'error', CASE WHEN c.error IS NOT NULL THEN app.problem(c.error ->> 'code', c.error ->> 'message',
                          c.error ->> 'details', c.error ->> 'hint', (c.error ->> 'retry_after')::integer) END))
        FROM app.capture_batch(v_project.organization_id, v_project.project_id, v_project.events) c), '[]');
  END LOOP;

  IF v_items <> '[]' THEN  -- (most envelopes hold one event and nothing else: no recorder's query to start)
    PERFORM app.web_record_feedback(v_items, v_captured);
    PERFORM app.web_record_sessions(v_items);
    PERFORM app.web_record_check_ins(v_items);
    PERFORM app.web_record_client_reports(v_items);
    PERFORM app.web_record_dropped_items(v_items);
  END IF;
  IF jsonb_path_exists(p_requests, '$[*].refused') THEN  -- refused before parsing (db/functions/app/810_metrics.sql)
    PERFORM app.ingest_refusals_record(p_requests, v_auth);
  END IF;
  IF jsonb_path_exists(p_requests, '$[*].repairs') THEN
    PERFORM app.ingest_repairs_record((
      SELECT jsonb_agg(jsonb_build_object('organization_id', a.value -> 'organization_id', 'source', 'sentry',
                                          'repairs', p_requests -> ((a.value ->> 'request_ordinal')::integer - 1) -> 'repairs'))
        FROM jsonb_array_elements(v_auth) a WHERE a.value -> 'error' = 'null'));
  END IF;

  RETURN QUERY
    WITH captured AS (
      SELECT (c.value ->> 'request')::integer AS request, c.value ->> 'event_id' AS event_id,
             CASE WHEN c.value -> 'error' <> 'null' THEN c.value -> 'error' END AS error
        FROM jsonb_array_elements(v_captured) c
    ), answer AS (
      -- a rate-limited event answers 429 even if another item got through; else the first error
      SELECT DISTINCT ON (captured.request) captured.request, captured.event_id, captured.error
        FROM captured
       ORDER BY captured.request, coalesce(captured.error ->> 'code' LIKE 'QR%', false) DESC,
                (captured.error IS NOT NULL) DESC
    )
    SELECT (a.value ->> 'request_ordinal')::integer,
           CASE
             WHEN a.value -> 'error' <> 'null' THEN jsonb_build_object('error', a.value -> 'error')
             WHEN answer.error IS NOT NULL THEN jsonb_build_object('error', answer.error)
             ELSE jsonb_build_object('id', coalesce(answer.event_id,
                    app.event_id_text(p_requests -> ((a.value ->> 'request_ordinal')::integer - 1) ->> 'event_id')))
           END
      FROM jsonb_array_elements(v_auth) a
      LEFT JOIN answer ON answer.request = (a.value ->> 'request_ordinal')::integer
     ORDER BY 1;
END $$;
COMMENT ON FUNCTION app.web_ingest(jsonb) IS 'Sentry ingest for pgwarden web: a micro-batch of parsed envelopes in, one outcome per request out';
GRANT EXECUTE ON FUNCTION app.web_ingest(jsonb) TO pgwarden_web;
