-- Evaluating rules, in SQL only. Event-driven rules run in the transaction that caused the event
-- (they enqueue deliveries, never send): critical_error from the capture trigger, health rules
-- from the monitor state machine, new_user_report from the report insert. Windowed rules
-- (error_spike, health for_minutes, the end of a maintenance window) run in app.alert_tick,
-- which pg_cron calls every minute. Dedup keys: error:<group>, spike:<organization>,
-- monitor:<monitor id>, report:<report id>.

-- == critical_error ==

-- Called by the capture trigger for the groups the live feed names: new, regressed, or first
-- seen in their current minute. A flood of one error is therefore evaluated once a minute,
-- however many events it brings; without critical_error rules this is one index probe.
CREATE OR REPLACE FUNCTION app.alert_on_error_groups(p_outcomes jsonb, p_woke jsonb) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM app.error_alerts r WHERE r.alert_type = 'critical_error' AND r.is_active) THEN
    RETURN 0;
  END IF;
  RETURN app._alert_on_error_groups(p_outcomes, p_woke);
END $$;
COMMENT ON FUNCTION app.alert_on_error_groups(jsonb, jsonb) IS
  'Fire critical_error rules for the error groups a capture statement created, regressed or woke this minute (never fails the capture)';
GRANT EXECUTE ON FUNCTION app.alert_on_error_groups(jsonb, jsonb) TO anon, staff, org_owner, system_admin, pgwarden_web;

