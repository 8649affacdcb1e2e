-- 0036: a push monitor's heartbeat arrivals per minute, the history of its hour-of-week baseline.

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
