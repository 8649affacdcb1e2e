-- Retention (spec: resolved errors are deleted after 30 days), and of everything else that grows
-- with traffic or time: SDK sessions and counters, check-ins, repairs, closed reports, pg_cron's own
-- log. pg_cron runs app.retention_run nightly and app.error_events_ensure_partitions hourly
-- (db/functions/app/930_ingest_cron.sql). Job history, health checks and uptime intervals, and alert
-- history have their own settings (app.job_setting, app.health_settings, app.alert_settings).

CREATE TABLE app.retention_setting (
  id                 boolean PRIMARY KEY DEFAULT true CONSTRAINT retention_setting_id_check CHECK (id),
  resolved_errors    interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_resolved_errors_check CHECK (resolved_errors > interval '0'),
  events             interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_events_check CHECK (events >= interval '1 day'),
  metrics            interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_metrics_check CHECK (metrics >= interval '1 day'),
  rate_limit_usage   interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_rate_limit_usage_check CHECK (rate_limit_usage >= interval '1 hour'),
  partitions_ahead   integer NOT NULL DEFAULT 7
    CONSTRAINT retention_setting_partitions_ahead_check CHECK (partitions_ahead BETWEEN 1 AND 60),
  client_sessions    interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_client_sessions_check CHECK (client_sessions >= interval '1 day'),
  client_session_aggregates interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_client_session_aggregates_check CHECK (client_session_aggregates >= interval '1 day'),
  client_discards    interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_client_discards_check CHECK (client_discards >= interval '1 day'),
  dropped_items      interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_dropped_items_check CHECK (dropped_items >= interval '1 day'),
  cron_check_ins     interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_cron_check_ins_check CHECK (cron_check_ins >= interval '1 day'),
  ingest_repairs     interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_ingest_repairs_check CHECK (ingest_repairs >= interval '1 day'),
  closed_reports     interval NOT NULL DEFAULT '365 days'
    CONSTRAINT retention_setting_closed_reports_check CHECK (closed_reports >= interval '1 day'),
  cron_run_details   interval NOT NULL DEFAULT '7 days'
    CONSTRAINT retention_setting_cron_run_details_check CHECK (cron_run_details >= interval '1 hour')
);
COMMENT ON TABLE app.retention_setting IS 'The one row of retention policy (app.retention_run)';
COMMENT ON COLUMN app.retention_setting.resolved_errors IS 'Resolved error groups older than this (by resolved_at) are deleted with their events';
COMMENT ON COLUMN app.retention_setting.events IS 'Event partitions (days) entirely older than this are dropped; client event ids expire too';
COMMENT ON COLUMN app.retention_setting.metrics IS
  'Counts (per-minute error_metrics and their hourly and daily rollups) of UTC days entirely older than this are deleted';
COMMENT ON COLUMN app.retention_setting.rate_limit_usage IS 'Accepted/refused counters (rate_limit_usage, ingest_refusals) older than this are deleted';
COMMENT ON COLUMN app.retention_setting.partitions_ahead IS 'Daily event partitions kept ready ahead of today';
COMMENT ON COLUMN app.retention_setting.client_sessions IS 'SDK sessions (release health) not updated for this long are deleted';
COMMENT ON COLUMN app.retention_setting.client_session_aggregates IS 'Hourly session counts (sessions items) older than this are deleted';
COMMENT ON COLUMN app.retention_setting.client_discards IS 'Hourly counts of what SDKs dropped before sending (client reports) older than this are deleted';
COMMENT ON COLUMN app.retention_setting.dropped_items IS 'Hourly counts of envelope items accepted but not kept older than this are deleted';
COMMENT ON COLUMN app.retention_setting.cron_check_ins IS 'Cron monitor check-ins not updated for this long are deleted';
COMMENT ON COLUMN app.retention_setting.ingest_repairs IS 'Hourly counts of repaired input (ingest_repairs) older than this are deleted';
COMMENT ON COLUMN app.retention_setting.closed_reports IS 'User error reports resolved, closed or duplicate for this long are deleted; open ones stay';
COMMENT ON COLUMN app.retention_setting.cron_run_details IS 'pg_cron''s log of job runs (cron.job_run_details) older than this is deleted';
INSERT INTO app.retention_setting DEFAULT VALUES;

ALTER TABLE app.retention_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY retention_setting_system_admin ON app.retention_setting TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON app.retention_setting TO system_admin;
