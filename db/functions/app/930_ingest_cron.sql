-- pg_cron schedules of the ingest pipeline (app.cron_ensure is in 900_cron.sql). Partitions are
-- also created right here, on every deploy, so a fresh database can ingest before cron runs.
SELECT app.error_events_ensure_partitions();
SELECT app.cron_ensure('ingest-partitions', '7 * * * *', 'SELECT app.error_events_ensure_partitions()');
SELECT app.cron_ensure('ingest-retention', '17 3 * * *', 'SELECT app.retention_run()');
-- the derivation cache: stale generations out, bounded size (db/functions/app/335_derivation_cache.sql)
SELECT app.cron_ensure('ingest-derivation-cache-prune', '*/10 * * * *', 'SELECT app.derivation_cache_prune()');
-- reports (feedback among them) that arrived before their error (db/functions/app/810_reports_link.sql)
SELECT app.cron_ensure('ingest-feedback-late-links', '* * * * *', 'SELECT app.report_link_late()');
-- statistics rollups: the final minutes into hours, days and users per group (db/functions/app/360_stats_rollups.sql)
SELECT app.cron_ensure('stats-rollup', '* * * * *', 'SELECT app.error_rollup_fold()');
