-- When probes run: the per-minute scheduler (pg_cron), on-demand runs (system-health-check),
-- push heartbeats, and the way a finished health.probe job's result comes back.

CREATE OR REPLACE FUNCTION app.health_overall_status(p_statuses app.health_status_enum[])
RETURNS app.health_status_enum
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN 'unhealthy' = ANY (p_statuses) THEN 'unhealthy'
              WHEN 'degraded' = ANY (p_statuses) THEN 'degraded'
              WHEN 'healthy' = ANY (p_statuses) THEN 'healthy'
              ELSE 'unknown' END::app.health_status_enum
$$;
COMMENT ON FUNCTION app.health_overall_status(app.health_status_enum[])
  IS 'Worst known status (unhealthy > degraded > healthy); unknown only when nothing is known';

-- Slots are epoch-aligned with a per-monitor phase, so monitors sharing an interval spread over it.
CREATE OR REPLACE FUNCTION app._health_first_slot(p_monitor_id bigint, p_interval_seconds integer, p_at timestamptz)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
  WITH phase AS (SELECT (abs(hashint8(p_monitor_id)::bigint) % (p_interval_seconds * 1000)) / 1000.0 AS seconds)
  SELECT to_timestamp((ceil((extract(epoch FROM p_at) - phase.seconds) / p_interval_seconds) * p_interval_seconds
                       + phase.seconds)::double precision)
    FROM phase
$$;
COMMENT ON FUNCTION app._health_first_slot(bigint, integer, timestamptz) IS 'The monitor''s first probe slot at or after a time';

-- (app._health_heartbeat_observation, what a push monitor looks like at a time, lives with its
-- hour-of-week baseline in 515_health_heartbeat_baseline.sql)

-- == Scheduling (pg_cron, every minute) ==

-- Enqueues every probe slot falling before the next tick (run_at = the slot, so the worker keeps
-- sub-minute timing), one job per monitor and slot (idempotency key). A monitor whose last probe
-- is overdue and still unanswered is left alone until it answers or probe_grace_seconds pass.
-- Push monitors are judged here, in SQL. A monitor that is new, re-enabled or more than an
-- interval behind goes on from its next slot (checked once at once if none comes this minute);
-- slots it fell behind by are missed, not caught up.
CREATE OR REPLACE FUNCTION app.health_enqueue_due(p_now timestamptz DEFAULT now()) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_horizon timestamptz := p_now + interval '1 minute';
  v_grace interval := make_interval(secs => coalesce(app.health_setting_number('probe_grace_seconds'), 60));
  v_monitor record;
  v_every interval;
  v_next timestamptz;
  v_slots timestamptz[];
  v_slot timestamptz;
  v_payload jsonb;
  v_problem text;
  v_enqueued integer := 0;
BEGIN
  FOR v_monitor IN
    SELECT m.id, m.probe, m.interval_seconds, s.next_slot_at
      FROM app.health_monitors m JOIN app.health_monitor_state s ON s.monitor_id = m.id
     WHERE m.enabled
       AND NOT coalesce(s.pending_slot_at + make_interval(secs => m.timeout_seconds) < p_now
                        AND s.pending_slot_at + make_interval(secs => m.timeout_seconds) + v_grace > p_now, false)
     ORDER BY m.id
       FOR UPDATE OF s SKIP LOCKED
  LOOP
    v_every := make_interval(secs => v_monitor.interval_seconds);
    v_next := v_monitor.next_slot_at;
    IF v_next IS NULL OR v_next < p_now - v_every THEN
      v_next := app._health_first_slot(v_monitor.id, v_monitor.interval_seconds, p_now);
      -- new, re-enabled or fallen behind: when no slot comes this minute, check once now
      v_slots := CASE WHEN v_next >= v_horizon THEN ARRAY[p_now] ELSE '{}' END;
    ELSE
      v_slots := '{}';
    END IF;
    WHILE v_next < v_horizon LOOP
      v_slots := v_slots || v_next;
      v_next := v_next + v_every;
    END LOOP;
    CONTINUE WHEN cardinality(v_slots) = 0;

    IF v_monitor.probe = 'heartbeat' THEN
      -- judged here once per due slot, up to a minute early
      PERFORM app.health_record_observation(v_monitor.id, app._health_heartbeat_observation(v_monitor.id, p_now),
                                            p_now, v_slots[cardinality(v_slots)]);
      v_slots := '{}';
    END IF;
    IF cardinality(v_slots) > 0 THEN
      -- built once; each slot's job differs only in when it is for
      SELECT p.payload, p.problem INTO v_payload, v_problem
        FROM app.health_probe_payload(v_monitor.id, v_slots[1], v_slots[1] + greatest(v_every, interval '1 minute')) p;
      IF v_problem IS NOT NULL THEN
        -- nothing a worker could run: the probe cannot run, so the verdict is unknown
        PERFORM app.health_record_observation(v_monitor.id, jsonb_build_object('probe_error', v_problem), p_now,
                                              v_slots[1]);
        v_slots := '{}';
      END IF;
    END IF;
    FOREACH v_slot IN ARRAY v_slots LOOP
      PERFORM app.job_enqueue('health.probe',
                              v_payload || jsonb_build_object('scheduled_for', v_slot,
                                                              'expires_at', v_slot + greatest(v_every, interval '1 minute')),
                              format('health.probe:%s:%s', v_monitor.id, extract(epoch FROM v_slot)), v_slot, 0, 2);
      v_enqueued := v_enqueued + 1;
    END LOOP;
    UPDATE app.health_monitor_state
       SET next_slot_at = v_next, pending_slot_at = coalesce(v_slots[cardinality(v_slots)], pending_slot_at)
     WHERE monitor_id = v_monitor.id;
  END LOOP;
  RETURN v_enqueued;
