-- Schedules of the heartbeat baseline and the SLOs: arrivals retention nightly, SLO burn rates each minute.
-- (app.cron_ensure is defined in 900_cron.sql and skips databases without pg_cron.)
SELECT app.cron_ensure('heartbeat-baseline-retention', '23 3 * * *', 'SELECT app.health_heartbeat_retention_run()');
SELECT app.cron_ensure('slo-evaluate', '* * * * *', 'SELECT app.slo_evaluate()');
