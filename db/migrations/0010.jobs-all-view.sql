-- 0010: one view of every job, queued to finished, for the listings and counts.

-- ---- as in db/schema/200_jobs.sql
-- Every job the queue knows: queued and running ones (app.job) and finished ones still in
-- retention (app.job_history), in one shape; the listings and counts read this.
CREATE VIEW app.job_all WITH (security_invoker = true) AS
  SELECT j.id, j.kind, j.state, j.priority, j.attempts, j.max_attempts, j.payload, NULL::jsonb AS result,
         j.last_error, j.failures, j.locked_by AS worker, j.locked_until, j.run_at, j.claimed_at,
         j.created_at, NULL::timestamptz AS finished_at
    FROM app.job j
  UNION ALL
  SELECT h.id, h.kind, h.state, h.priority, h.attempts, h.max_attempts, h.payload, h.result,
         h.last_error, h.failures, h.worker, NULL, h.run_at, h.claimed_at, h.created_at, h.finished_at
    FROM app.job_history h;
COMMENT ON VIEW app.job_all IS 'Queued, running and finished jobs (within retention) in one shape';
GRANT SELECT ON app.job_all TO system_admin;
