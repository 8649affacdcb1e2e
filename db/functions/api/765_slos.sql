-- Service level objectives and their error budgets (db/functions/app/765_slos.sql).

CREATE VIEW api.slos WITH (security_invoker = true) AS
  SELECT s.id, s.organization_id, s.name, m.service_name, m.display_name, s.target, s.window_days,
         round((1 - s.target) * s.window_days * 86400) AS budget_seconds,
         s.budget_remaining,
         round(s.budget_remaining * (1 - s.target) * s.window_days * 86400) AS budget_remaining_seconds,
         s.burn_rates, s.firing, s.evaluated_at, s.created_by, s.created_at, s.updated_at
    FROM app.service_slos s JOIN app.health_monitors m ON m.id = s.monitor_id;
COMMENT ON VIEW api.slos IS $$Service level objectives and their error budgets

Availability of a service (time-weighted over its status intervals, as calculate_uptime) against
target over the last window_days. budget_seconds is the downtime the window allows ((1 - target) x
window); budget_remaining the share of it left (1 untouched, below 0 overspent), and in seconds.
burn_rates (error ratio / budget over 5m, 30m, 1h, 6h, 3d) and firing (page_fast: 14.4x over 1h
and 5m; page_slow: 6x over 6h and 30m; ticket: 1x over 3d and 6h) are refreshed each minute.
uptime_incident rules with trigger_conditions {"slo_burn": [...]} notify on them.$$;
GRANT SELECT ON api.slos TO staff, org_owner, system_admin;

CREATE FUNCTION api.create_slo(p_service_name text, p_target numeric, p_window_days integer DEFAULT 30,
                               p_name text DEFAULT NULL) RETURNS api.slos
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
  v_row api.slos;
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  v_id := (app.slo_create(p_service_name, p_target, p_window_days, p_name)).id;
  PERFORM app.slo_refresh(v_id);
  SELECT * INTO v_row FROM api.slos s WHERE s.id = v_id;
  RETURN v_row;
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.create_slo(text, numeric, integer, text) IS $$Create an availability objective for a service

The objective belongs to your organization; its budget and burn rates are computed at once and
then each minute. Returns the row of /slos.

Parameters:
- p_service_name: the monitored service (its service name)
- p_target: the share of observed time it must be up, between 0 and 1 (e.g. 0.999)
- p_window_days: the rolling window, 1 to 90 days (default 30)
- p_name: a name, unique in your organization (default the service name)

Errors: QV765 400 (target, window or name invalid, or the name is taken), QN765 404 (no service you may see by that name).

Example: curl -X POST "$API/rpc/create_slo" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"p_service_name": "api", "p_target": 0.999}'$$;
GRANT EXECUTE ON FUNCTION api.create_slo(text, numeric, integer, text) TO org_owner, system_admin;

CREATE FUNCTION api.delete_slo(p_name text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.slo_delete(p_name);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.delete_slo(text) IS $$Delete an availability objective

Returns its id. Its open burn-rate alerts resolve within a minute.

Parameters:
- p_name: the objective's name

Errors: QN765 404 (no objective you may delete by that name).

Example: curl -X POST "$API/rpc/delete_slo" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"p_name": "api"}'$$;
GRANT EXECUTE ON FUNCTION api.delete_slo(text) TO org_owner, system_admin;
