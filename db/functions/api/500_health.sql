-- == Views ==

CREATE VIEW api.health_monitors WITH (security_invoker = true) AS
  SELECT m.id, m.organization_id, m.service_name, m.display_name, m.check_type, m.probe, m.endpoint,
         m.interval_seconds, m.timeout_seconds, m.failure_threshold, m.success_threshold, m.expected,
         m.outage_status, m.enabled, m.is_public, s.status, s.status_since, s.last_status, s.last_checked_at,
         s.last_response_time_ms, s.consecutive_failures, s.consecutive_successes, m.created_at, m.updated_at
    FROM app.health_monitors m LEFT JOIN app.health_monitor_state s ON s.monitor_id = m.id;
COMMENT ON VIEW api.health_monitors IS $$Health monitors and their current state

Your organization's monitors (all of them, platform-wide ones included, for system admins).
status is the state after the failure/success thresholds; last_status the latest check's verdict.
Targets and heartbeat tokens are not shown here.$$;
GRANT SELECT ON api.health_monitors TO staff, org_owner, system_admin;

CREATE VIEW api.maintenance_windows WITH (security_invoker = true) AS
  SELECT w.id, w.monitor_id, m.service_name, m.organization_id, lower(w.during) AS starts_at,
         upper(w.during) AS ends_at, w.reason, w.created_by, w.created_at
    FROM app.health_maintenance_windows w JOIN app.health_monitors m ON m.id = w.monitor_id;
COMMENT ON VIEW api.maintenance_windows IS $$Planned maintenance windows

Probes keep running during a window and their results are kept, but its time counts neither as
up nor as down in uptime.$$;
GRANT SELECT ON api.maintenance_windows TO staff, org_owner, system_admin;

-- == Functions ==

CREATE FUNCTION api.calculate_uptime(p_service_name text, p_days integer DEFAULT 30) RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_monitor_id bigint;
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  IF p_days IS NULL OR p_days NOT BETWEEN 1 AND 3650 THEN
    RAISE EXCEPTION 'p_days must be between 1 and 3650' USING ERRCODE = 'QV501',
      DETAIL = format('Got %s.', coalesce(p_days::text, 'null')), HINT = 'Ask for 1 to 3650 days (default 30).';
  END IF;
  v_monitor_id := app.health_visible_monitor_id(p_service_name);
  IF v_monitor_id IS NULL THEN
    RAISE EXCEPTION 'service % not found', p_service_name USING ERRCODE = 'QN501',
      DETAIL = 'No monitor you may see has this service name.', HINT = 'List services with GET /health_monitors.';
  END IF;
  RETURN (SELECT b.uptime_percentage
            FROM app.health_uptime_breakdown(v_monitor_id, now() - make_interval(days => p_days), now()) b);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
WHEN query_canceled THEN  -- the role's statement_timeout: 429, not PostgREST's 500
  PERFORM app.raise_statement_timeout();
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.calculate_uptime(text, integer) IS $$Uptime percentage of a service over the last p_days days

Time-weighted over the service's status intervals: downtime = major_outage time + 0.3 x
partial_outage time (degraded counts as up; both weights are settings); uptime = 100 x (1 -
downtime / observed time). Maintenance windows and time without data (unknown) are excluded from
both. NULL when nothing was observed in the window; 404 for a service you cannot see.

Parameters:
- p_service_name: the monitor's service name (text)
- p_days: days back from now (integer 1 to 3650, default 30)

Errors: QV501 400 (p_days out of range), QN501 404 (service not found or not visible to you).

Example: curl -X POST "$API/rpc/calculate_uptime" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"p_service_name": "api", "p_days": 7}'$$;
GRANT EXECUTE ON FUNCTION api.calculate_uptime(text, integer) TO staff, org_owner, system_admin;

CREATE FUNCTION api.get_health_summary() RETURNS jsonb
LANGUAGE sql STABLE AS $$ SELECT app.health_summary(now()) $$;
COMMENT ON FUNCTION api.get_health_summary() IS $$Health of every service you may see, cached one minute

{overall_status, computed_at, services: [{service_name, display_name, check_type, enabled,
status, status_since, last_status, last_checked_at, response_time_ms, in_maintenance,
uptime_24h, uptime_30d}]}. overall_status is the worst known status of the enabled services not
in maintenance (unhealthy > degraded > healthy; unknown when none is known).

Errors: QA042 401 (no token).

Example: curl -X POST "$API/rpc/get_health_summary" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{}'$$;
GRANT EXECUTE ON FUNCTION api.get_health_summary() TO staff, org_owner, system_admin;

CREATE FUNCTION api.get_status_page() RETURNS jsonb
LANGUAGE sql STABLE AS $$ SELECT app.health_status_page(now()) $$;
COMMENT ON FUNCTION api.get_status_page() IS $$The public status page (no login needed)

Public platform-wide components with their status (operational, degraded, partial_outage,
major_outage, maintenance; null without data), 90-day uptime and 90 daily bars (UTC days), the
overall indicator (none, minor, major, critical, maintenance), 30-day uptime, the last incident and
the uptime method. Cached one minute.

Errors: none specific (public; QR002 429 on timeout).

Example: curl -X POST "$API/rpc/get_status_page" -H "Content-Type: application/json" -d '{}'$$;
GRANT EXECUTE ON FUNCTION api.get_status_page() TO anon, staff, org_owner, system_admin;

-- == Maintenance windows: change and remove (add_maintenance_window is in 800_web.sql) ==

CREATE FUNCTION api.update_maintenance_window(window_id bigint, starts_at text DEFAULT NULL, ends_at text DEFAULT NULL,
                                              reason text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  -- times as text, read by app.moment: ISO 8601, now, +1h, -30m (a malformed one is QV001 naming it)
  PERFORM app.health_maintenance_edit(update_maintenance_window.window_id,
                                      app.moment(update_maintenance_window.starts_at, 'starts_at'),
                                      app.moment(update_maintenance_window.ends_at, 'ends_at'),
                                      update_maintenance_window.reason);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.update_maintenance_window(bigint, text, text, text) IS $$Change a maintenance window (system admins)

What is left out stays as it was; an empty reason clears it.

Parameters:
- window_id: the window (integer, from GET /maintenance_windows)
- starts_at: new start (text: ISO 8601, now, +1h, -30m)
- ends_at: new end, after the start (text: ISO 8601, now, +1h, -30m)
- reason: shown on the status page (text)

Errors: QV001 400 (a time not understood, named in details), QV501 400 (ends before it starts), QN503 404 (window not found).

Example: curl -X POST "$API/rpc/update_maintenance_window" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"window_id": 1, "ends_at": "+2h"}'$$;
GRANT EXECUTE ON FUNCTION api.update_maintenance_window(bigint, text, text, text) TO system_admin;

CREATE FUNCTION api.delete_maintenance_window(window_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  PERFORM app.health_maintenance_delete(delete_maintenance_window.window_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.delete_maintenance_window(bigint) IS $$Delete a maintenance window (system admins)

Parameters:
- window_id: the window (integer, from GET /maintenance_windows)

Errors: QN503 404 (window not found).

Example: curl -X POST "$API/rpc/delete_maintenance_window" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"window_id": 1}'$$;
GRANT EXECUTE ON FUNCTION api.delete_maintenance_window(bigint) TO system_admin;
