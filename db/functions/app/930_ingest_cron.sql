-- pg_cron schedules of the ingest pipeline (app.cron_ensure is in 900_cron.sql). Partitions are
-- also created right here, on every deploy, so a fresh database can ingest before cron runs.
SELECT app.error_events_ensure_partitions();
SELECT app.cron_ensure('ingest-partitions', '7 * * * *', 'SELECT app.error_events_ensure_partitions()');
SELECT app.cron_ensure('ingest-retention', '17 3 * * *', 'SELECT app.retention_run()');
-- the derivation cache: stale generations out, bounded size (db/functions/app/335_derivation_cache.sql)
SELECT app.cron_ensure('ingest-derivation-cache-prune', '*/10 * * * *', 'SELECT app.derivation_cache_prune()');
-- feedback that arrived before its event (db/functions/app/620_web_ingest_items.sql)
SELECT app.cron_ensure('ingest-feedback-late-links', '* * * * *', 'SELECT app.feedback_link_late()');