-- (its own function: the exception block costs a subtransaction, paid only when rules exist)
CREATE OR REPLACE FUNCTION app._alert_on_error_groups(p_outcomes jsonb, p_woke jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_match record;
  v_opened uuid[] := '{}'::uuid[];
BEGIN
  FOR v_match IN
    SELECT r.id AS rule_id, e.id AS error_id, e.organization_id, e.severity, e.error_type, e.message, e.component,
           e.occurrence_count, o.is_new OR o.is_regression AS is_new, o.is_regression, g.name AS organization_name
      FROM jsonb_to_recordset(p_outcomes) AS o (id uuid, organization_id uuid, error_hash text, status text,
                                                is_new boolean, is_regression boolean)
      JOIN app.system_errors e ON e.id = o.id
      JOIN app.organizations g ON g.id = e.organization_id
      JOIN app.error_alerts r
        ON r.alert_type = 'critical_error' AND r.is_active AND coalesce(r.muted_until <= now(), true)
       AND (r.organization_id IS NULL OR r.organization_id = o.organization_id)
     WHERE o.status <> 'ignored'
       AND (o.is_new OR o.is_regression
            OR EXISTS (SELECT FROM jsonb_to_recordset(p_woke) AS k (organization_id uuid, error_hash text)
                        WHERE k.organization_id = o.organization_id AND k.error_hash = o.error_hash))
       AND e.severity >= coalesce(r.trigger_conditions ->> 'severity_at_least', 'critical')::app.severity_enum
       AND (NOT coalesce((r.trigger_conditions ->> 'new_only')::boolean, false) OR o.is_new OR o.is_regression)
       AND (NOT r.trigger_conditions ? 'error_types' OR r.trigger_conditions -> 'error_types' ? e.error_type::text)
       AND (NOT r.trigger_conditions ? 'project_ids'
            OR (SELECT ev.project_id FROM app.error_events ev
                 WHERE ev.organization_id = e.organization_id AND ev.error_hash = e.error_hash
                 ORDER BY ev.received_at DESC LIMIT 1)
               IN (SELECT p.value::bigint FROM jsonb_array_elements_text(r.trigger_conditions -> 'project_ids') p))
     ORDER BY r.id, e.id
  LOOP
    v_opened := v_opened || (SELECT CASE WHEN f.opened THEN v_match.rule_id END
                               FROM app.alert_fire(v_match.rule_id, 'error:' || v_match.error_id, jsonb_build_object(
      'organization_id', v_match.organization_id,
      'service', lower(nullif(btrim(v_match.component), '')),
      'severity', v_match.severity,
      -- (channels show the severity themselves: "[CRITICAL] ...")
      'title', left(split_part(v_match.message, E'\n', 1), 200)
               || coalesce(format(' (%s error in %s)', v_match.error_type, nullif(btrim(v_match.component), '')),
                           format(' (%s error)', v_match.error_type)),
      'facts', jsonb_build_object('error_id', v_match.error_id, 'error_type', v_match.error_type,
                                  'message', left(v_match.message, 300), 'component', v_match.component,
                                  'regression', v_match.is_regression,
                                  'subject', 'errors in ' || coalesce(nullif(btrim(v_match.component), ''),
                                                                      v_match.organization_name)),
      -- events are counted from the group's occurrence_count: what it was before this firing
      'first_facts', jsonb_build_object('base_count', CASE WHEN v_match.is_new AND NOT v_match.is_regression THEN 0
                                                           ELSE v_match.occurrence_count - 1 END))) AS f);
  END LOOP;
  v_opened := array_remove(v_opened, NULL);
  PERFORM app._alert_rules_triggered(v_opened);
  RETURN cardinality(v_opened);
EXCEPTION WHEN OTHERS THEN
  -- alerting must never cost a capture
  RAISE WARNING 'alert evaluation failed for captured errors: % (%)', SQLERRM, SQLSTATE;
  RETURN 0;
END $$;
COMMENT ON FUNCTION app._alert_on_error_groups(jsonb, jsonb) IS 'The critical_error rules that match these groups, fired';

-- == error_spike (each minute) ==

-- When an organization's errors began within a window: its first event received since p_since
-- (the groups of the first minute with events, then each group's first event: a few index probes).
-- A spike is dated from there, not from the tick that saw it, so correlation can tell whether the
-- errors or a health degradation came first.
CREATE OR REPLACE FUNCTION app.alert_errors_began(p_organization_id uuid, p_since timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT min(f.received_at)
    FROM app.error_metrics m
    CROSS JOIN LATERAL (SELECT e.received_at FROM app.error_events e
                         WHERE e.organization_id = m.organization_id AND e.error_hash = m.error_hash
                           AND e.received_at >= p_since
                         ORDER BY e.received_at LIMIT 1) AS f
   WHERE m.organization_id = p_organization_id
     AND m.bucket = (SELECT min(b.bucket) FROM app.error_metrics b
                      WHERE b.organization_id = p_organization_id AND b.bucket >= date_trunc('minute', p_since))
$$;
COMMENT ON FUNCTION app.alert_errors_began(uuid, timestamptz) IS
  'When an organization''s first event since a time was received (NULL: none); dates an error spike';

CREATE OR REPLACE FUNCTION app.alert_evaluate_spikes() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_rule record;
  v_hit record;
  v_firing uuid[];
  v_fired integer := 0;
  v_opened uuid[] := '{}'::uuid[];
  v_window_start timestamptz;
BEGIN
  FOR v_rule IN
    SELECT r.id, r.organization_id, coalesce((r.trigger_conditions ->> 'window_minutes')::integer, 5) AS window_minutes,
           (r.trigger_conditions ->> 'threshold')::bigint AS threshold,
           (r.trigger_conditions ->> 'baseline_factor')::numeric AS factor,
           coalesce((r.trigger_conditions ->> 'min_count')::bigint,
                    (app.alert_setting('spike_min_count') #>> '{}')::bigint, 10) AS min_count
      FROM app.error_alerts r
     WHERE r.alert_type = 'error_spike' AND r.is_active AND coalesce(r.muted_until <= now(), true)
     ORDER BY r.id
  LOOP
    v_firing := '{}';
    -- the last window_minutes minutes, this one included
    v_window_start := date_trunc('minute', now()) - make_interval(mins => v_rule.window_minutes - 1);
    FOR v_hit IN
      WITH recent AS (
        SELECT m.organization_id, sum(m.event_count)::bigint AS events
          FROM app.error_metrics m
         WHERE m.bucket >= v_window_start
           AND (v_rule.organization_id IS NULL OR m.organization_id = v_rule.organization_id)
         GROUP BY m.organization_id
      ), judged AS (
        -- baseline: the same hour a week earlier, scaled to the window
        SELECT c.organization_id, c.events,
               CASE WHEN v_rule.factor IS NOT NULL THEN
                 (SELECT coalesce(sum(b.event_count), 0) FROM app.error_metrics b
                   WHERE b.organization_id = c.organization_id
                     AND b.bucket >= now() - interval '7 days 30 minutes' AND b.bucket < now() - interval '6 days 23 hours 30 minutes')
                 * v_rule.window_minutes / 60.0 END AS baseline
          FROM recent c
      )
      SELECT j.organization_id, j.events, round(j.baseline, 1) AS baseline, o.name,
             NOT EXISTS (SELECT FROM app.alert_signals s WHERE s.rule_id = v_rule.id AND s.resolved_at IS NULL
                            AND s.dedup_key = 'spike:' || j.organization_id) AS opening
        FROM judged j JOIN app.organizations o ON o.id = j.organization_id
       WHERE (v_rule.threshold IS NULL OR j.events >= v_rule.threshold)
         AND (v_rule.factor IS NULL OR (j.events >= v_rule.min_count AND j.events >= v_rule.factor * j.baseline))
       ORDER BY j.organization_id
    LOOP
      v_opened := v_opened || (SELECT CASE WHEN f.opened THEN v_rule.id END
                                 FROM app.alert_fire(v_rule.id, 'spike:' || v_hit.organization_id, jsonb_build_object(
        'organization_id', v_hit.organization_id, 'severity', 'error',
        -- (a new spike only: dated from its first event in the window)
        'started_at', CASE WHEN v_hit.opening THEN app.alert_errors_began(v_hit.organization_id, v_window_start) END,
        'title', format('Error spike in %s: %s events in %s min', v_hit.name, v_hit.events, v_rule.window_minutes),
        'facts', jsonb_build_object('events', v_hit.events, 'window_minutes', v_rule.window_minutes,
                                    'threshold', v_rule.threshold, 'baseline', v_hit.baseline, 'baseline_factor', v_rule.factor,
                                    'subject', 'errors in ' || v_hit.name),
        'first_facts', jsonb_build_object(
          'window_start', v_window_start),
        'event_count', v_hit.events)) AS f);
      v_firing := v_firing || v_hit.organization_id;
      v_fired := v_fired + 1;
    END LOOP;
    -- spikes that are over
    PERFORM app._alert_signals_clear(ARRAY(
      SELECT s.id FROM app.alert_signals s
       WHERE s.rule_id = v_rule.id AND s.resolved_at IS NULL AND s.organization_id <> ALL (v_firing) ORDER BY s.id));
  END LOOP;
  PERFORM app._alert_rules_triggered(array_remove(v_opened, NULL));
  RETURN v_fired;
END $$;
COMMENT ON FUNCTION app.alert_evaluate_spikes() IS
  'Fire error_spike rules per organization (events in the window vs threshold and/or baseline_factor x last week) and clear spikes that are over';

-- == health_degraded and uptime_incident ==

-- When a monitor's state was last better than p_at_least: the start of its current bad run
-- (from the system_uptime intervals, so degraded then unhealthy counts as one run).
CREATE OR REPLACE FUNCTION app._alert_monitor_bad_since(p_monitor_id bigint, p_at_least app.health_status_enum)
RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  WITH bad AS (
    SELECT u.started_at, u.status NOT IN ('operational', 'maintenance')
                         AND (p_at_least = 'degraded' OR u.status <> 'degraded') AS is_bad
      FROM app.system_uptime u WHERE u.monitor_id = p_monitor_id)
  SELECT min(b.started_at) FROM bad b
   WHERE b.is_bad AND b.started_at > coalesce((SELECT max(g.started_at) FROM bad g WHERE NOT g.is_bad), '-infinity')
$$;
COMMENT ON FUNCTION app._alert_monitor_bad_since(bigint, app.health_status_enum) IS
  'Since when a monitor has been at least this bad without a break (NULL when it is not)';

-- Re-judges every health rule for one monitor: fires, clears or holds. Called on each state
-- transition (db/triggers/700_alerts.sql) and each minute for monitors that are not healthy.
-- A monitor in a maintenance window fires nothing (it may still clear); unknown holds; a disabled
-- or deleted monitor clears.
CREATE OR REPLACE FUNCTION app.alert_on_monitor(p_monitor_id bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_monitor app.health_monitors;
  v_state app.health_monitor_state;
  v_uptime app.uptime_status_enum;
  v_in_maintenance boolean;
  v_rule record;
  v_at_least app.health_status_enum;
  v_verdict text;
  v_fire record;
  v_reason text;
  v_fired integer := 0;
  v_opened uuid[] := '{}'::uuid[];
BEGIN
  SELECT * INTO v_monitor FROM app.health_monitors m WHERE m.id = p_monitor_id;
  SELECT * INTO v_state FROM app.health_monitor_state s WHERE s.monitor_id = p_monitor_id;
  IF v_monitor.id IS NULL OR v_state.monitor_id IS NULL THEN
    -- the monitor was deleted: nothing of it fires any more
    PERFORM app.alert_clear_key('{health_degraded,uptime_incident}', 'monitor:' || p_monitor_id);
    RETURN 0;
  END IF;
  SELECT u.status INTO v_uptime FROM app.system_uptime u WHERE u.id = v_state.open_uptime_id;
  v_in_maintenance := EXISTS (SELECT FROM app.health_maintenance_windows w
                               WHERE w.monitor_id = p_monitor_id AND w.during @> now());
  SELECT c.error_message INTO v_reason FROM app.health_checks c
   WHERE c.monitor_id = p_monitor_id ORDER BY c.checked_at DESC LIMIT 1;
  FOR v_rule IN
    SELECT r.id, r.alert_type, r.trigger_conditions AS conditions, coalesce(r.muted_until > now(), false) AS muted
      FROM app.error_alerts r
     WHERE r.alert_type IN ('health_degraded', 'uptime_incident') AND r.is_active
       AND (r.organization_id IS NULL OR r.organization_id = v_monitor.organization_id)
       AND (NOT r.trigger_conditions ? 'services' OR r.trigger_conditions -> 'services' ? v_monitor.service_name::text)
       AND NOT r.trigger_conditions ? 'slo_burn'  -- those fire on SLO burn rates (app.slo_evaluate)
     ORDER BY r.id
  LOOP
    IF v_rule.alert_type = 'health_degraded' THEN
      v_at_least := coalesce(v_rule.conditions ->> 'status_at_least', 'degraded')::app.health_status_enum;
      v_verdict := CASE
        WHEN NOT v_monitor.enabled THEN 'clear'
        WHEN v_state.status = 'unknown' THEN 'hold'
        WHEN v_state.status < v_at_least THEN 'clear'
        WHEN coalesce((v_rule.conditions ->> 'for_minutes')::integer, 0) = 0 THEN 'fire'
        WHEN app._alert_monitor_bad_since(p_monitor_id, v_at_least)
             <= now() - make_interval(mins => (v_rule.conditions ->> 'for_minutes')::integer) THEN 'fire'
        ELSE 'hold' END;
    ELSE
      v_verdict := CASE
        WHEN NOT v_monitor.enabled THEN 'clear'
        WHEN v_uptime IS NULL THEN 'hold'
        WHEN v_uptime::text IN (SELECT jsonb_array_elements_text(coalesce(v_rule.conditions -> 'statuses',
                                                                          '["partial_outage", "major_outage"]'))) THEN 'fire'
        ELSE 'clear' END;
    END IF;

    IF v_verdict = 'fire' AND NOT v_in_maintenance AND NOT v_rule.muted THEN
      SELECT f.incident_id, f.opened INTO v_fire FROM app.alert_fire(v_rule.id, 'monitor:' || p_monitor_id, jsonb_build_object(
        'organization_id', v_monitor.organization_id, 'service', v_monitor.service_name, 'started_at', v_state.status_since,
        'severity', CASE WHEN v_state.status = 'unhealthy' AND v_uptime = 'partial_outage' THEN 'error'
                         WHEN v_state.status = 'unhealthy' THEN 'critical' ELSE 'warning' END,
        'title', CASE WHEN v_rule.alert_type = 'health_degraded' THEN format('%s is %s', v_monitor.display_name, v_state.status)
                      ELSE format('%s: %s', v_monitor.display_name, replace(v_uptime::text, '_', ' ')) END,
        'facts', jsonb_build_object('monitor_id', p_monitor_id, 'service_name', v_monitor.service_name,
                                    'display_name', v_monitor.display_name, 'status', v_state.status,
                                    'uptime_status', v_uptime, 'status_since', v_state.status_since, 'reason', v_reason,
                                    'subject', v_monitor.display_name || ' went ' ||
                                               CASE WHEN v_state.status = 'unhealthy' THEN 'unhealthy' ELSE 'degraded' END))) f;
      IF v_fire.opened THEN
        v_opened := v_opened || v_rule.id;
      END IF;
      -- the spec's system_uptime.incident_id names the incident of an outage interval
      UPDATE app.system_uptime u SET incident_id = v_fire.incident_id::text
       WHERE u.id = v_state.open_uptime_id AND u.incident_id IS NULL AND v_rule.alert_type = 'uptime_incident';
      v_fired := v_fired + 1;
    ELSIF v_verdict = 'clear' THEN
      PERFORM app.alert_clear(v_rule.id, 'monitor:' || p_monitor_id);
    END IF;
  END LOOP;
  PERFORM app._alert_rules_triggered(v_opened);
  RETURN v_fired;
END $$;
COMMENT ON FUNCTION app.alert_on_monitor(bigint) IS
  'Fire or clear the health_degraded and uptime_incident rules of one monitor from its current state (maintenance fires nothing)';

-- Each minute: monitors that are not healthy (for_minutes may have passed, a maintenance window
-- may have ended) and monitors with an open signal (a rule may have changed).
CREATE OR REPLACE FUNCTION app.alert_evaluate_monitors() RETURNS integer
LANGUAGE sql AS $$
  SELECT coalesce(sum(app.alert_on_monitor(m.monitor_id)), 0)::integer
    FROM (SELECT s.monitor_id FROM app.health_monitor_state s WHERE s.status IN ('degraded', 'unhealthy')
           UNION
          SELECT substr(g.dedup_key, 9)::bigint FROM app.alert_signals g
           WHERE g.resolved_at IS NULL AND g.alert_type IN ('health_degraded', 'uptime_incident')
             AND g.dedup_key LIKE 'monitor:%'
           ORDER BY 1) AS m
   WHERE EXISTS (SELECT FROM app.error_alerts r WHERE r.alert_type IN ('health_degraded', 'uptime_incident') AND r.is_active)
$$;
COMMENT ON FUNCTION app.alert_evaluate_monitors() IS 'Re-judge health rules for monitors that are not healthy or have an open signal';

-- == new_user_report ==

CREATE OR REPLACE FUNCTION app.alert_on_reports(p_report_ids uuid[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_match record;
  v_opened uuid[] := '{}'::uuid[];
BEGIN
  IF NOT EXISTS (SELECT FROM app.error_alerts r WHERE r.alert_type = 'new_user_report' AND r.is_active) THEN
    RETURN 0;
  END IF;
  FOR v_match IN
    SELECT r.id AS rule_id, u.id, u.organization_id, u.report_type, coalesce(u.priority, 'medium') AS priority,
           u.title, u.reporter_type, u.url, u.linked_error_id
      FROM app.user_error_reports u
      JOIN app.error_alerts r
        ON r.alert_type = 'new_user_report' AND r.is_active AND coalesce(r.muted_until <= now(), true)
       AND (r.organization_id IS NULL OR r.organization_id = u.organization_id)
     WHERE u.id = ANY (p_report_ids)
       AND coalesce(u.status, 'open') NOT IN ('resolved', 'closed', 'duplicate')
       AND coalesce(u.priority, 'medium') >= coalesce(r.trigger_conditions ->> 'priority_at_least', 'low')::app.priority_enum
       AND (NOT r.trigger_conditions ? 'report_types' OR r.trigger_conditions -> 'report_types' ? u.report_type::text)
     ORDER BY r.id, u.id
  LOOP
    v_opened := v_opened || (SELECT CASE WHEN f.opened THEN v_match.rule_id END
                               FROM app.alert_fire(v_match.rule_id, 'report:' || v_match.id, jsonb_build_object(
      'organization_id', v_match.organization_id,
      'severity', CASE v_match.priority WHEN 'critical' THEN 'critical' WHEN 'high' THEN 'error'
                                        WHEN 'medium' THEN 'warning' ELSE 'info' END,
      'title', format('New %s report (%s priority): %s', replace(v_match.report_type::text, '_', ' '), v_match.priority,
                      left(v_match.title, 200)),
      'facts', jsonb_build_object('report_id', v_match.id, 'report_type', v_match.report_type,
                                  'priority', v_match.priority, 'reporter_type', v_match.reporter_type, 'url', v_match.url,
                                  'linked_error_id', v_match.linked_error_id))) AS f);
  END LOOP;
  v_opened := array_remove(v_opened, NULL);
  PERFORM app._alert_rules_triggered(v_opened);
  RETURN cardinality(v_opened);
END $$;
COMMENT ON FUNCTION app.alert_on_reports(uuid[]) IS 'Fire new_user_report rules for newly submitted reports';
