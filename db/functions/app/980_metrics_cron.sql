-- pg_cron schedule of the Prometheus counters (db/functions/app/810_metrics.sql): each minute, the
-- minutes older than app.metric_fold_state.lag are added to app.metric_totals.
SELECT app.cron_ensure('metrics-fold', '* * * * *', 'SELECT app.metrics_fold()');
