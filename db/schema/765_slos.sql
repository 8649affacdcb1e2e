-- Service level objectives: availability of a monitored service (from its system_uptime intervals,
-- the time-weighted uptime maths of app.health_uptime_breakdown) against a target over a rolling
-- window, with the Google SRE multi-window multi-burn-rate alerts evaluated by pg_cron each minute
-- and fired through uptime_incident rules that name them (trigger_conditions.slo_burn).
-- Functions: db/functions/app/765_slos.sql; the API: db/functions/api/765_slos.sql.

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV765', 400, 'invalid service level objective (target, window, name)'),
  ('QN765', 404, 'service level objective not found');

CREATE TABLE app.service_slos (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id  uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  monitor_id       bigint NOT NULL REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  name             varchar(100) NOT NULL,
  target           numeric(8, 6) NOT NULL,
  window_days      integer NOT NULL DEFAULT 30,
  created_by       uuid REFERENCES app.users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- written by app.slo_evaluate each minute
  burn_rates       jsonb NOT NULL DEFAULT '{}',
  firing           text[] NOT NULL DEFAULT '{}',
  budget_remaining numeric,
  evaluated_at     timestamptz,
  CONSTRAINT service_slos_name_key UNIQUE NULLS NOT DISTINCT (organization_id, name),
  CONSTRAINT service_slos_name_check CHECK (name ~ '^[a-z0-9][a-z0-9_.-]*$'),
  CONSTRAINT service_slos_target_check CHECK (target > 0 AND target < 1),
  CONSTRAINT service_slos_window_days_check CHECK (window_days BETWEEN 1 AND 90)
);
COMMENT ON TABLE app.service_slos IS $$Availability objectives: the share of observed time a service is up (target) over a rolling window.

Error budget = 1 - target. burn_rates holds the error ratio / budget over 5m, 30m, 1h, 6h and 3d;
firing the alerts that hold (page_fast: 14.4x over 1h and 5m, page_slow: 6x over 6h and 30m,
ticket: 1x over 3d and 6h); budget_remaining the share of the window's budget left (1 = untouched,
below 0 = overspent). Maintenance and time without data count neither way.$$;
CREATE INDEX idx_service_slos_monitor ON app.service_slos (monitor_id);

ALTER TABLE app.service_slos ENABLE ROW LEVEL SECURITY;
CREATE POLICY service_slos_system_admin ON app.service_slos TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY service_slos_own_org ON app.service_slos FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY service_slos_owner_insert ON app.service_slos FOR INSERT TO org_owner
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
CREATE POLICY service_slos_owner_update ON app.service_slos FOR UPDATE TO org_owner
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
CREATE POLICY service_slos_owner_delete ON app.service_slos FOR DELETE TO org_owner
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.service_slos TO staff, org_owner, system_admin;
GRANT INSERT (organization_id, monitor_id, name, target, window_days, created_by), DELETE ON app.service_slos
  TO org_owner, system_admin;
GRANT UPDATE (target, window_days, updated_at) ON app.service_slos TO org_owner, system_admin;

INSERT INTO app.alert_condition_keys (alert_type, key, value_type, enum_type, allowed, pattern, min_value, max_value, description) VALUES
  ('uptime_incident', 'slo_burn', 'text_array', NULL, ARRAY['page_fast', 'page_slow', 'ticket'], NULL, NULL, NULL,
   'fire on these burn-rate alerts of the services'' SLOs instead of on outage intervals (page_fast 14.4x over 1h and 5m, page_slow 6x over 6h and 30m, ticket 1x over 3d and 6h)');
