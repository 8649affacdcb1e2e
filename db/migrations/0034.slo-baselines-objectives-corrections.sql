-- 0034: a push monitor's heartbeat arrivals per minute (the history of its hour-of-week baseline),
-- service level objectives with their burn-rate alerts (uptime_incident rules naming slo_burn), and
-- uptime corrections with their per-day lineage.

-- ---- as in db/schema/515_health_heartbeat_baseline.sql
CREATE TABLE app.health_heartbeat_minutes (
  monitor_id      bigint NOT NULL REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  minute          timestamptz NOT NULL,
  arrivals        integer NOT NULL DEFAULT 1,
  CONSTRAINT health_heartbeat_minutes_pkey PRIMARY KEY (monitor_id, minute)
);
COMMENT ON TABLE app.health_heartbeat_minutes IS
  'Heartbeats received per push monitor and minute (kept heartbeat_baseline_keep_days): the arrival history of the hour-of-week baseline';

ALTER TABLE app.health_heartbeat_minutes ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_heartbeat_minutes_system_admin ON app.health_heartbeat_minutes FOR SELECT TO system_admin USING (true);
CREATE POLICY health_heartbeat_minutes_own_org ON app.health_heartbeat_minutes FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.health_heartbeat_minutes TO staff, org_owner, system_admin;

INSERT INTO app.health_settings (key, value, description) VALUES
  ('heartbeat_baseline_weeks', '4', 'weeks of heartbeat history a push monitor''s hour-of-week baseline compares with'),
  ('heartbeat_baseline_min_weeks', '2',
   'a push monitor is judged against its baseline once this many weeks of history exist (before: max_age_seconds alone)'),
  ('heartbeat_baseline_keep_days', '35', 'heartbeat arrivals per minute are kept this long (the baseline reads the last 4 weeks)');

-- ---- as in db/schema/765_slos.sql

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
CREATE INDEX idx_service_slos_org ON app.service_slos (organization_id);

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

-- ---- as in db/schema/535_health_uptime_corrections.sql

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV535', 400, 'invalid uptime correction (kind, range, reason)');

CREATE TABLE app.uptime_corrections (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  monitor_id      bigint NOT NULL REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  kind            text NOT NULL,
  during          tstzrange NOT NULL,
  reason          text NOT NULL,
  author          text NOT NULL,
  created_by      uuid REFERENCES app.users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uptime_corrections_kind_check CHECK (kind IN ('false_positive', 'late_maintenance', 'probe_bug')),
  CONSTRAINT uptime_corrections_during_check
    CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)),
  CONSTRAINT uptime_corrections_reason_check CHECK (length(reason) BETWEEN 1 AND 1000)
);
COMMENT ON TABLE app.uptime_corrections IS $$Corrections of a monitor's recorded uptime over a range, with who and why.

false_positive: the service was up; the range counts as operational. late_maintenance: planned
work entered after the fact; probe_bug: the probe's verdicts cannot be trusted. Both leave the
range out of uptime (like maintenance).$$;
COMMENT ON COLUMN app.uptime_corrections.author IS 'Who corrected: the signed-in user''s e-mail, or the command line''s operating-system user';
CREATE INDEX idx_uptime_corrections_monitor ON app.uptime_corrections (monitor_id, lower(during));

CREATE TABLE app.uptime_correction_days (
  correction_id   bigint NOT NULL REFERENCES app.uptime_corrections (id) ON DELETE CASCADE,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  monitor_id      bigint NOT NULL REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  day             date NOT NULL,
  previous        jsonb NOT NULL,
  corrected       jsonb NOT NULL,
  CONSTRAINT uptime_correction_days_pkey PRIMARY KEY (correction_id, day)
);
COMMENT ON TABLE app.uptime_correction_days IS
  'Lineage: a correction''s UTC days (only those its range touches), each with its figures before and after (app.health_uptime_breakdown)';
CREATE INDEX idx_uptime_correction_days_monitor ON app.uptime_correction_days (monitor_id, day);

ALTER TABLE app.uptime_corrections ENABLE ROW LEVEL SECURITY;
CREATE POLICY uptime_corrections_system_admin ON app.uptime_corrections FOR SELECT TO system_admin USING (true);
CREATE POLICY uptime_corrections_own_org ON app.uptime_corrections FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
ALTER TABLE app.uptime_correction_days ENABLE ROW LEVEL SECURITY;
CREATE POLICY uptime_correction_days_system_admin ON app.uptime_correction_days FOR SELECT TO system_admin USING (true);
CREATE POLICY uptime_correction_days_own_org ON app.uptime_correction_days FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.uptime_corrections, app.uptime_correction_days TO staff, org_owner, system_admin;
