-- Jobs, maintenance and administration: reap expired leases, purge history, retry dead jobs,
-- list and count. pg_cron runs reap and purge (db/functions/app/920_jobs_cron.sql); workers also
-- reap now and then, so a database without pg_cron still recovers from a crashed worker.

CREATE OR REPLACE FUNCTION app.job_reap() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
DECLARE
  v_requeued integer;
  v_dead app.job[];
BEGIN
  -- SKIP LOCKED: reapers running at once (cron and workers) take disjoint rows
  WITH expired AS (
    SELECT e.id FROM app.job e
     WHERE e.state = 'running' AND e.locked_until < now() AND e.attempts < e.max_attempts
     FOR UPDATE SKIP LOCKED)
  UPDATE app.job j
     SET state = 'queued', run_at = now(), locked_by = NULL, locked_until = NULL, last_error = 'lease expired',
         failures = j.failures || jsonb_build_array(app._job_failure(j, 'lease expired')
                                                    || jsonb_build_object('retry_at', now()))
    FROM expired
   WHERE j.id = expired.id;
  GET DIAGNOSTICS v_requeued = ROW_COUNT;

  WITH dead AS (
    DELETE FROM app.job j
     WHERE j.id IN (SELECT e.id FROM app.job e
                     WHERE e.state = 'running' AND e.locked_until < now() AND e.attempts >= e.max_attempts
                     FOR UPDATE SKIP LOCKED)
    RETURNING j)
  SELECT coalesce(array_agg(d.j), '{}') INTO v_dead FROM dead AS d;
  IF cardinality(v_dead) > 0 THEN
    PERFORM app._job_bury(v_dead, 'lease expired');
  END IF;

  IF v_requeued > 0 THEN
    PERFORM pg_notify('jobs:insert', json_build_object('count', v_requeued)::text);
  END IF;
  RETURN v_requeued + cardinality(v_dead);
END $$;
COMMENT ON FUNCTION app.job_reap() IS
  'Requeue running jobs whose lease expired (their worker died), or bury them on their last attempt; returns how many';
GRANT EXECUTE ON FUNCTION app.job_reap() TO pgwarden_worker;

CREATE OR REPLACE FUNCTION app.job_purge() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
DECLARE
  v_setting app.job_setting;
  v_history integer;
  v_keys integer;
BEGIN
  SELECT * INTO STRICT v_setting FROM app.job_setting;
  DELETE FROM app.job_history h
   WHERE (h.state = 'succeeded' AND h.finished_at < now() - v_setting.succeeded_retention)
      OR (h.state = 'dead' AND h.finished_at < now() - v_setting.dead_retention);
  GET DIAGNOSTICS v_history = ROW_COUNT;
  DELETE FROM app.job_key k WHERE k.expires_at < now();
  GET DIAGNOSTICS v_keys = ROW_COUNT;
  RETURN v_history + v_keys;
END $$;
COMMENT ON FUNCTION app.job_purge() IS 'Delete finished jobs and idempotency keys past their retention (app.job_setting)';

CREATE OR REPLACE FUNCTION app.job_retry(p_job_id bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
DECLARE
  v_dead app.job_history;
BEGIN
  DELETE FROM app.job_history h WHERE h.id = p_job_id AND h.state = 'dead' RETURNING h.* INTO v_dead;
  IF NOT FOUND THEN
    IF EXISTS (SELECT FROM app.job_history h WHERE h.id = p_job_id)
       OR EXISTS (SELECT FROM app.job j WHERE j.id = p_job_id) THEN
      RAISE EXCEPTION 'job % is not dead', p_job_id USING ERRCODE = 'QS001',
        DETAIL = 'Only dead jobs can be retried, and this one is queued, running or succeeded.',
        HINT = 'List dead jobs with pgwarden jobs list --state dead.';
    END IF;
    RAISE EXCEPTION 'job % not found', p_job_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: job_id.', HINT = 'Dead jobs are kept for app.job_setting.dead_retention.';
  END IF;
  -- same id, fresh attempts; the failure log stays for the record
  INSERT INTO app.job (id, kind, payload, priority, max_attempts, idempotency_key, last_error, failures, created_at)
  VALUES (v_dead.id, v_dead.kind, v_dead.payload, v_dead.priority, v_dead.max_attempts, v_dead.idempotency_key,
          v_dead.last_error, v_dead.failures, v_dead.created_at);
  UPDATE app.job_key k SET expires_at = NULL
   WHERE k.kind = v_dead.kind AND k.idempotency_key = v_dead.idempotency_key AND k.job_id = v_dead.id;
  RETURN v_dead.id;
END $$;
COMMENT ON FUNCTION app.job_retry(bigint) IS
  'Queue a dead job again with fresh attempts (same id); QN001 if unknown, QS001 if not dead';
GRANT EXECUTE ON FUNCTION app.job_retry(bigint) TO system_admin;

-- Payloads as listings show them: an alert delivery carries its destination's secrets (webhook
-- URL, signing secret, routing key), which no listing repeats.
CREATE OR REPLACE FUNCTION app.job_payload_for_listing(p_kind text, p_payload jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_kind = 'alerts.deliver' AND p_payload ? 'destination'
              THEN jsonb_set(p_payload, '{destination}', '"[redacted]"') ELSE p_payload END
$$;
COMMENT ON FUNCTION app.job_payload_for_listing(text, jsonb) IS 'A job payload with its secrets redacted (alerts.deliver: the destination)';
GRANT EXECUTE ON FUNCTION app.job_payload_for_listing(text, jsonb) TO system_admin;

CREATE OR REPLACE FUNCTION app.job_list(p_state app.job_state DEFAULT NULL, p_kind text DEFAULT NULL,
                                        p_limit integer DEFAULT 50)
RETURNS TABLE (id bigint, kind text, state app.job_state, attempts integer, max_attempts integer,
               run_at timestamptz, worker text, last_error text, created_at timestamptz,
               finished_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
  SELECT a.id, a.kind, a.state, a.attempts, a.max_attempts, a.run_at, a.worker, a.last_error, a.created_at,
         a.finished_at
    FROM app.job_all a
   WHERE (p_state IS NULL OR a.state = p_state) AND (p_kind IS NULL OR a.kind = p_kind)
   ORDER BY a.id DESC
  LIMIT greatest(coalesce(p_limit, 50), 0)
$$;
COMMENT ON FUNCTION app.job_list(app.job_state, text, integer) IS 'Newest jobs, queued to dead, optionally by state and kind';

CREATE OR REPLACE FUNCTION app.job_stats()
RETURNS TABLE (kind text, ready bigint, scheduled bigint, running bigint, succeeded_last_hour bigint,
               dead bigint, oldest_ready_seconds double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
  SELECT a.kind,
         count(*) FILTER (WHERE a.state = 'queued' AND a.run_at <= now()),
         count(*) FILTER (WHERE a.state = 'queued' AND a.run_at > now()),
         count(*) FILTER (WHERE a.state = 'running'),
         count(*) FILTER (WHERE a.state = 'succeeded'),
         count(*) FILTER (WHERE a.state = 'dead'),
         extract(epoch FROM now() - min(a.run_at) FILTER (WHERE a.state = 'queued' AND a.run_at <= now()))::float8
    FROM app.job_all a
   WHERE a.finished_at IS NULL OR a.state = 'dead' OR a.finished_at > now() - interval '1 hour'
   GROUP BY a.kind
   ORDER BY a.kind
$$;
COMMENT ON FUNCTION app.job_stats() IS
  'Per kind: jobs ready, scheduled for later, running, succeeded in the last hour, dead, and the oldest ready job''s wait';
