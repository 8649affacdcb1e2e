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
--
-- Data moves forward only: the JSON is read once into typed values (app.web_batch_of: each request
-- an app.web_request, each item an app.web_item), the events become capture items
-- (app.sentry_events_to_captures) and what capture_batch made of them app.web_captured, which the
-- feedback recorder and the answers read; the other items go to their recorders (620_web_ingest_items.sql).

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

-- The batch read out of its JSON, once: each request with its key checked, and the items of the
-- requests that may write, in order (events, with a JSON object payload, apart from the others). A
-- project that does not exist is answered exactly as one whose key is wrong (QA601, 403): the
-- answer must not tell a stranger which project ids exist. An item that is not an object with a
-- string type is nothing to read, and an event whose payload is no object nothing to capture.
-- (PL/pgSQL: planned once per session; an aggregating SQL function is planned on every call)
CREATE OR REPLACE FUNCTION app.web_batch_of(p_requests jsonb, OUT requests app.web_request[],
                                            OUT events app.web_item[], OUT others app.web_item[])
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  WITH request AS MATERIALIZED (
    SELECT r.n::integer AS ordinal, p.organization_id, p.id AS project_id,
           CASE WHEN p.id IS NULL OR p.public_key IS DISTINCT FROM lower(r.value ->> 'public_key') THEN
             app.problem('QA601', 'key not accepted for the project',
               format('Project %s does not accept this key.', r.value ->> 'project_id'),
               'Use the DSN printed for the project (pgwarden project create).')
           END AS error,
           app.event_id_text(r.value ->> 'event_id') AS event_id, r.value -> 'repairs' AS repairs,
           r.value ->> 'refused' AS refused, r.value ->> 'base_url' AS base_url,
           CASE WHEN jsonb_typeof(r.value -> 'items') = 'array' THEN r.value -> 'items' END AS items
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_requests) = 'array' THEN p_requests ELSE '[]' END)
           WITH ORDINALITY AS r (value, n)
      LEFT JOIN app.projects p ON p.id = CASE WHEN (r.value ->> 'project_id') ~ '^\d{1,18}$'
                                              THEN (r.value ->> 'project_id')::bigint END
  ), item AS (
    SELECT ROW(q.ordinal, i.n, q.organization_id, q.project_id, q.event_id, i.value ->> 'type',
               CASE WHEN jsonb_typeof(i.value -> 'payload') = 'object' THEN i.value -> 'payload' END,
               CASE WHEN jsonb_typeof(i.value -> 'screenshot') = 'object' THEN i.value -> 'screenshot' END,
               q.base_url, q.repairs)::app.web_item AS item,
           q.ordinal AS request, i.n
      FROM request q
     CROSS JOIN LATERAL jsonb_array_elements(q.items) WITH ORDINALITY AS i (value, n)
     WHERE q.error IS NULL AND jsonb_typeof(i.value) = 'object' AND jsonb_typeof(i.value -> 'type') = 'string'
  )
  SELECT (SELECT array_agg(ROW(q.ordinal, q.organization_id, q.project_id, q.error, q.event_id, q.repairs,
                               q.refused)::app.web_request ORDER BY q.ordinal) FROM request q),
         (SELECT array_agg(i.item ORDER BY i.request, i.n) FILTER (WHERE (i.item).type = 'event' AND (i.item).payload IS NOT NULL)
            FROM item i),
         (SELECT array_agg(i.item ORDER BY i.request, i.n) FILTER (WHERE (i.item).type <> 'event') FROM item i)
    INTO requests, events, others;
END $$;
COMMENT ON FUNCTION app.web_batch_of(jsonb) IS
  'An ingest batch read once: its requests (key checked: QA601), and the event and other items of those that may write';

CREATE OR REPLACE FUNCTION app.web_ingest(p_requests jsonb)
RETURNS TABLE (request_ordinal integer, outcome jsonb)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_batch record;                              -- requests, events, others (app.web_batch_of)
  v_project record;
  v_captured app.web_captured[] := '{}'::app.web_captured[];  -- this batch's events, as captured
