-- 0018: reads at scale. Row-level security that costs nothing, rollups of the per-minute
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
