-- Health schedules: probes and push judgements each minute, the summary cache each minute,
-- retention of raw checks nightly.
SELECT app.cron_ensure('health-enqueue-due', '* * * * *', 'SELECT app.health_enqueue_due()');
SELECT app.cron_ensure('health-refresh-cache', '* * * * *', 'SELECT app.health_refresh_cache()');
SELECT app.cron_ensure('health-retention', '17 3 * * *', 'SELECT app.health_retention_run()');
