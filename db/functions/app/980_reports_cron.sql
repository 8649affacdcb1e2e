-- pg_cron schedules of user error reports (the late links run with ingest's: 930_ingest_cron.sql).
SELECT app.cron_ensure('reports-prune', '*/10 * * * *', 'SELECT app.reports_prune()');
