-- Retention (spec: resolved errors are deleted after 30 days). pg_cron runs app.retention_run
-- nightly and app.error_events_ensure_partitions hourly (db/functions/app/930_ingest_cron.sql).

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
    CONSTRAINT retention_setting_partitions_ahead_check CHECK (partitions_ahead BETWEEN 1 AND 60)
);
COMMENT ON TABLE app.retention_setting IS 'The one row of retention policy (app.retention_run)';
COMMENT ON COLUMN app.retention_setting.resolved_errors IS 'Resolved error groups older than this (by resolved_at) are deleted with their events';
COMMENT ON COLUMN app.retention_setting.events IS 'Event partitions (days) entirely older than this are dropped; client event ids expire too';
COMMENT ON COLUMN app.retention_setting.metrics IS 'Per-minute error_metrics rows older than this are deleted';
COMMENT ON COLUMN app.retention_setting.rate_limit_usage IS 'Accepted/refused counters older than this are deleted';
COMMENT ON COLUMN app.retention_setting.partitions_ahead IS 'Daily event partitions kept ready ahead of today';
INSERT INTO app.retention_setting DEFAULT VALUES;

ALTER TABLE app.retention_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY retention_setting_system_admin ON app.retention_setting TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON app.retention_setting TO system_admin;