END $$;
COMMENT ON FUNCTION app.health_enqueue_due(timestamptz)
  IS 'pg_cron each minute: enqueue the probe slots due before the next tick and judge push monitors; returns jobs enqueued';

-- == On demand (POST /functions/v1/system-health-check, pgwarden health run) ==

-- One on-demand run from this minute's budget (run_now_per_minute), or the QR501 refusal (with
-- retry_after) when it is spent. Concurrent runs take turns on the minute's row, as captures do on
-- app.rate_limit_usage; the first run of a minute deletes the rows older than an hour.
CREATE OR REPLACE FUNCTION app._health_run_take(p_at timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_minute timestamptz := date_trunc('minute', p_at);
  v_limit integer := coalesce(app.health_setting_number('run_now_per_minute'), 30);
  v_new integer;
  v_runs integer;
BEGIN
  INSERT INTO app.health_run_usage (minute) VALUES (v_minute) ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_new = ROW_COUNT;
  IF v_new > 0 THEN
    DELETE FROM app.health_run_usage u WHERE u.minute < v_minute - interval '1 hour';
  END IF;
  SELECT u.runs INTO v_runs FROM app.health_run_usage u WHERE u.minute = v_minute FOR UPDATE;
  IF v_runs < v_limit THEN
    UPDATE app.health_run_usage u SET runs = u.runs + 1 WHERE u.minute = v_minute;
    RETURN NULL;
  END IF;
  UPDATE app.health_run_usage u SET refused = u.refused + 1 WHERE u.minute = v_minute;
  RETURN app.problem('QR501', 'too many health checks',
    format('At most %s on-demand health checks are answered a minute.', v_limit),
    'Retry after Retry-After seconds; get_health_summary and the status page show the latest results.',
    greatest(1, ceil(extract(epoch FROM v_minute + interval '1 minute' - p_at))::integer));
END $$;
COMMENT ON FUNCTION app._health_run_take(timestamptz) IS
  'Count one on-demand health check against run_now_per_minute; NULL when within it, else the QR501 error (retry_after)';

-- Runs the named platform-wide services now (all enabled ones when NULL): push monitors are judged
-- at once, probes are enqueued ahead of scheduled ones. The caller then polls health_run_results
-- (or LISTENs on health:observation) for at most wait_seconds. The endpoint needs no login, so
-- requests coalesce: within one run_now_coalesce_seconds bucket (default 10) a monitor is probed
-- once and every request in the bucket shares that result; and at most run_now_per_minute
-- requests (default 30, all callers together) are answered a minute: the others get
-- {"error": QR501 with retry_after} (answered, not raised, so the refusal stays counted in
-- app.health_run_usage). With p_enqueue false the probe payloads are returned instead (key
-- payloads), for a caller that runs them itself (pgwarden health run) and hands each result to
-- app.health_on_probe_result; that is not capped.
CREATE OR REPLACE FUNCTION app.health_run_now(p_services text[] DEFAULT NULL, p_enqueue boolean DEFAULT true)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_run_id text := gen_random_uuid()::text;
  v_coalesce numeric := greatest(coalesce(app.health_setting_number('run_now_coalesce_seconds'), 10), 1);
  v_since timestamptz := CASE WHEN p_enqueue
                              THEN to_timestamp(floor(extract(epoch FROM now()) / v_coalesce) * v_coalesce)
                              ELSE now() END;
  v_services text[];
  v_max_wait numeric := coalesce(app.health_setting_number('run_now_max_wait_seconds'), 30);
  v_wait numeric := 0;
  v_monitor app.health_monitors;
  v_payload jsonb;
  v_payloads jsonb := '[]'::jsonb;
  v_problem text;
  v_refusal jsonb;
BEGIN
  IF cardinality(p_services) > 50 OR EXISTS (SELECT FROM unnest(p_services) AS n WHERE coalesce(length(n), 0) NOT BETWEEN 1 AND 100) THEN
    RAISE EXCEPTION 'checks must be a list of service names' USING ERRCODE = 'QV501',
      DETAIL = 'At most 50 names of 1 to 100 characters.', HINT = 'E.g. ["api", "database"].';
  END IF;
  IF p_enqueue THEN
    v_refusal := app._health_run_take();
    IF v_refusal IS NOT NULL THEN
      RETURN jsonb_build_object('error', v_refusal);
    END IF;
  END IF;
  v_services := coalesce(p_services, ARRAY(
    SELECT m.service_name::text FROM app.health_monitors m WHERE m.organization_id IS NULL AND m.enabled ORDER BY m.id));
  FOR v_monitor IN
    SELECT m.* FROM app.health_monitors m
     WHERE m.organization_id IS NULL AND m.enabled AND m.service_name = ANY (v_services)
     ORDER BY m.id
  LOOP
    IF p_enqueue AND EXISTS (SELECT FROM app.health_checks c
                              WHERE c.monitor_id = v_monitor.id AND c.checked_at >= v_since AND c.details ? 'run_id') THEN
      CONTINUE;  -- already answered in this bucket
    END IF;
    IF v_monitor.probe = 'heartbeat' THEN
      PERFORM app.health_record_observation(v_monitor.id, app._health_heartbeat_observation(v_monitor.id, now()),
                                            now(), NULL, v_run_id);
      CONTINUE;
    END IF;
    SELECT p.payload, p.problem INTO v_payload, v_problem
      FROM app.health_probe_payload(v_monitor.id, now(), now() + make_interval(secs => v_max_wait), v_run_id) p;
    IF v_problem IS NOT NULL THEN
      PERFORM app.health_record_observation(v_monitor.id, jsonb_build_object('probe_error', v_problem),
                                            now(), NULL, v_run_id);
      CONTINUE;
    END IF;
    IF p_enqueue THEN
      PERFORM app.job_enqueue('health.probe', v_payload,
                              format('health.run:%s:%s', v_monitor.id, extract(epoch FROM v_since)),
                              now(), -10, 1);  -- smaller runs first: ahead of scheduled probes (0)
    ELSE
      v_payloads := v_payloads || jsonb_build_array(v_payload);
    END IF;
    v_wait := greatest(v_wait, v_monitor.timeout_seconds + 2);
  END LOOP;
  RETURN jsonb_build_object('run_id', v_run_id, 'services', to_jsonb(v_services), 'since', v_since,
                            'wait_seconds', least(v_wait, v_max_wait))
         || CASE WHEN p_enqueue THEN '{}'::jsonb ELSE jsonb_build_object('payloads', v_payloads) END;
END $$;
COMMENT ON FUNCTION app.health_run_now(text[], boolean)
  IS 'Probe these platform-wide services now; returns run_id, services, since and how long to wait (or the payloads), or {error} over the per-minute cap';
GRANT EXECUTE ON FUNCTION app.health_run_now(text[], boolean) TO pgwarden_web;

-- The spec's response for a run: one result per requested service, in order: the latest
-- on-demand check since p_since (the run's own first; runs in one bucket share results). A
-- service without a result (yet) is unknown (with error "not monitored" or "disabled" when it
-- will get none). complete is true once every monitored service has answered.
CREATE OR REPLACE FUNCTION app.health_run_results(p_run_id text, p_services text[], p_since timestamptz)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  WITH requested AS (
    SELECT r.name, r.position, m.id AS monitor_id, coalesce(m.enabled, false) AS monitored,
           CASE WHEN m.id IS NULL THEN 'not monitored' WHEN NOT m.enabled THEN 'disabled' END AS problem
      FROM unnest(p_services) WITH ORDINALITY AS r (name, position)
      LEFT JOIN app.health_monitors m ON m.service_name = r.name AND m.organization_id IS NULL
  ), answered AS (
    SELECT q.*, c.status, c.response_time_ms, c.error_message
      FROM requested q
      LEFT JOIN LATERAL (
        SELECT c.status, c.response_time_ms, c.error_message FROM app.health_checks c
         WHERE c.monitor_id = q.monitor_id AND c.checked_at >= p_since - interval '5 seconds'
           AND c.details ? 'run_id'
         ORDER BY c.details ->> 'run_id' = p_run_id DESC, c.checked_at DESC LIMIT 1) c ON true
  )
  SELECT jsonb_build_object(
    'results', coalesce(jsonb_agg(
        jsonb_build_object('service', a.name, 'status', coalesce(a.status, 'unknown'), 'responseTime', a.response_time_ms)
        -- the reason of a failure: why it was not probed, else what the probe saw
        || CASE WHEN coalesce(a.problem, a.error_message) IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('error', coalesce(a.problem, a.error_message)) END
      ORDER BY a.position), '[]'::jsonb),
    'overallStatus', app.health_overall_status(array_agg(coalesce(a.status, 'unknown'))),
    'complete', coalesce(bool_and(a.status IS NOT NULL OR NOT a.monitored), true))
  FROM answered a
$$;
COMMENT ON FUNCTION app.health_run_results(text, text[], timestamptz)
  IS 'The system-health-check response for a run: results (service, status, responseTime), overallStatus, complete';
GRANT EXECUTE ON FUNCTION app.health_run_results(text, text[], timestamptz) TO pgwarden_web;

-- == Push: heartbeats ==

-- A heartbeat keeps a push monitor healthy; while the monitor is not (yet) healthy each one is
-- also recorded as a healthy observation, so recovery needs success_threshold heartbeats, not
-- success_threshold intervals.
CREATE OR REPLACE FUNCTION app.health_heartbeat(p_token text, p_at timestamptz DEFAULT now()) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_monitor app.health_monitors;
  v_state app.health_monitor_state;
BEGIN
  SELECT * INTO v_monitor FROM app.health_monitors m WHERE m.heartbeat_token = p_token;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'heartbeat token not found' USING ERRCODE = 'QN502',
      DETAIL = 'No push monitor has this token.', HINT = 'Copy the token from pgwarden health list.';
  END IF;
  UPDATE app.health_monitor_state  -- (every monitor has its state row: db/triggers/500_health.sql)
     SET last_heartbeat_at = greatest(last_heartbeat_at, p_at)
   WHERE monitor_id = v_monitor.id
  RETURNING * INTO v_state;
  IF v_monitor.enabled AND (v_state.status <> 'healthy' OR v_state.last_status IS DISTINCT FROM 'healthy') THEN
    PERFORM app.health_record_observation(v_monitor.id, app._health_heartbeat_observation(v_monitor.id, p_at), p_at);
    SELECT * INTO STRICT v_state FROM app.health_monitor_state s WHERE s.monitor_id = v_monitor.id;
  END IF;
  RETURN jsonb_build_object('service', v_monitor.service_name, 'receivedAt', p_at, 'status', v_state.status);
END $$;
COMMENT ON FUNCTION app.health_heartbeat(text, timestamptz) IS 'Record a heartbeat for the push monitor owning a token (QN502 for an unknown token)';
GRANT EXECUTE ON FUNCTION app.health_heartbeat(text, timestamptz) TO pgwarden_web;

-- (app.health_heartbeat_service, a heartbeat by service name, had no caller: retired)
DROP FUNCTION IF EXISTS app.health_heartbeat_service(text, uuid);

-- == Results of health.probe jobs ==

-- The job runner completes a health.probe job with the handler's result:
--   {"monitor_id", "observation", "started_at", "scheduled_for", "run_id"}
-- or, for a job that ran after its expires_at, {"monitor_id", "skipped", "scheduled_for"}.
CREATE OR REPLACE FUNCTION app.health_on_probe_result(p_result jsonb) RETURNS app.health_status_enum
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_monitor_id bigint := (p_result ->> 'monitor_id')::bigint;
  v_scheduled_for timestamptz := (p_result ->> 'scheduled_for')::timestamptz;
BEGIN
  IF NOT EXISTS (SELECT FROM app.health_monitors m WHERE m.id = v_monitor_id) THEN
    RETURN NULL;  -- deleted while its probe ran
  END IF;
  IF jsonb_typeof(p_result -> 'observation') IS DISTINCT FROM 'object' THEN
    UPDATE app.health_monitor_state SET pending_slot_at = NULL
     WHERE monitor_id = v_monitor_id AND pending_slot_at <= v_scheduled_for;
    RETURN NULL;
  END IF;
  RETURN app.health_record_observation(v_monitor_id, p_result -> 'observation',
                                       coalesce((p_result ->> 'started_at')::timestamptz, now()),
                                       v_scheduled_for, p_result ->> 'run_id');
END $$;
COMMENT ON FUNCTION app.health_on_probe_result(jsonb) IS 'Record the result of a completed health.probe job';

GRANT EXECUTE ON FUNCTION app.health_overall_status(app.health_status_enum[]) TO staff, org_owner, system_admin;
