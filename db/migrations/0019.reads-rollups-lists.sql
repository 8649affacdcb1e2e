-- 0019: reads at scale. Row-level security that costs nothing, rollups of the per-minute
-- counts, and indexes for every list (issue: statistics and lists in milliseconds at 100,000
-- groups).

-- == Policies compute the organization once per statement ==

-- `organization_id = app.current_org_id()` re-reads and parses the JWT claims for every row a
-- policy checks (an org owner's statistics cost three times an admin's); as a scalar subquery it
-- is an initplan, computed once, and an index condition.
-- ---- as in db/schema/100_tenancy.sql
ALTER POLICY organizations_own ON app.organizations
  USING (id = (SELECT app.current_org_id()));
ALTER POLICY users_own_org ON app.users
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY projects_own_org ON app.projects
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY projects_owner_creates ON app.projects
  WITH CHECK (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/110_system_errors.sql
ALTER POLICY system_errors_own_org ON app.system_errors
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/120_user_error_reports.sql
ALTER POLICY user_error_reports_own_org ON app.user_error_reports
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/130_error_alerts.sql
ALTER POLICY error_alerts_own_org ON app.error_alerts
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/340_rate_limits.sql
ALTER POLICY organization_rate_limits_own_org ON app.organization_rate_limits
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY rate_limit_usage_own_org ON app.rate_limit_usage
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/350_events.sql
ALTER POLICY error_events_own_org ON app.error_events
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY error_metrics_own_org ON app.error_metrics
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/370_error_status.sql
ALTER POLICY error_status_history_own_org ON app.error_status_history
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY error_status_history_own_org_insert ON app.error_status_history
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
ALTER POLICY system_errors_own_org_update ON app.system_errors
  USING (organization_id = (SELECT app.current_org_id()))
  WITH CHECK (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/500_health.sql
ALTER POLICY health_monitors_own_org ON app.health_monitors
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY health_summary_cache_own_org ON app.health_summary_cache
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY health_checks_own_org ON app.health_checks
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY system_uptime_own_org ON app.system_uptime
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/600_web_ingest.sql
ALTER POLICY client_discards_own_org ON app.client_discards
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY dropped_items_own_org ON app.dropped_items
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY client_sessions_own_org ON app.client_sessions
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY client_session_aggregates_own_org ON app.client_session_aggregates
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY cron_check_ins_own_org ON app.cron_check_ins
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/315_personal_data.sql
ALTER POLICY personal_data_policy_own_org ON app.personal_data_policy
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY personal_data_policy_owner_changes ON app.personal_data_policy
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/390_ingest_repairs.sql
ALTER POLICY ingest_repairs_own_org ON app.ingest_repairs
  USING (organization_id = (SELECT app.current_org_id()));

-- ---- as in db/schema/700_alerts.sql
ALTER POLICY error_alerts_owner_insert ON app.error_alerts
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
ALTER POLICY error_alerts_owner_update ON app.error_alerts
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
ALTER POLICY error_alerts_owner_delete ON app.error_alerts
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY alert_destinations_own_org ON app.alert_destinations
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY alert_incidents_own_org ON app.alert_incidents
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY alert_signals_own_org ON app.alert_signals
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY alert_notifications_own_org ON app.alert_notifications
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY alert_deliveries_own_org ON app.alert_deliveries
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY alert_delivery_attempts_own_org ON app.alert_delivery_attempts
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY alert_in_app_notifications_recipient ON app.alert_in_app_notifications
  USING (user_id = (SELECT app.current_user_id())
         OR (recipient_role = current_user
             AND (current_user = 'system_admin' OR organization_id = (SELECT app.current_org_id()))))
  WITH CHECK (user_id = (SELECT app.current_user_id())
              OR (recipient_role = current_user
                  AND (current_user = 'system_admin' OR organization_id = (SELECT app.current_org_id()))));

-- == Rollups: hourly and daily counts, users per group, and their watermark ==

-- ---- as in db/schema/360_stats_rollups.sql
-- == Watermark ==

CREATE TABLE app.error_rollup (
  id           boolean PRIMARY KEY DEFAULT true CONSTRAINT error_rollup_id_check CHECK (id),
  folded_until timestamptz NOT NULL DEFAULT '-infinity',
  folded_at    timestamptz
);
COMMENT ON TABLE app.error_rollup IS 'The one row of rollup state: how far the minute counts and events are folded';
COMMENT ON COLUMN app.error_rollup.folded_until IS
  'Every minute before this (and no later one) is in the hourly, daily and users rollups; minute rows before it never change';
COMMENT ON COLUMN app.error_rollup.folded_at IS 'When the last fold ran';
INSERT INTO app.error_rollup DEFAULT VALUES;

ALTER TABLE app.error_rollup ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_rollup_read ON app.error_rollup FOR SELECT TO staff, org_owner, system_admin USING (true);
GRANT SELECT ON app.error_rollup TO staff, org_owner, system_admin;

-- == Hourly and daily counts ==

-- Buckets are UTC hours and days (date_bin from 2000-01-01 00:00 UTC, as the stats series). The
-- bucket holding the watermark is partial: it counts the minutes before the watermark only. Only
-- the primary key: the statistics read one organization's range from it alone (index-only);
-- all organizations at once and the nightly retention read it whole.
CREATE TABLE app.error_metrics_hourly (
  organization_id uuid NOT NULL,
  bucket          timestamptz NOT NULL,
  error_hash      varchar(64) NOT NULL,
  event_count     bigint NOT NULL,
  -- the count too: a range of one organization is an index-only scan
  CONSTRAINT error_metrics_hourly_pkey PRIMARY KEY (organization_id, bucket, error_hash) INCLUDE (event_count)
) WITH (fillfactor = 70);  -- the current hour's rows are bumped by every fold
COMMENT ON TABLE app.error_metrics_hourly IS 'Accepted events per organization, UTC hour and error group (minutes folded so far)';

CREATE TABLE app.error_metrics_daily (
  organization_id uuid NOT NULL,
  bucket          timestamptz NOT NULL,
  error_hash      varchar(64) NOT NULL,
  event_count     bigint NOT NULL,
  -- the count too: a range of one organization is an index-only scan
  CONSTRAINT error_metrics_daily_pkey PRIMARY KEY (organization_id, bucket, error_hash) INCLUDE (event_count)
) WITH (fillfactor = 50);  -- today's rows are bumped by every fold
COMMENT ON TABLE app.error_metrics_daily IS 'Accepted events per organization, UTC day and error group (minutes folded so far)';

ALTER TABLE app.error_metrics_hourly ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_metrics_hourly_system_admin ON app.error_metrics_hourly FOR SELECT TO system_admin USING (true);
CREATE POLICY error_metrics_hourly_own_org ON app.error_metrics_hourly FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_metrics_hourly TO staff, org_owner, system_admin;

ALTER TABLE app.error_metrics_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_metrics_daily_system_admin ON app.error_metrics_daily FOR SELECT TO system_admin USING (true);
CREATE POLICY error_metrics_daily_own_org ON app.error_metrics_daily FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_metrics_daily TO staff, org_owner, system_admin;

-- == All counts in one shape ==

-- The per-minute counts and their rollups as one relation with a level (0 minutes, 1 hours,
-- 2 days): the statistics read each piece of a range from its level (app._stats_segments).
CREATE VIEW app.error_counts WITH (security_invoker = true) AS
  SELECT 0 AS level, m.organization_id, m.bucket, m.error_hash, m.event_count::bigint AS event_count
    FROM app.error_metrics m
  UNION ALL
  SELECT 1, h.organization_id, h.bucket, h.error_hash, h.event_count FROM app.error_metrics_hourly h
  UNION ALL
  SELECT 2, d.organization_id, d.bucket, d.error_hash, d.event_count FROM app.error_metrics_daily d;
COMMENT ON VIEW app.error_counts IS 'Accepted events per organization, bucket and error group: minutes (level 0), hours (1), days (2)';
GRANT SELECT ON app.error_counts TO staff, org_owner, system_admin;

-- == Users affected ==

CREATE TABLE app.error_group_users (
  organization_id uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  user_id         varchar(255) NOT NULL,
  CONSTRAINT error_group_users_pkey PRIMARY KEY (organization_id, error_hash, user_id)
);
COMMENT ON TABLE app.error_group_users IS 'Each user id seen in a group''s events (folded so far)';

-- one row per group with at least one user; the "most users" list walks its index
CREATE TABLE app.error_group_user_counts (
  organization_id uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  error_id        uuid NOT NULL,
  users_affected  integer NOT NULL,
  CONSTRAINT error_group_user_counts_pkey PRIMARY KEY (organization_id, error_hash)
);
COMMENT ON TABLE app.error_group_user_counts IS 'Distinct users per error group (the rows of app.error_group_users, counted)';
COMMENT ON COLUMN app.error_group_user_counts.error_id IS 'The group (system_errors.id): the tie-breaker of the list order';
CREATE INDEX idx_error_group_user_counts_rank ON app.error_group_user_counts (organization_id, users_affected DESC, error_id DESC);

ALTER TABLE app.error_group_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_users_system_admin ON app.error_group_users FOR SELECT TO system_admin USING (true);
CREATE POLICY error_group_users_own_org ON app.error_group_users FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_users TO staff, org_owner, system_admin;

ALTER TABLE app.error_group_user_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_user_counts_system_admin ON app.error_group_user_counts FOR SELECT TO system_admin USING (true);
CREATE POLICY error_group_user_counts_own_org ON app.error_group_user_counts FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_user_counts TO staff, org_owner, system_admin;

-- ---- as in db/schema/380_retention.sql
COMMENT ON COLUMN app.retention_setting.metrics IS
  'Counts (per-minute error_metrics and their hourly and daily rollups) of UTC days entirely older than this are deleted';

-- == Lists: bands of the volatile sort columns, indexes led by organization_id ==

-- ---- as in db/schema/365_error_lists.sql (see there why bands)
-- == Bands ==

CREATE FUNCTION app.last_seen_band(p_last_seen_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_bin('5 seconds', p_last_seen_at, timestamptz '2000-01-01 00:00:00+00')
$$;
COMMENT ON FUNCTION app.last_seen_band(timestamptz) IS 'The 5-second band of a last-seen time (list order: band, then time)';

-- 0 below 64 (a young group's every event would change a finer band), then the top three bits
-- of the count: a band changes about four times as the count doubles
CREATE FUNCTION app.occurrence_band(p_count integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_count < 64 THEN 0
              ELSE (p_count >> (floor(ln(p_count::float8) / ln(2::float8))::integer - 2))
                   << (floor(ln(p_count::float8) / ln(2::float8))::integer - 2) END
$$;
COMMENT ON FUNCTION app.occurrence_band(integer) IS
  'The band of an occurrence count: 0 below 64, else its top three bits (list order: band, then count)';

GRANT EXECUTE ON FUNCTION app.last_seen_band(timestamptz), app.occurrence_band(integer) TO staff, org_owner, system_admin;

ALTER TABLE app.system_errors
  ADD COLUMN last_seen_band timestamptz GENERATED ALWAYS AS (app.last_seen_band(last_seen_at)) STORED,
  ADD COLUMN occurrence_band integer GENERATED ALWAYS AS (app.occurrence_band(occurrence_count)) STORED;
COMMENT ON COLUMN app.system_errors.last_seen_band IS
  'last_seen_at in 5-second bands, for the list indexes: order by last_seen_band, last_seen_at, id';
COMMENT ON COLUMN app.system_errors.occurrence_band IS
  'occurrence_count in bands (0 below 64, then three significant bits), for the list indexes: order by occurrence_band, occurrence_count, id';

-- == List indexes ==

CREATE INDEX idx_errors_org_last_seen ON app.system_errors (organization_id, last_seen_band DESC);
CREATE INDEX idx_errors_org_occurrences ON app.system_errors (organization_id, occurrence_band DESC);
-- a filter with either order: read from the filter's index in the list's order, never walked
-- along the whole organization in search of the few matching rows
CREATE INDEX idx_errors_org_status ON app.system_errors (organization_id, status, last_seen_band DESC);
CREATE INDEX idx_errors_org_severity ON app.system_errors (organization_id, severity, last_seen_band DESC);
CREATE INDEX idx_errors_org_type ON app.system_errors (organization_id, error_type, last_seen_band DESC);
CREATE INDEX idx_errors_org_status_occurrences ON app.system_errors (organization_id, status, occurrence_band DESC);
CREATE INDEX idx_errors_org_severity_occurrences ON app.system_errors (organization_id, severity, occurrence_band DESC);
CREATE INDEX idx_errors_org_type_occurrences ON app.system_errors (organization_id, error_type, occurrence_band DESC);

-- == Enum filters under row-level security ==

-- A filter such as status = 'new' may be an index condition under RLS only if its operator is
-- leakproof (else it must wait until the policy has filtered the rows). PostgreSQL does not mark
-- enum equality leakproof, though it compares two OIDs and cannot fail. Only a superuser may
-- mark it; elsewhere the filters still work, checked row by row after the organization index.
DO $$
BEGIN
  IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.enum_eq(anyenum, anyenum) LEAKPROOF;
  ELSE
    RAISE NOTICE 'enum_eq left as it is: only a superuser may mark it leakproof';
  END IF;
END $$;

-- == The statistics read each active group's attributes from the dedupe key ==

-- ---- as in db/schema/330_capture.sql
DROP INDEX app.system_errors_organization_id_error_hash_key;
CREATE UNIQUE INDEX system_errors_organization_id_error_hash_key ON app.system_errors (organization_id, error_hash)
  INCLUDE (id, error_type, severity, status, first_seen_at);

-- ---- as in db/schema/800_reports.sql and 450_ai.sql (user reports and AI analysis landed first)
ALTER POLICY user_error_reports_owner_update ON app.user_error_reports
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
ALTER POLICY user_error_report_history_own_org ON app.user_error_report_history
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY user_error_report_history_owner_insert ON app.user_error_report_history
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
ALTER POLICY project_widget_keys_own_org ON app.project_widget_keys
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY project_widget_keys_owner_insert ON app.project_widget_keys
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
ALTER POLICY project_widget_keys_owner_update ON app.project_widget_keys
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
ALTER POLICY report_screenshots_own_org ON app.report_screenshots
  USING (organization_id = (SELECT app.current_org_id()));
ALTER POLICY ai_analysis_run_own_org ON app.ai_analysis_run
  USING (organization_id = (SELECT app.current_org_id()));
