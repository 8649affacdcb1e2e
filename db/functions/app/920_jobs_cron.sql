-- Job maintenance on pg_cron (minute granularity): expired leases go back to the queue every
-- minute; finished jobs and idempotency keys past their retention are purged every ten.
-- (app.cron_ensure is defined in 900_cron.sql and skips databases without pg_cron.)
SELECT app.cron_ensure('jobs-reap', '* * * * *', 'SELECT app.job_reap()');
SELECT app.cron_ensure('jobs-purge', '*/10 * * * *', 'SELECT app.job_purge()');
