-- Service level objectives (db/schema/765_slos.sql): burn rates over the SRE workbook's windows,
-- the multi-window multi-burn-rate alerts, the remaining error budget, and firing and clearing
-- them through uptime_incident rules whose trigger_conditions name them (slo_burn).

-- The alerts of the SRE workbook for a 30-day objective (https://sre.google/workbook/alerting-on-slos/):
-- each holds while the burn rate over both its long and its short window reaches its factor; the
-- short window makes it clear soon after the burning stops.
CREATE OR REPLACE FUNCTION app.slo_burn_alerts()
RETURNS TABLE (alert text, long_window text, short_window text, factor numeric, severity app.severity_enum)
LANGUAGE sql IMMUTABLE AS $$
  VALUES ('page_fast', '1h', '5m', 14.4, 'critical'::app.severity_enum),
         ('page_slow', '6h', '30m', 6, 'error'),
         ('ticket', '3d', '6h', 1, 'warning')
$$;
COMMENT ON FUNCTION app.slo_burn_alerts() IS
  'The burn-rate alerts: page_fast 14.4x over 1h and 5m, page_slow 6x over 6h and 30m, ticket 1x over 3d and 6h';

-- Burn rate = error ratio / error budget, the error ratio being downtime / observed time of the
-- window ending at p_now (app.health_uptime_breakdown: weights, maintenance and unknown time as
-- for uptime). NULL for a window with nothing observed.
CREATE OR REPLACE FUNCTION app.slo_burn_rates(p_monitor_id bigint, p_target numeric, p_now timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_object_agg(w.name, CASE WHEN b.observed_seconds > 0
                                       THEN round(b.downtime_seconds / b.observed_seconds / (1 - p_target), 4) END)
    FROM (VALUES ('5m', interval '5 minutes'), ('30m', interval '30 minutes'), ('1h', interval '1 hour'),
                 ('6h', interval '6 hours'), ('3d', interval '3 days')) AS w (name, span)
   CROSS JOIN LATERAL app.health_uptime_breakdown(p_monitor_id, p_now - w.span, p_now) AS b
$$;
COMMENT ON FUNCTION app.slo_burn_rates(bigint, numeric, timestamptz) IS
  'Burn rates of an availability objective over 5m, 30m, 1h, 6h and 3d ending at a time (null: nothing observed)';

-- Share of the window's error budget left: 1 - (downtime / observed) / (1 - target).
CREATE OR REPLACE FUNCTION app.slo_budget_remaining(p_monitor_id bigint, p_target numeric, p_window_days integer,
                                                    p_now timestamptz DEFAULT now())
RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN b.observed_seconds > 0 THEN round(1 - b.downtime_seconds / b.observed_seconds / (1 - p_target), 6) END
    FROM app.health_uptime_breakdown(p_monitor_id, p_now - make_interval(days => p_window_days), p_now) b
$$;
COMMENT ON FUNCTION app.slo_budget_remaining(bigint, numeric, integer, timestamptz) IS
  'Share of an objective''s error budget left over its window (1 untouched, below 0 overspent; null: nothing observed)';

-- Fires the alerts that hold and clears those that held at the last evaluation, through every
-- active uptime_incident rule naming them in slo_burn (dedup key slo:<id>:<alert>).
CREATE OR REPLACE FUNCTION app._slo_alert(p_slo app.service_slos, p_firing text[]) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
  v_monitor app.health_monitors;
  v_rule record;
  v_alert record;
  v_key text;
  v_fire record;
  v_opened uuid[] := '{}'::uuid[];
BEGIN
  SELECT * INTO STRICT v_monitor FROM app.health_monitors m WHERE m.id = p_slo.monitor_id;
  FOR v_rule IN
    SELECT r.id, r.trigger_conditions AS conditions, coalesce(r.muted_until > now(), false) AS muted
      FROM app.error_alerts r
     WHERE r.alert_type = 'uptime_incident' AND r.is_active AND r.trigger_conditions ? 'slo_burn'
       AND (r.organization_id IS NULL OR r.organization_id = p_slo.organization_id)
       AND (NOT r.trigger_conditions ? 'services' OR r.trigger_conditions -> 'services' ? v_monitor.service_name::text)
     ORDER BY r.id
  LOOP
    FOR v_alert IN SELECT a.* FROM app.slo_burn_alerts() a WHERE v_rule.conditions -> 'slo_burn' ? a.alert LOOP
      v_key := format('slo:%s:%s', p_slo.id, v_alert.alert);
      IF v_alert.alert = ANY (p_firing) AND NOT v_rule.muted THEN
        SELECT f.incident_id, f.opened INTO v_fire FROM app.alert_fire(v_rule.id, v_key, jsonb_build_object(
          'organization_id', p_slo.organization_id, 'service', v_monitor.service_name, 'severity', v_alert.severity,
          'title', format('%s: SLO %s burning its error budget %sx (%s)', v_monitor.display_name, p_slo.name,
                          p_slo.burn_rates ->> v_alert.long_window, v_alert.alert),
          'facts', jsonb_build_object(
            'slo', p_slo.name, 'slo_id', p_slo.id, 'target', p_slo.target, 'window_days', p_slo.window_days,
            'alert', v_alert.alert, 'factor', v_alert.factor, 'long_window', v_alert.long_window,
            'short_window', v_alert.short_window, 'burn_rates', p_slo.burn_rates,
            'budget_remaining', p_slo.budget_remaining, 'service_name', v_monitor.service_name,
            'display_name', v_monitor.display_name,
            'subject', format('%s SLO %s burning %sx', v_monitor.display_name, p_slo.name,
                              p_slo.burn_rates ->> v_alert.long_window)))) f;
        IF v_fire.opened THEN
          v_opened := v_opened || v_rule.id;
        END IF;
      ELSIF NOT v_alert.alert = ANY (p_firing) THEN
        PERFORM app.alert_clear(v_rule.id, v_key);
      END IF;
    END LOOP;
  END LOOP;
  RETURN v_opened;
END $$;
COMMENT ON FUNCTION app._slo_alert(app.service_slos, text[]) IS
  'Fire an objective''s holding burn-rate alerts and clear the others through the uptime_incident rules naming them';

-- An objective measured at a time: its burn rates, remaining budget and the alerts that hold.
CREATE OR REPLACE FUNCTION app.slo_measure(p_slo app.service_slos, p_now timestamptz DEFAULT now())
RETURNS app.service_slos
LANGUAGE plpgsql STABLE AS $$
BEGIN
  p_slo.burn_rates := app.slo_burn_rates(p_slo.monitor_id, p_slo.target, p_now);
  p_slo.budget_remaining := app.slo_budget_remaining(p_slo.monitor_id, p_slo.target, p_slo.window_days, p_now);
  p_slo.firing := ARRAY(SELECT a.alert FROM app.slo_burn_alerts() a
                         WHERE (p_slo.burn_rates ->> a.long_window)::numeric >= a.factor
                           AND (p_slo.burn_rates ->> a.short_window)::numeric >= a.factor
                         ORDER BY a.factor DESC);
  p_slo.evaluated_at := p_now;
  RETURN p_slo;
END $$;
COMMENT ON FUNCTION app.slo_measure(app.service_slos, timestamptz) IS
  'An objective with burn_rates, budget_remaining, firing and evaluated_at computed at a time (nothing written)';

-- pg_cron each minute (slo-evaluate): every objective's burn rates, alerts and budget. An
-- objective's alerts go through the rules only while one holds or held at the last evaluation,
-- so a quiet objective costs its six uptime sums and one row update.
CREATE OR REPLACE FUNCTION app.slo_evaluate(p_now timestamptz DEFAULT now()) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_slo app.service_slos;
  v_now app.service_slos;
  v_opened uuid[] := '{}'::uuid[];
  v_count integer := 0;
BEGIN
  FOR v_slo IN SELECT s.* FROM app.service_slos s ORDER BY s.id FOR UPDATE SKIP LOCKED LOOP
    v_now := app.slo_measure(v_slo, p_now);
    IF cardinality(v_now.firing) > 0 OR cardinality(v_slo.firing) > 0 THEN
      v_opened := v_opened || app._slo_alert(v_now, v_now.firing);
    END IF;
    UPDATE app.service_slos s
       SET burn_rates = v_now.burn_rates, budget_remaining = v_now.budget_remaining, firing = v_now.firing,
           evaluated_at = v_now.evaluated_at
     WHERE s.id = v_slo.id;
    v_count := v_count + 1;
  END LOOP;
  PERFORM app._alert_rules_triggered(v_opened);
  -- the alerts of deleted objectives resolve
  PERFORM app.alert_clear(g.rule_id, g.dedup_key) FROM app.alert_signals g
   WHERE g.resolved_at IS NULL AND g.alert_type = 'uptime_incident' AND g.dedup_key LIKE 'slo:%'
     AND NOT EXISTS (SELECT FROM app.service_slos s WHERE s.id = split_part(g.dedup_key, ':', 2)::bigint);
  RETURN v_count;
END $$;
COMMENT ON FUNCTION app.slo_evaluate(timestamptz) IS
  'pg_cron each minute: burn rates, firing alerts and remaining budget of every objective; returns how many were evaluated';

-- A new objective's figures at once (alerts wait for the next minute's evaluation). Definer: the
-- figures are the system's, not the caller's to write.
CREATE OR REPLACE FUNCTION app.slo_refresh(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_now app.service_slos;
BEGIN
  SELECT (app.slo_measure(s)).* INTO v_now FROM app.service_slos s WHERE s.id = p_id;
  UPDATE app.service_slos s
     SET burn_rates = v_now.burn_rates, budget_remaining = v_now.budget_remaining, evaluated_at = v_now.evaluated_at
   WHERE s.id = p_id;
END $$;
COMMENT ON FUNCTION app.slo_refresh(bigint) IS 'Compute a new objective''s burn rates and budget now (its alerts wait for app.slo_evaluate)';
GRANT EXECUTE ON FUNCTION app.slo_refresh(bigint) TO org_owner, system_admin;

-- == Writes (api and CLI) ==

-- An objective on the service a caller sees by that name (their organization's monitor first);
-- it belongs to the caller's organization, or for system admins (no organization) to the
-- monitor's. name defaults to the service name.
CREATE OR REPLACE FUNCTION app.slo_create(p_service_name text, p_target numeric, p_window_days integer DEFAULT 30,
                                          p_name text DEFAULT NULL, p_organization_id uuid DEFAULT NULL)
RETURNS app.service_slos
LANGUAGE plpgsql AS $$
DECLARE
  v_monitor app.health_monitors;
  v_row app.service_slos;
BEGIN
  SELECT * INTO v_monitor FROM app.health_monitors m
   WHERE m.service_name = p_service_name
     AND (p_organization_id IS NULL OR m.organization_id IS NOT DISTINCT FROM p_organization_id OR m.organization_id IS NULL)
   ORDER BY m.organization_id IS NOT DISTINCT FROM coalesce(p_organization_id, app.current_org_id()) DESC,
            m.organization_id NULLS FIRST
   LIMIT 1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'service % not found', p_service_name USING ERRCODE = 'QN765',
      DETAIL = 'No monitor you may see has this service name.', HINT = 'List services with pgwarden health list.';
  END IF;
  IF p_target IS NULL OR NOT (p_target > 0 AND p_target < 1) THEN
    RAISE EXCEPTION 'target must lie between 0 and 1' USING ERRCODE = 'QV765',
      DETAIL = format('Got %s.', coalesce(p_target::text, 'null')), HINT = 'E.g. 0.999 for 99.9 %.';
  END IF;
  IF p_window_days IS NULL OR p_window_days NOT BETWEEN 1 AND 90 THEN
    RAISE EXCEPTION 'window must be 1 to 90 days' USING ERRCODE = 'QV765',
      DETAIL = format('Got %s.', coalesce(p_window_days::text, 'null')), HINT = 'The SRE workbook''s alerts assume 30 days.';
  END IF;
  IF coalesce(p_name, p_service_name) !~ '^[a-z0-9][a-z0-9_.-]*$' OR length(coalesce(p_name, p_service_name)) > 100 THEN
    RAISE EXCEPTION 'invalid objective name' USING ERRCODE = 'QV765',
      DETAIL = 'Lowercase letters, digits, ., _ and -, at most 100.', HINT = 'E.g. api-availability.';
  END IF;
  IF EXISTS (SELECT FROM app.service_slos s
              WHERE s.name = coalesce(p_name, p_service_name)
                AND s.organization_id IS NOT DISTINCT FROM coalesce(p_organization_id, app.current_org_id(), v_monitor.organization_id)) THEN
    RAISE EXCEPTION 'an objective named % exists', coalesce(p_name, p_service_name) USING ERRCODE = 'QV765',
      DETAIL = 'Objective names are unique per organization.', HINT = 'Pick another name, or delete the other one first.';
  END IF;
  INSERT INTO app.service_slos (organization_id, monitor_id, name, target, window_days, created_by)
  VALUES (coalesce(p_organization_id, app.current_org_id(), v_monitor.organization_id), v_monitor.id,
          coalesce(p_name, p_service_name), p_target, p_window_days, app.current_user_id())
  RETURNING * INTO v_row;
  RETURN v_row;
END $$;
COMMENT ON FUNCTION app.slo_create(text, numeric, integer, text, uuid) IS
  'Create an availability objective on a service (QN765 unknown service, QV765 bad target, window or name)';

CREATE OR REPLACE FUNCTION app.slo_delete(p_name text, p_organization_id uuid DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  DELETE FROM app.service_slos s
   WHERE s.id = (SELECT x.id FROM app.service_slos x
                  WHERE x.name = p_name AND (p_organization_id IS NULL OR x.organization_id = p_organization_id)
                  ORDER BY x.organization_id IS NOT DISTINCT FROM app.current_org_id() DESC, x.organization_id NULLS FIRST
                  LIMIT 1)
  RETURNING s.id INTO v_id;
  IF v_id IS NULL THEN
    RAISE EXCEPTION 'objective % not found', p_name USING ERRCODE = 'QN765',
      DETAIL = 'No objective you may delete has this name.', HINT = 'List them with pgwarden slo list.';
  END IF;
  RETURN v_id;  -- (its open alerts resolve at the next app.slo_evaluate)
END $$;
COMMENT ON FUNCTION app.slo_delete(text, uuid) IS 'Delete an objective by name (QN765 when none); its open alerts resolve at the next evaluation';
GRANT EXECUTE ON FUNCTION app.slo_create(text, numeric, integer, text, uuid), app.slo_delete(text, uuid)
  TO org_owner, system_admin;