BEGIN
  IF jsonb_typeof(p_requests) IS DISTINCT FROM 'array' THEN
    RETURN;
  END IF;
  SELECT * INTO v_batch FROM app.web_batch_of(p_requests);

  -- Events: one capture_batch call per project (in project order), items in request order.
  FOR v_project IN
    SELECT e.organization_id, e.project_id, array_agg(e ORDER BY e.request, e.item) AS events
      FROM unnest(v_batch.events) e
     GROUP BY e.organization_id, e.project_id
     ORDER BY e.project_id
  LOOP
    v_captured := v_captured || ARRAY(
      SELECT ROW(v_project.events[c.ordinal].request, v_project.organization_id, c.result ->> 'event_id',
                 (c.result ->> 'id')::uuid,
                 CASE WHEN c.error IS NOT NULL THEN app.problem(c.error ->> 'code', c.error ->> 'message',
                   c.error ->> 'details', c.error ->> 'hint', (c.error ->> 'retry_after')::integer) END)::app.web_captured
        FROM app.capture_batch(v_project.organization_id, v_project.project_id,
                               app.sentry_events_to_captures(v_project.events)) c);
  END LOOP;

  IF v_batch.others IS NOT NULL THEN  -- (most envelopes hold one event and nothing else: no recorder's query to start)
    PERFORM app.web_record_feedback(v_batch.others, v_captured);
    PERFORM app.web_record_sessions(v_batch.others);
    PERFORM app.web_record_check_ins(v_batch.others);
    PERFORM app.web_record_client_reports(v_batch.others);
    PERFORM app.web_record_dropped_items(v_batch.others);
  END IF;
  IF EXISTS (SELECT FROM unnest(v_batch.requests) r WHERE r.refused IS NOT NULL) THEN
    PERFORM app.ingest_refusals_record(v_batch.requests);  -- refused before parsing (db/functions/app/810_metrics.sql)
  END IF;
  IF EXISTS (SELECT FROM unnest(v_batch.requests) r WHERE r.repairs IS NOT NULL) THEN
    PERFORM app.ingest_repairs_record((
      SELECT jsonb_agg(jsonb_build_object('organization_id', r.organization_id, 'source', 'sentry', 'repairs', r.repairs))
        FROM unnest(v_batch.requests) r WHERE r.error IS NULL AND r.repairs IS NOT NULL));
  END IF;

  RETURN QUERY
    WITH answer AS (
      -- a rate-limited event answers 429 even if another item got through; else the first error
      SELECT DISTINCT ON (c.request) c.request, c.event_id, c.error
        FROM unnest(v_captured) c
       ORDER BY c.request, coalesce(c.error ->> 'code' LIKE 'QR%', false) DESC, (c.error IS NOT NULL) DESC
    )
    SELECT r.ordinal,
           CASE
             WHEN r.error IS NOT NULL THEN jsonb_build_object('error', r.error)
             WHEN answer.error IS NOT NULL THEN jsonb_build_object('error', answer.error)
             ELSE jsonb_build_object('id', coalesce(answer.event_id, r.event_id))
           END
      FROM unnest(v_batch.requests) r
      LEFT JOIN answer ON answer.request = r.ordinal
     ORDER BY r.ordinal;
END $$;
COMMENT ON FUNCTION app.web_ingest(jsonb) IS 'Sentry ingest for pgwarden web: a micro-batch of parsed envelopes in, one outcome per request out';
GRANT EXECUTE ON FUNCTION app.web_ingest(jsonb) TO pgwarden_web;

DROP FUNCTION IF EXISTS app.web_authenticate(jsonb);  -- (now part of app.web_batch_of)
DROP FUNCTION IF EXISTS app.web_batch_items(jsonb, jsonb);  -- (now part of app.web_batch_of)
