-- Alerting schedules: windowed rules and due notifications each minute, history retention nightly.
-- (app.cron_ensure is defined in 900_cron.sql and skips databases without pg_cron.)
SELECT app.cron_ensure('alerts-tick', '* * * * *', 'SELECT app.alert_tick()');
SELECT app.cron_ensure('alerts-retention', '41 3 * * *', 'SELECT app.alert_retention_run()');
