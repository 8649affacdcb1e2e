-- app.capture_batch: the core every capture path calls (api.capture_errors, the Sentry
-- endpoint; app.capture_one, api.capture_error's, for all but the plainest event). Lock order
-- inside one call, the same for every caller, so concurrent batches cannot deadlock:
-- rate-limit row → client event ids (by id) → error groups (by organization, hash; in the
-- statement trigger) → metrics rows (by organization, minute, hash) → jobs.

-- == Who is capturing ==

-- anon and system_admin name the project (and so the organization) with the X-Pgwarden-Key
-- header; staff and org_owner capture for the organization of their token (a key, if they send
-- one, must belong to it). Returns a problem object instead of raising, for the api wrappers.
CREATE OR REPLACE FUNCTION app.capture_caller(OUT organization_id uuid, OUT project_id bigint, OUT problem jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_role text := coalesce(app.jwt_claim('role'), 'anon');
  v_key text := lower(nullif(btrim(nullif(current_setting('request.headers', true), '')::json ->> 'x-pgwarden-key'), ''));
  v_token_org uuid := app.current_org_id();
BEGIN
  IF v_key IS NOT NULL THEN
    SELECT p.organization_id, p.id INTO capture_caller.organization_id, capture_caller.project_id
      FROM app.projects p WHERE p.public_key = v_key;
    IF NOT FOUND THEN
      problem := app._capture_problem('QAI01', 'X-Pgwarden-Key', 'unknown project key',
                                      'Use the public key of a project (pgwarden project create).');
      RETURN;
    END IF;
  END IF;
  IF v_role IN ('staff', 'org_owner') THEN
    IF v_token_org IS NULL OR (v_key IS NOT NULL AND capture_caller.organization_id <> v_token_org)
       OR NOT EXISTS (SELECT FROM app.organizations o WHERE o.id = v_token_org) THEN
      problem := app._capture_problem('QAI02', 'X-Pgwarden-Key', 'this token may not capture for that organization',
                                      'Use a token with org_id of the organization, or its project key.');
      RETURN;
    END IF;
    organization_id := v_token_org;
    RETURN;
  END IF;
  IF v_key IS NULL THEN
    problem := app._capture_problem('QAI01', 'X-Pgwarden-Key', 'project key missing',
                                    'Send the project''s public key in the X-Pgwarden-Key header.');
  END IF;
END $$;
COMMENT ON FUNCTION app.capture_caller() IS
  'The organization and project a capture request is for (project key header or org token), or a QAI problem';
GRANT EXECUTE ON FUNCTION app.capture_caller() TO anon, staff, org_owner, system_admin;

-- == Answers ==

CREATE OR REPLACE FUNCTION app._capture_rate_limited(p_per_minute integer, p_retry_after integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('code', 'QR001', 'message', 'rate limit exceeded',
    'details', format('This organization may capture %s errors per minute.', p_per_minute),
    'hint', format('Retry after %s seconds, or ask an admin to raise the limit.', p_retry_after),
    'retry_after', p_retry_after)
$$;
COMMENT ON FUNCTION app._capture_rate_limited(integer, integer) IS 'The QR001 error object of an event over the rate limit';

-- What the statement trigger did to an event's group (db/triggers/350_events.sql), as answered.
CREATE OR REPLACE FUNCTION app._capture_stored(p_outcome jsonb, p_event_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_outcome IS NOT NULL THEN
    jsonb_build_object('id', p_outcome -> 'id', 'error_hash', p_outcome -> 'error_hash',
                       'occurrence_count', p_outcome -> 'occurrence_count', 'status', p_outcome -> 'status',
                       'is_new', p_outcome -> 'is_new', 'is_regression', p_outcome -> 'is_regression',
                       'event_id', app.event_id_text(p_event_id::text))
  END
$$;
COMMENT ON FUNCTION app._capture_stored(jsonb, uuid) IS 'The answer for a stored event: its group as this capture left it';

-- == The batch ==

-- Generic plans for every statement inside (the trigger's too): with 'auto', PL/pgSQL re-plans a
-- statement on every call while a custom plan looks cheaper than the generic one, as it always
-- does for a single event (~0.3 ms of planning per capture). Every join here is safe under the
-- generic plan's row estimates (none is a nested loop over two function scans).
CREATE OR REPLACE FUNCTION app.capture_batch(p_organization_id uuid, p_project_id bigint, p_events jsonb)
RETURNS TABLE (ordinal integer, result jsonb, error jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_items app.capture_item[];     -- every event, parsed (error set when invalid)
  v_ready app.capture_item[];     -- accepted events, scrubbed and fingerprinted
  v_valid integer;
  v_accepted integer;
  v_retry_after integer;
  v_per_minute integer;
  v_last_accepted integer;        -- ordinal of the last event inside the rate limit
  v_last_valid integer;
  v_client_ids boolean;           -- some event came with its own event_id
  v_client_events integer;        -- valid events that came with their own event_id
  v_fresh_ids uuid[];             -- client event ids seen for the first time
  v_repeated integer[];           -- ordinals of accepted events not stored: their event id was (few)
  v_outcomes jsonb;               -- {error_hash: what the statement trigger did to the group}
  v_grouping record;              -- what grouping needs besides hashing (app.grouping_needs)
  v_variables boolean;            -- some event's fingerprint has variables to fill in
  v_sync text;                    -- (set_config's answer, unused)
BEGIN
  IF p_organization_id IS NULL OR NOT EXISTS (SELECT FROM app.organizations o WHERE o.id = p_organization_id) THEN
    RAISE EXCEPTION 'organization % not found', p_organization_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: organization_id.', HINT = 'Capture for an existing organization.';
  END IF;
  IF jsonb_typeof(p_events) IS DISTINCT FROM 'array' OR jsonb_array_length(p_events) > 1000 THEN
    RAISE EXCEPTION 'events must be a JSON array of at most 1000 events' USING ERRCODE = 'QV001',
      DETAIL = 'Field: events.', HINT = 'Send a JSON array; split larger batches.';
  END IF;

  -- By default an accepted error is acknowledged before its commit reaches the disk: a crash can
  -- lose the last fraction of a second of events (never corrupt anything), and a hot group's row
  -- lock is not held through an fsync. PGWARDEN_INGEST_SYNC=on waits (app.ingest_sync).
  -- (statements cost their executor's start-up on every call, an expression does not: assigned)
  v_sync := set_config('synchronous_commit', app.ingest_sync(), true);
  v_items := app.capture_parse(p_events);

  -- rate limit: the first events (by position) inside the organization's budget are accepted
  SELECT c.valid, c.last_valid, c.client_ids, c.client_events, c.variables, t.accepted, t.retry_after_seconds, t.per_minute
    INTO v_valid, v_last_valid, v_client_ids, v_client_events, v_variables, v_accepted, v_retry_after, v_per_minute
    FROM (SELECT count(*) FILTER (WHERE i.error IS NULL) AS valid, max(i.ordinal) FILTER (WHERE i.error IS NULL) AS last_valid,
                 coalesce(bool_or(i.client_event_id), false) AS client_ids,
                 count(*) FILTER (WHERE i.error IS NULL AND i.client_event_id) AS client_events,
                 coalesce(bool_or(app.fingerprint_has_variables(i.fingerprint)), false) AS variables
            FROM unnest(v_items) AS i) AS c
   CROSS JOIN LATERAL app.rate_limit_take(p_organization_id, c.valid::integer) AS t;
  IF v_accepted = 0 THEN
    v_last_accepted := 0;
  ELSIF v_accepted = v_valid THEN
    v_last_accepted := v_last_valid;
  ELSE
    v_last_accepted := (SELECT i.ordinal FROM unnest(v_items) AS i WHERE i.error IS NULL
                         ORDER BY i.ordinal OFFSET v_accepted - 1 LIMIT 1);
  END IF;

  IF v_accepted > 0 THEN
    IF v_accepted = cardinality(v_items) THEN  -- every event (the usual case: no query to start)
      v_ready := v_items;
    ELSE
      v_ready := ARRAY(SELECT i FROM unnest(v_items) AS i WHERE i.error IS NULL AND i.ordinal <= v_last_accepted);
    END IF;
    v_grouping := app.grouping_needs(p_organization_id, p_project_id);
    IF v_grouping.fingerprint_rules OR v_variables THEN
      v_ready := app.fingerprint_rules_apply(p_organization_id, p_project_id, v_ready, v_grouping.fingerprint_rules);
    END IF;
    v_ready := app.personal_data_enrich(p_organization_id, v_ready);
    IF v_grouping.resolve THEN  -- merged hashes, a grouping upgrade in transition
      v_ready := app.grouping_resolve(p_organization_id, v_ready);
    END IF;

    -- a client event id already stored (or repeated in this batch) is not stored again
    v_repeated := '{}';
    IF v_client_ids THEN
      WITH fresh AS (
        INSERT INTO app.error_event_ids AS x (organization_id, event_id, error_hash)
        SELECT DISTINCT ON (r.event_id) p_organization_id, r.event_id, r.error_hash
          FROM unnest(v_ready) AS r WHERE r.client_event_id
         ORDER BY r.event_id, r.ordinal
        ON CONFLICT DO NOTHING
        RETURNING x.event_id)
      SELECT coalesce(array_agg(f.event_id), '{}') INTO v_fresh_ids FROM fresh AS f;
      -- (the repeats, not the stored ones: 'ordinal = ANY (array)' is a linear search per event).
      -- None when every valid event's client id was stored now, the usual case: then no query to
      -- start (a rate-limited batch counts fewer stored ids than valid events, and runs it).
      IF cardinality(v_fresh_ids) < v_client_events THEN
        v_repeated := ARRAY(SELECT r.ordinal FROM unnest(v_ready) AS r WHERE r.client_event_id
                            EXCEPT
                            SELECT min(r.ordinal) FROM unnest(v_ready) AS r JOIN unnest(v_fresh_ids) AS f (event_id)
                                ON f.event_id = r.event_id
                             WHERE r.client_event_id GROUP BY r.event_id);
      END IF;
    END IF;

    PERFORM set_config('pgwarden.capture_outcomes', '[]', true);
    IF cardinality(v_ready) > cardinality(v_repeated) THEN
      INSERT INTO app.error_events (organization_id, error_hash, event_id, project_id, occurred_at, error_type, severity,
                                    message, message_template, stack_trace, frames, fingerprint, component, file_path,
                                    line_number, column_number, url, user_agent, browser, os, device_type, user_id,
                                    metadata, request_id, session_id, exceptions, grouping_hash)
      SELECT p_organization_id, r.error_hash, r.event_id, p_project_id, r.occurred_at, r.error_type, r.severity,
             r.message, r.message_template, r.stack_trace, r.frames, r.fingerprint, r.component, r.file_path,
             r.line_number, r.column_number, r.url, r.user_agent, r.browser, r.os, r.device_type, r.user_id,
             r.metadata, r.request_id, r.session_id, r.exceptions, r.grouping_hash
        FROM unnest(v_ready) AS r WHERE NOT r.ordinal = ANY (v_repeated);
    END IF;
    -- what the statement trigger did to each group (db/triggers/350_events.sql), by error_hash:
    -- each event looks its group up (a join of two function scans can be planned as a nested loop
    -- by the generic plan, ~70 µs an event for 500 groups)
    v_outcomes := (SELECT jsonb_object_agg(o.value ->> 'error_hash', o.value)
                     FROM jsonb_array_elements(current_setting('pgwarden.capture_outcomes')::jsonb) AS o
                    WHERE o.value ->> 'organization_id' = p_organization_id::text);
  END IF;

  RETURN QUERY
  SELECT a.ordinal, a.result,
         CASE WHEN a.result IS NULL THEN
           coalesce(a.error, app._capture_rate_limited(v_per_minute, v_retry_after))
         END
    FROM (
      -- invalid, or past the rate limit
      SELECT i.ordinal, NULL::jsonb AS result, i.error FROM unnest(v_items) AS i
       WHERE i.error IS NOT NULL OR i.ordinal > v_last_accepted
      UNION ALL
      -- stored: the group as this capture left it
      SELECT r.ordinal, app._capture_stored(g.outcome, r.event_id), NULL
        FROM unnest(v_ready) AS r
       CROSS JOIN LATERAL (SELECT v_outcomes -> r.error_hash AS outcome OFFSET 0) AS g
       WHERE NOT r.ordinal = ANY (v_repeated)
      UNION ALL
      -- duplicates report the group their first copy went to, as it is now
      SELECT r.ordinal,
             app._capture_stored(jsonb_build_object('id', s.id, 'error_hash', s.error_hash,
                                                    'occurrence_count', s.occurrence_count, 'status', s.status,
                                                    'is_new', false, 'is_regression', false), r.event_id),
             NULL
        FROM unnest(v_ready) AS r
        LEFT JOIN app.error_event_ids AS x ON x.organization_id = p_organization_id AND x.event_id = r.event_id
        LEFT JOIN app.system_errors AS s ON s.organization_id = p_organization_id AND s.error_hash = x.error_hash
       WHERE r.ordinal = ANY (v_repeated)) AS a
   ORDER BY a.ordinal;
END $$;
COMMENT ON FUNCTION app.capture_batch(uuid, bigint, jsonb) IS
  'Capture a JSON array of events for an organization: one row per event with its group (result) or why it was refused (error)';
GRANT EXECUTE ON FUNCTION app.capture_batch(uuid, bigint, jsonb) TO pgwarden_worker;

-- == One event ==

-- The single capture (api.capture_error). A plainly valid event (app._capture_plainly_valid: no
-- client event id, timestamp, fingerprint or frames) takes the steps of app.capture_batch as a
-- few statements, a fraction of starting its queries for one row; any other event goes through
-- app.capture_batch. The same building blocks, answers and lock order, and the same rows and
-- answers (tests/sql/ingest/345_capture_one.test.sql). Kept because measured: as a batch of one a
-- single capture costs the database ~30% more CPU (1,330 → 1,730 µs per capture, 3 alternating
-- runs of 400 on the loaded 2-core machine; PostgREST single captures reach ~1,500/s, the goal).
CREATE OR REPLACE FUNCTION app.capture_one(p_organization_id uuid, p_project_id bigint, p_event jsonb,
                                           OUT result jsonb, OUT error jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_take record;
  v_grouping record;
  v_item app.capture_item;
  v_outcome jsonb;
  v_setting text;
BEGIN
  -- (two tests: a condition with a subquery is a query, the first is an expression)
  IF NOT app._capture_plainly_valid(p_event) THEN
    SELECT b.result, b.error INTO result, error
      FROM app.capture_batch(p_organization_id, p_project_id, jsonb_build_array(p_event)) AS b;
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT FROM app.organizations o WHERE o.id = p_organization_id) THEN
    PERFORM app.capture_batch(p_organization_id, p_project_id, jsonb_build_array(p_event));  -- raises QN001
  END IF;
  v_take := app.rate_limit_take(p_organization_id, 1);  -- (an expression: starts no query)
  IF v_take.accepted = 0 THEN
    error := app._capture_rate_limited(v_take.per_minute, v_take.retry_after_seconds);
    RETURN;
  END IF;
  v_setting := set_config('synchronous_commit', app.ingest_sync(), true);  -- as in app.capture_batch (PERFORM would run a query)
  v_item := app.capture_item_of(p_event, 1, NULL);
  v_grouping := app.grouping_needs(p_organization_id, p_project_id);
  IF v_grouping.fingerprint_rules THEN
    v_item := (app.fingerprint_rules_apply(p_organization_id, p_project_id, ARRAY[v_item], true))[1];
  END IF;
  v_item := app.personal_data_enrich_one(p_organization_id, v_item);
  IF v_grouping.resolve THEN
    v_item := (app.grouping_resolve(p_organization_id, ARRAY[v_item]))[1];
  END IF;
  INSERT INTO app.error_events (organization_id, error_hash, event_id, project_id, occurred_at, error_type, severity,
                                message, message_template, stack_trace, frames, fingerprint, component, file_path,
                                line_number, column_number, url, user_agent, browser, os, device_type, user_id,
                                metadata, request_id, session_id, exceptions, grouping_hash)
  VALUES (p_organization_id, v_item.error_hash, v_item.event_id, p_project_id, v_item.occurred_at, v_item.error_type,
          v_item.severity, v_item.message, v_item.message_template, v_item.stack_trace, v_item.frames,
          v_item.fingerprint, v_item.component, v_item.file_path, v_item.line_number, v_item.column_number,
          v_item.url, v_item.user_agent, v_item.browser, v_item.os, v_item.device_type, v_item.user_id,
          v_item.metadata, v_item.request_id, v_item.session_id, v_item.exceptions, v_item.grouping_hash);
  -- (the outcome in a variable first: with a plain argument _capture_stored is inlined)
  v_outcome := current_setting('pgwarden.capture_outcomes')::jsonb -> 0;
  result := app._capture_stored(v_outcome, v_item.event_id);
END $$;
COMMENT ON FUNCTION app.capture_one(uuid, bigint, jsonb) IS
  'Capture one event (a JSON object) for an organization: its group (result) or why it was refused (error)';
GRANT EXECUTE ON FUNCTION app.capture_one(uuid, bigint, jsonb) TO pgwarden_worker;
