-- Jobs for system admins: what is queued, running, finished or dead, and retrying dead ones.

-- == Views ==

CREATE VIEW api.jobs WITH (security_invoker = true) AS
  SELECT a.id, a.kind, a.state, a.priority, a.attempts, a.max_attempts, app.job_payload_for_listing(a.kind, a.payload) AS payload,
         a.result, a.last_error, a.failures, a.worker, a.locked_until, a.run_at, a.claimed_at, a.created_at, a.finished_at
    FROM app.job_all a;
COMMENT ON VIEW api.jobs IS $$Background jobs (system admins)

Queued and running jobs plus finished ones still within retention: succeeded (with the handler's
result) and dead (out of attempts or failed permanently; retry with /rpc/retry_job).
failures lists every failed attempt with its error and when it was retried. Secrets in a payload
(an alert delivery's destination) are redacted.$$;
GRANT SELECT ON api.jobs TO system_admin;

-- == Functions ==

CREATE FUNCTION api.retry_job(job_id bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.job_retry(retry_job.job_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.retry_job(bigint) IS $$Queue a dead job again (system admins)

The job keeps its id and failure log and gets fresh attempts. Returns the job id.
404 if no such job is kept, 409 if the job is not dead.

Parameters:
- job_id: the dead job's id (integer, from api.jobs)

Errors: QN001 404 (no such job), QS001 409 (the job is not dead).

Example: curl -X POST "$API/rpc/retry_job" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"job_id": 42}'$$;
GRANT EXECUTE ON FUNCTION api.retry_job(bigint) TO system_admin;
