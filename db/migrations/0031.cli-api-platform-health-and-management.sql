-- 0031: the platform's own services (monitors without an organization) are read by every signed-in
-- role, as the public status page shows them to everyone: org owners and staff read their summary,
-- checks and uptime (read-only: writes stay with system admins), plus their own organization's.

-- ---- as in db/schema/500_health.sql
DROP POLICY health_monitors_own_org ON app.health_monitors;
CREATE POLICY health_monitors_own_org ON app.health_monitors FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));
DROP POLICY health_summary_cache_own_org ON app.health_summary_cache;
CREATE POLICY health_summary_cache_own_org ON app.health_summary_cache FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));
DROP POLICY health_checks_own_org ON app.health_checks;
CREATE POLICY health_checks_own_org ON app.health_checks FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));
DROP POLICY system_uptime_own_org ON app.system_uptime;
CREATE POLICY system_uptime_own_org ON app.system_uptime FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));

-- Every object manageable: maintenance windows are edited and deleted, users deleted. A deleted
-- user's marks on errors, reports, alerts and maintenance stay, without the person.
-- ---- as in db/schema/500_health.sql and 800_web_app.sql
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QN503', 404, 'maintenance window not found'),
  ('QSW01', 409, 'the last system admin who can sign in cannot be deleted');
-- ---- as in db/schema/110_system_errors.sql, 120_user_error_reports.sql, 130_error_alerts.sql, 500_health.sql
ALTER TABLE app.system_errors
  DROP CONSTRAINT system_errors_user_id_fkey,
  ADD CONSTRAINT system_errors_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users (id) ON DELETE SET NULL,
  DROP CONSTRAINT system_errors_resolved_by_fkey,
  ADD CONSTRAINT system_errors_resolved_by_fkey FOREIGN KEY (resolved_by) REFERENCES app.users (id) ON DELETE SET NULL;
ALTER TABLE app.user_error_reports
  DROP CONSTRAINT user_error_reports_reporter_id_fkey,
  ADD CONSTRAINT user_error_reports_reporter_id_fkey FOREIGN KEY (reporter_id) REFERENCES app.users (id) ON DELETE SET NULL,
  DROP CONSTRAINT user_error_reports_assigned_to_fkey,
  ADD CONSTRAINT user_error_reports_assigned_to_fkey FOREIGN KEY (assigned_to) REFERENCES app.users (id) ON DELETE SET NULL;
ALTER TABLE app.error_alerts
  DROP CONSTRAINT error_alerts_created_by_fkey,
  ADD CONSTRAINT error_alerts_created_by_fkey FOREIGN KEY (created_by) REFERENCES app.users (id) ON DELETE SET NULL;
ALTER TABLE app.health_maintenance_windows
  DROP CONSTRAINT health_maintenance_windows_created_by_fkey,
  ADD CONSTRAINT health_maintenance_windows_created_by_fkey FOREIGN KEY (created_by) REFERENCES app.users (id)
    ON DELETE SET NULL;
