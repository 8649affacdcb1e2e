-- Judging an observation, the per-monitor state machine and the uptime intervals it writes.
-- Probes only observe (workers/probes); every verdict is made here.

-- == Conditions ==

CREATE OR REPLACE FUNCTION app._health_status_code_expected(p_code integer, p_expected jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_code IS NOT NULL AND EXISTS (
    SELECT FROM jsonb_array_elements(p_expected) e
     WHERE CASE WHEN jsonb_typeof(e) = 'number' THEN p_code = (e #>> '{}')::numeric
                ELSE p_code BETWEEN split_part(e #>> '{}', '-', 1)::integer AND split_part(e #>> '{}', '-', 2)::integer
           END)
$$;
COMMENT ON FUNCTION app._health_status_code_expected(integer, jsonb) IS 'Whether a status code is one of the expected codes or ranges ("200-299")';

CREATE OR REPLACE FUNCTION app._health_json_path_equals(p_body text, p_path text, p_value jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_json jsonb;
BEGIN
  BEGIN
    v_json := p_body::jsonb;
  EXCEPTION WHEN invalid_text_representation THEN
    RETURN false;  -- not JSON: the condition cannot hold
  END;
  RETURN jsonb_path_query_first(v_json, p_path::jsonpath) = p_value;
END $$;
COMMENT ON FUNCTION app._health_json_path_equals(text, text, jsonb) IS 'Whether the body parses as JSON and the path''s first match equals the value';

-- The verdict on one observation (the dict workers.probes documents) under a monitor's conditions.
-- unknown: the probe could not run. unhealthy: no answer, timeout, wrong status, failed body or
-- JSON condition, expired certificate, a Stripe key rejected (401/403). degraded: slower than
-- max_response_time_ms, certificate expiring within min_tls_days, Stripe rate limited or 5xx.
CREATE OR REPLACE FUNCTION app.health_judge(
  p_probe app.health_probe_kind, p_expected jsonb, p_observation jsonb,
  OUT status app.health_status_enum, OUT reasons text[]
)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_reachable boolean := coalesce((p_observation ->> 'reachable')::boolean, false);
  v_timed_out boolean := coalesce((p_observation ->> 'timed_out')::boolean, false);
  v_code integer := (p_observation ->> 'status_code')::integer;
  v_error text := p_observation ->> 'error';
  v_body text := p_observation ->> 'body';
  v_response_ms integer := (p_observation ->> 'response_time_ms')::integer;
  v_tls_days integer := (p_observation ->> 'tls_days_left')::integer;
  v_bad boolean := false;
  v_slow boolean := false;
BEGIN
  reasons := '{}';
  IF p_observation ->> 'probe_error' IS NOT NULL THEN
    status := 'unknown';
    reasons := ARRAY['probe could not run: ' || (p_observation ->> 'probe_error')];
    RETURN;
  END IF;

  IF p_probe = 'stripe' AND v_code IN (401, 403) THEN
    v_bad := true;
    reasons := reasons || format('stripe rejected the key (%s)', v_code);
  ELSIF p_probe = 'stripe' AND (v_code = 429 OR v_code >= 500) THEN
    v_slow := true;
    reasons := reasons || format('stripe answered %s', v_code);
  ELSIF v_timed_out THEN
    v_bad := true;
    reasons := reasons || 'timeout'::text;
  ELSIF NOT v_reachable THEN
    v_bad := true;
    reasons := reasons || coalesce(v_error, 'unreachable');
  ELSE
    IF p_probe IN ('http', 'sms', 'smtp', 'stripe') AND NOT app._health_status_code_expected(v_code,
         coalesce(p_expected -> 'status_codes',
                  CASE p_probe WHEN 'smtp' THEN '[250]' WHEN 'stripe' THEN '[200]' ELSE '["200-299"]' END::jsonb)) THEN
      v_bad := true;
      reasons := reasons || format('status %s not expected', coalesce(v_code::text, 'missing'));
    END IF;
    IF v_error IS NOT NULL AND NOT v_bad THEN
      v_bad := true;
      reasons := reasons || v_error;
    END IF;
    IF p_expected ? 'body_contains' AND strpos(coalesce(v_body, ''), p_expected ->> 'body_contains') = 0 THEN
      v_bad := true;
      reasons := reasons || format('body does not contain %s', p_expected ->> 'body_contains');
    END IF;
    IF p_expected ? 'json_path'
       AND NOT app._health_json_path_equals(v_body, p_expected ->> 'json_path', p_expected -> 'json_equals') THEN
      v_bad := true;
      reasons := reasons || format('%s is not %s', p_expected ->> 'json_path', p_expected -> 'json_equals');
    END IF;
  END IF;

  IF v_tls_days < 0 THEN
    v_bad := true;
    reasons := reasons || format('certificate expired %s days ago', -v_tls_days);
  ELSIF v_tls_days < coalesce((p_expected ->> 'min_tls_days')::numeric, app.health_setting_number('default_min_tls_days'), 14) THEN
    v_slow := true;
    reasons := reasons || format('certificate expires in %s days', v_tls_days);
  END IF;
  IF v_response_ms > (p_expected ->> 'max_response_time_ms')::numeric THEN
    v_slow := true;
    reasons := reasons || format('response took %s ms (max %s)', v_response_ms, p_expected ->> 'max_response_time_ms');
  END IF;

  status := (CASE WHEN v_bad THEN 'unhealthy' WHEN v_slow THEN 'degraded' ELSE 'healthy' END)::app.health_status_enum;
END $$;
COMMENT ON FUNCTION app.health_judge(app.health_probe_kind, jsonb, jsonb)
  IS 'Verdict (healthy, degraded, unhealthy, unknown) and reasons for one probe observation';

-- == Uptime intervals ==

CREATE OR REPLACE FUNCTION app.health_uptime_status(p_status app.health_status_enum, p_outage_status app.uptime_status_enum)
RETURNS app.uptime_status_enum
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_status WHEN 'healthy' THEN 'operational'::app.uptime_status_enum
                       WHEN 'degraded' THEN 'degraded'::app.uptime_status_enum
                       WHEN 'unhealthy' THEN p_outage_status END
$$;
COMMENT ON FUNCTION app.health_uptime_status(app.health_status_enum, app.uptime_status_enum)
  IS 'The system_uptime status a monitor state stands for; unknown opens no interval (not observed)';

-- Moves a monitor to a new state at p_at: closes the open interval there and opens the next one.
-- A transition dated at the open interval's own start replaces its status instead.
CREATE OR REPLACE FUNCTION app._health_set_status(p_monitor_id bigint, p_status app.health_status_enum, p_at timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_monitor app.health_monitors;
  v_state app.health_monitor_state;
  v_open app.system_uptime;
  v_uptime_status app.uptime_status_enum;
  v_open_id uuid;
BEGIN
  SELECT * INTO STRICT v_monitor FROM app.health_monitors m WHERE m.id = p_monitor_id;
  SELECT * INTO STRICT v_state FROM app.health_monitor_state s WHERE s.monitor_id = p_monitor_id FOR UPDATE;
  IF v_state.status = p_status THEN
    RETURN;
  END IF;
  v_uptime_status := app.health_uptime_status(p_status, v_monitor.outage_status);
  SELECT * INTO v_open FROM app.system_uptime u WHERE u.id = v_state.open_uptime_id;
  p_at := greatest(p_at, v_open.started_at);  -- intervals of a monitor never overlap
  IF v_open.started_at = p_at THEN
    -- the open interval began at this very moment: it takes the new status (or goes)
    IF v_uptime_status IS NULL THEN
      DELETE FROM app.system_uptime WHERE id = v_open.id;
    ELSE
      UPDATE app.system_uptime SET status = v_uptime_status WHERE id = v_open.id;
      v_open_id := v_open.id;
    END IF;
  ELSE
    IF v_open.id IS NOT NULL THEN
      UPDATE app.system_uptime
         SET ended_at = p_at, duration_seconds = round(extract(epoch FROM p_at - started_at))
       WHERE id = v_open.id;
    END IF;
    IF v_uptime_status IS NOT NULL THEN
      INSERT INTO app.system_uptime (service_name, status, started_at, organization_id, monitor_id)
      VALUES (v_monitor.service_name, v_uptime_status, p_at, v_monitor.organization_id, v_monitor.id)
      RETURNING id INTO v_open_id;
    END IF;
  END IF;
  UPDATE app.health_monitor_state
     SET status = p_status, status_since = p_at, open_uptime_id = v_open_id
   WHERE monitor_id = p_monitor_id;
  PERFORM pg_notify('health:transition', json_build_object(
    'monitor_id', p_monitor_id, 'service_name', v_monitor.service_name, 'organization_id', v_monitor.organization_id,
    'from', v_state.status, 'to', p_status, 'at', p_at)::text);
END $$;
COMMENT ON FUNCTION app._health_set_status(bigint, app.health_status_enum, timestamptz)
  IS 'Transition a monitor''s state at a time: close the open system_uptime interval, open the next (NOTIFY health:transition)';

-- == The state machine ==

-- Hysteresis over the latest known observations (newest first): the state worsens to S when the
-- last failure_threshold are all at least as bad as S, and improves to S when the last
-- success_threshold are all at least as good; either change is dated at the first observation of
-- that run, so uptime counts the outage from when it was first seen. From unknown (no data) the
-- first known observation is taken as it is.
CREATE OR REPLACE FUNCTION app._health_next_status(
  p_current app.health_status_enum, p_recent app.health_status_enum[], p_recent_at timestamptz[],
  p_failure_threshold integer, p_success_threshold integer,
  OUT status app.health_status_enum, OUT since timestamptz
)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_least_bad app.health_status_enum;
  v_least_good app.health_status_enum;
BEGIN
  status := p_current;
  IF cardinality(p_recent) = 0 THEN
    RETURN;
  END IF;
  IF p_current = 'unknown' THEN
    status := p_recent[1];
    since := p_recent_at[1];
    RETURN;
  END IF;
  IF cardinality(p_recent) >= p_failure_threshold THEN
    SELECT min(s) INTO v_least_bad FROM unnest(p_recent[1:p_failure_threshold]) s;
    IF v_least_bad > p_current THEN
      status := v_least_bad;
      since := p_recent_at[p_failure_threshold];
      RETURN;
    END IF;
  END IF;
  IF cardinality(p_recent) >= p_success_threshold THEN
    SELECT max(s) INTO v_least_good FROM unnest(p_recent[1:p_success_threshold]) s;
    IF v_least_good < p_current THEN
      status := v_least_good;
      since := p_recent_at[p_success_threshold];
    END IF;
  END IF;
END $$;
COMMENT ON FUNCTION app._health_next_status(app.health_status_enum, app.health_status_enum[], timestamptz[], integer, integer)
  IS 'The state after the latest observations under failure/success thresholds, and since when';

-- Records one observation: judges it, stores the health_checks row and advances the state machine.
-- Observations older than the monitor's latest are stored but do not move the state.
-- p_scheduled_for (the slot of a scheduled probe) releases the scheduler's pending mark;
-- p_run_id tags an on-demand run (system-health-check), which is told by NOTIFY health:observation.
CREATE OR REPLACE FUNCTION app.health_record_observation(
  p_monitor_id bigint, p_observation jsonb, p_checked_at timestamptz DEFAULT now(),
  p_scheduled_for timestamptz DEFAULT NULL, p_run_id text DEFAULT NULL
) RETURNS app.health_status_enum
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_monitor app.health_monitors;
  v_state app.health_monitor_state;
  v_status app.health_status_enum;
  v_reasons text[];
  v_check_id uuid;
  v_keep integer;
  v_next app.health_status_enum;
  v_since timestamptz;
  v_release boolean;  -- this observation ends the scheduler's pending mark
BEGIN
  SELECT * INTO v_monitor FROM app.health_monitors m WHERE m.id = p_monitor_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'health monitor % not found', p_monitor_id USING ERRCODE = 'QN501',
      DETAIL = 'An observation names a monitor that does not exist (deleted?).', HINT = 'Nothing to do; it is dropped.';
  END IF;
  p_checked_at := coalesce(p_checked_at, now());
  SELECT j.status, j.reasons INTO v_status, v_reasons FROM app.health_judge(v_monitor.probe, v_monitor.expected, p_observation) j;

  INSERT INTO app.health_checks
    (check_type, service_name, endpoint, status, response_time_ms, status_code, error_message, details,
     checked_at, organization_id, monitor_id)
  VALUES
    (v_monitor.check_type, v_monitor.service_name, v_monitor.endpoint, v_status,
     (p_observation ->> 'response_time_ms')::integer, (p_observation ->> 'status_code')::integer,
     CASE WHEN v_status <> 'healthy' THEN array_to_string(v_reasons, '; ') END,
     coalesce(p_observation -> 'details', '{}') || jsonb_strip_nulls(jsonb_build_object(
       'reasons', CASE WHEN cardinality(v_reasons) > 0 THEN to_jsonb(v_reasons) END,
       'timed_out', CASE WHEN (p_observation ->> 'timed_out')::boolean THEN true END,
       'tls_days_left', p_observation -> 'tls_days_left',
       'body_excerpt', CASE WHEN v_status <> 'healthy' THEN left(p_observation ->> 'body', 500) END,
       'scheduled_for', p_scheduled_for,
       'run_id', p_run_id)),
     p_checked_at, v_monitor.organization_id, v_monitor.id)
  RETURNING id INTO v_check_id;

  -- (every monitor has its state row: db/triggers/500_health.sql)
  SELECT * INTO STRICT v_state FROM app.health_monitor_state s WHERE s.monitor_id = p_monitor_id FOR UPDATE;
  v_release := coalesce(p_scheduled_for >= v_state.pending_slot_at, false);
  IF p_run_id IS NOT NULL THEN
    PERFORM pg_notify('health:observation', json_build_object(
      'run_id', p_run_id, 'monitor_id', p_monitor_id, 'check_id', v_check_id, 'status', v_status)::text);
  END IF;
  IF p_checked_at < v_state.last_checked_at OR NOT v_monitor.enabled THEN
    IF v_release THEN
      UPDATE app.health_monitor_state SET pending_slot_at = NULL WHERE monitor_id = p_monitor_id;
    END IF;
    RETURN v_status;
  END IF;

  -- one write of the state row per observation (a second one only on a transition)
  v_keep := greatest(v_monitor.failure_threshold, v_monitor.success_threshold);
  IF v_status = 'unknown' THEN
    UPDATE app.health_monitor_state
       SET consecutive_unknown = consecutive_unknown + 1,
           unknown_since = CASE WHEN consecutive_unknown = 0 THEN p_checked_at ELSE unknown_since END,
           pending_slot_at = CASE WHEN v_release THEN NULL ELSE pending_slot_at END,
           last_status = v_status, last_checked_at = p_checked_at,
           last_response_time_ms = (p_observation ->> 'response_time_ms')::integer
     WHERE monitor_id = p_monitor_id
    RETURNING * INTO v_state;
    -- failure_threshold unknowns in a row: the state is no longer known (dated at the first);
    -- the next known observation then counts from scratch
    IF v_state.consecutive_unknown >= v_monitor.failure_threshold AND v_state.status <> 'unknown' THEN
      PERFORM app._health_set_status(p_monitor_id, 'unknown', v_state.unknown_since);
      UPDATE app.health_monitor_state SET recent_statuses = '{}', recent_checked_at = '{}'
       WHERE monitor_id = p_monitor_id;
    END IF;
  ELSE
    UPDATE app.health_monitor_state
       SET consecutive_unknown = 0,
           unknown_since = NULL,
           consecutive_failures = CASE WHEN v_status = 'unhealthy' THEN consecutive_failures + 1 ELSE 0 END,
           consecutive_successes = CASE WHEN v_status = 'healthy' THEN consecutive_successes + 1 ELSE 0 END,
           recent_statuses = (v_status || recent_statuses)[1:v_keep],
           recent_checked_at = (p_checked_at || recent_checked_at)[1:v_keep],
           pending_slot_at = CASE WHEN v_release THEN NULL ELSE pending_slot_at END,
           last_status = v_status, last_checked_at = p_checked_at,
           last_response_time_ms = (p_observation ->> 'response_time_ms')::integer
     WHERE monitor_id = p_monitor_id
    RETURNING * INTO v_state;
    SELECT n.status, n.since INTO v_next, v_since
      FROM app._health_next_status(v_state.status, v_state.recent_statuses, v_state.recent_checked_at,
                                   v_monitor.failure_threshold, v_monitor.success_threshold) n;
    IF v_next IS DISTINCT FROM v_state.status THEN
      PERFORM app._health_set_status(p_monitor_id, v_next, v_since);
    END IF;
  END IF;
  RETURN v_status;
END $$;
COMMENT ON FUNCTION app.health_record_observation(bigint, jsonb, timestamptz, timestamptz, text)
  IS 'Judge a probe observation, store it in health_checks and advance the monitor''s state machine; returns the verdict';
