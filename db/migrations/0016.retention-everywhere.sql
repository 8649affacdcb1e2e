-- 0016: retention for everything that grows with traffic or time: SDK sessions and their hourly
-- counts, client reports and dropped items, cron check-ins, ingest repairs, closed user reports,
-- pg_cron's run log, uptime intervals; and old notifications of incidents that stay open.

-- ---- as in db/schema/380_retention.sql
ALTER TABLE app.retention_setting
  ADD COLUMN client_sessions interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_client_sessions_check CHECK (client_sessions >= interval '1 day'),
  ADD COLUMN client_session_aggregates interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_client_session_aggregates_check CHECK (client_session_aggregates >= interval '1 day'),
  ADD COLUMN client_discards interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_client_discards_check CHECK (client_discards >= interval '1 day'),
  ADD COLUMN dropped_items interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_dropped_items_check CHECK (dropped_items >= interval '1 day'),
  ADD COLUMN cron_check_ins interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_cron_check_ins_check CHECK (cron_check_ins >= interval '1 day'),
  ADD COLUMN ingest_repairs interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_ingest_repairs_check CHECK (ingest_repairs >= interval '1 day'),
  ADD COLUMN closed_reports interval NOT NULL DEFAULT '365 days'
    CONSTRAINT retention_setting_closed_reports_check CHECK (closed_reports >= interval '1 day'),
  ADD COLUMN cron_run_details interval NOT NULL DEFAULT '7 days'
    CONSTRAINT retention_setting_cron_run_details_check CHECK (cron_run_details >= interval '1 hour');
COMMENT ON COLUMN app.retention_setting.client_sessions IS 'SDK sessions (release health) not updated for this long are deleted';
COMMENT ON COLUMN app.retention_setting.client_session_aggregates IS 'Hourly session counts (sessions items) older than this are deleted';
COMMENT ON COLUMN app.retention_setting.client_discards IS 'Hourly counts of what SDKs dropped before sending (client reports) older than this are deleted';
COMMENT ON COLUMN app.retention_setting.dropped_items IS 'Hourly counts of envelope items accepted but not kept older than this are deleted';
COMMENT ON COLUMN app.retention_setting.cron_check_ins IS 'Cron monitor check-ins not updated for this long are deleted';
COMMENT ON COLUMN app.retention_setting.ingest_repairs IS 'Hourly counts of repaired input (ingest_repairs) older than this are deleted';
COMMENT ON COLUMN app.retention_setting.closed_reports IS 'User error reports resolved, closed or duplicate for this long are deleted; open ones stay';
COMMENT ON COLUMN app.retention_setting.cron_run_details IS 'pg_cron''s log of job runs (cron.job_run_details) older than this is deleted';

-- ---- as in db/schema/500_health.sql
UPDATE app.health_settings
   SET description = 'health_checks rows older than this are deleted nightly (uptime intervals: uptime_retention_days)'
 WHERE key = 'checks_retention_days';
INSERT INTO app.health_settings (key, value, description) VALUES
  ('uptime_retention_days', '3650', 'system_uptime intervals that ended longer ago than this are deleted nightly (calculate_uptime reaches back 3650 days)');

-- ---- as in db/schema/700_alerts.sql
UPDATE app.alert_settings
   SET description = 'resolved incidents (with their notifications, deliveries, attempts), and finished notifications of open ones, are kept this long'
 WHERE key = 'history_retention_days';
