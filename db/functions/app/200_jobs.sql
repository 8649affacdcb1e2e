-- The job state machine (tables in db/schema/200_jobs.sql). Workers log in as pgwarden_worker,
-- which has no rights on the job tables: it may only execute the functions granted below, which
-- run as their owner (SECURITY DEFINER, fixed search_path, every name schema-qualified).
--
--   enqueue -> queued --claim--> running --complete--> succeeded (history)
--                ^                  |--fail, attempts left--> queued, run_at = now() + backoff
--                |                  |--fail permanent / last attempt--> dead (history)
--                |                  '--lease expired (reap)--> queued, or dead on the last attempt
--                '------------- retry (admin) <-- dead
-- A lost lease (reaped, finished, another worker) makes complete/fail raise QSJ01.

-- == Policy ==

-- Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): spreads retries of jobs
-- that failed together. Base and cap are app.job_setting columns.
CREATE OR REPLACE FUNCTION app._job_backoff(p_attempt integer) RETURNS interval
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
  SELECT make_interval(secs => random() * least(s.backoff_cap_seconds,
                                                s.backoff_base_seconds * power(2, greatest(p_attempt, 0))))
    FROM app.job_setting s
$$;
COMMENT ON FUNCTION app._job_backoff(integer) IS
  'Delay before the retry after failed attempt n: random() * least(cap, base * 2^n) seconds (app.job_setting)';

-- == Enqueue (the outbox: runs in the caller's transaction) ==

CREATE OR REPLACE FUNCTION app.job_enqueue(
  p_kind text, p_payload jsonb DEFAULT '{}', p_idempotency_key text DEFAULT NULL,
  p_run_at timestamptz DEFAULT NULL, p_priority integer DEFAULT 0, p_max_attempts integer DEFAULT 5
) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  IF p_kind IS NULL OR p_kind !~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' OR length(p_kind) > 100 THEN
    RAISE EXCEPTION 'invalid job kind' USING ERRCODE = 'QV001',
      DETAIL = format('Field: kind, value %L.', p_kind), HINT = 'Use dotted lowercase words, e.g. health.probe.';
  END IF;
  IF p_payload IS NULL OR jsonb_typeof(p_payload) <> 'object' THEN
    RAISE EXCEPTION 'job payload is not a JSON object' USING ERRCODE = 'QV001',
      DETAIL = 'Field: payload.', HINT = 'Pass a jsonb object, e.g. ''{}''.';
  END IF;
  IF p_max_attempts IS NULL OR p_max_attempts NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'max_attempts out of range' USING ERRCODE = 'QV001',
      DETAIL = format('Field: max_attempts, value %s.', p_max_attempts), HINT = 'Use 1 to 100.';
  END IF;
  IF p_idempotency_key = '' THEN
    RAISE EXCEPTION 'idempotency key is empty' USING ERRCODE = 'QV001',
      DETAIL = 'Field: idempotency_key.', HINT = 'Pass NULL for no key, or a key naming the side effect.';
  END IF;

  IF p_idempotency_key IS NOT NULL THEN
    v_id := nextval('app.job_id_seq');
    -- a concurrent enqueue of the same key waits here until the first one commits or aborts;
    -- a key whose retention ran out is taken over by the new job
    INSERT INTO app.job_key AS k (kind, idempotency_key, job_id) VALUES (p_kind, p_idempotency_key, v_id)
    ON CONFLICT (kind, idempotency_key) DO UPDATE SET job_id = excluded.job_id, expires_at = NULL
      WHERE k.expires_at < now();
    IF NOT FOUND THEN
      SELECT k.job_id INTO v_id FROM app.job_key k
       WHERE k.kind = p_kind AND k.idempotency_key = p_idempotency_key;
      RETURN v_id;
    END IF;
    INSERT INTO app.job (id, kind, payload, priority, run_at, max_attempts, idempotency_key)
    VALUES (v_id, p_kind, p_payload, coalesce(p_priority, 0), coalesce(p_run_at, now()), p_max_attempts,
            p_idempotency_key);
    RETURN v_id;
  END IF;

  INSERT INTO app.job (kind, payload, priority, run_at, max_attempts)
  VALUES (p_kind, p_payload, coalesce(p_priority, 0), coalesce(p_run_at, now()), p_max_attempts)
  RETURNING app.job.id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION app.job_enqueue(text, jsonb, text, timestamptz, integer, integer) IS
  'Queue a job in the caller''s transaction; a repeated (kind, idempotency key) returns the first job''s id';
-- Triggers and functions of every feature enqueue under the rights of whoever called them
-- (PostgREST roles included). app is not exposed over HTTP, so this reaches no client directly.
GRANT EXECUTE ON FUNCTION app.job_enqueue(text, jsonb, text, timestamptz, integer, integer)
  TO anon, staff, org_owner, system_admin;

-- == The worker's calls ==

CREATE OR REPLACE FUNCTION app.job_claim(
  p_worker text, p_kinds text[], p_limit integer DEFAULT 1, p_lease_seconds double precision DEFAULT 60
) RETURNS TABLE (id bigint, kind text, payload jsonb, attempts integer, max_attempts integer,
                 locked_until timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp
-- A queue's statistics are always stale (a burst of jobs lands between two ANALYZEs), and on a
-- table it believes small the planner sorts the whole backlog per claim. Walking job_claim_idx
-- in order and stopping after the batch is right at every size, so take the alternatives away.
SET enable_sort = off SET enable_bitmapscan = off SET enable_seqscan = off AS $$
BEGIN
  IF coalesce(p_worker, '') = '' OR p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000
     OR p_lease_seconds IS NULL OR p_lease_seconds <= 0 THEN
    RAISE EXCEPTION 'invalid claim' USING ERRCODE = 'QV001',
      DETAIL = format('worker %L, limit %s, lease %s s.', p_worker, p_limit, p_lease_seconds),
      HINT = 'Name the worker; claim 1 to 1000 jobs with a positive lease.';
  END IF;
  -- SKIP LOCKED: concurrent claimers take disjoint jobs without waiting for each other
  RETURN QUERY
    WITH picked AS (
      SELECT q.id FROM app.job q
       WHERE q.state = 'queued' AND q.run_at <= now() AND (p_kinds IS NULL OR q.kind = ANY (p_kinds))
       ORDER BY q.priority, q.run_at, q.id
       LIMIT p_limit
       FOR UPDATE SKIP LOCKED)
    UPDATE app.job j
       SET state = 'running', attempts = j.attempts + 1, locked_by = p_worker,
           locked_until = now() + make_interval(secs => p_lease_seconds), claimed_at = now()
      FROM picked
     WHERE j.id = picked.id
    RETURNING j.id, j.kind, j.payload, j.attempts, j.max_attempts, j.locked_until;
END $$;
COMMENT ON FUNCTION app.job_claim(text, text[], integer, double precision) IS
  'Lease up to p_limit due jobs of the given kinds (NULL: any) to a worker, by priority, run_at, id';

CREATE OR REPLACE FUNCTION app.job_complete_all(p_worker text, p_ids bigint[], p_results jsonb[])
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
BEGIN
  IF cardinality(p_ids) IS DISTINCT FROM cardinality(p_results) THEN
    RAISE EXCEPTION 'ids and results differ in length' USING ERRCODE = 'QV001',
      DETAIL = format('%s ids, %s results.', cardinality(p_ids), cardinality(p_results)),
      HINT = 'Pass one result (or null) per job id.';
  END IF;
  RETURN QUERY
    WITH done AS (
      DELETE FROM app.job j USING unnest(p_ids, p_results) AS r (id, result)
       WHERE j.id = r.id AND j.state = 'running' AND j.locked_by = p_worker
      RETURNING j.*, r.result
    ), kept AS (
      INSERT INTO app.job_history (id, kind, payload, state, priority, attempts, max_attempts, idempotency_key,
                                   worker, result, last_error, failures, run_at, claimed_at, created_at)
      SELECT d.id, d.kind, d.payload, 'succeeded', d.priority, d.attempts, d.max_attempts, d.idempotency_key,
             d.locked_by, d.result, d.last_error, d.failures, d.run_at, d.claimed_at, d.created_at
        FROM done d
      RETURNING app.job_history.id, app.job_history.kind, app.job_history.idempotency_key
    ), keys AS (
      UPDATE app.job_key k SET expires_at = now() + (SELECT s.key_retention FROM app.job_setting s)
        FROM kept
       WHERE k.kind = kept.kind AND k.idempotency_key = kept.idempotency_key AND k.job_id = kept.id
    )
    SELECT lost.id FROM unnest(p_ids) AS lost (id) WHERE lost.id NOT IN (SELECT kept.id FROM kept);
END $$;
COMMENT ON FUNCTION app.job_complete_all(text, bigint[], jsonb[]) IS
  'Record several jobs as succeeded with their results; returns the ids whose lease this worker no longer holds';

CREATE OR REPLACE FUNCTION app.job_complete(p_job_id bigint, p_worker text, p_result jsonb DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT FROM app.job_complete_all(p_worker, ARRAY[p_job_id], ARRAY[p_result])) THEN
    RAISE EXCEPTION 'job lease lost' USING ERRCODE = 'QSJ01',
      DETAIL = format('Job %s is not running under worker %L.', p_job_id, p_worker),
      HINT = 'It was reaped after its lease expired, or finished already: drop this result.';
  END IF;
END $$;
COMMENT ON FUNCTION app.job_complete(bigint, text, jsonb) IS 'Record one job as succeeded; QSJ01 if the lease was lost';

-- One failed attempt, as app.job.failures keeps it. p_details is what the handler observed (an
-- HTTP status, a latency, a provider's error code): kinds whose history is a feature of its own
-- (alert deliveries) read it from here instead of parsing the error text.
DROP FUNCTION IF EXISTS app._job_failure(app.job, text);  -- (before p_details)
CREATE OR REPLACE FUNCTION app._job_failure(p_job app.job, p_error text, p_details jsonb DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('attempt', p_job.attempts, 'worker', p_job.locked_by, 'claimed_at', p_job.claimed_at,
                            'failed_at', now(), 'error', left(coalesce(p_error, 'unknown error'), 2000))
         || CASE WHEN jsonb_typeof(p_details) = 'object' THEN jsonb_build_object('details', p_details) ELSE '{}' END
$$;
COMMENT ON FUNCTION app._job_failure(app.job, text, jsonb) IS
  'The failures entry of a job''s failed attempt (error cut to 2000 characters; details when the handler gave an object)';

-- Move jobs that are out of chances to history as dead (their rows are already gone from
-- app.job), each with its failed attempt recorded, and start their keys' retention.
DROP FUNCTION IF EXISTS app._job_bury(app.job[], text);  -- (before p_details)
CREATE OR REPLACE FUNCTION app._job_bury(p_jobs app.job[], p_error text, p_details jsonb DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
BEGIN
  WITH kept AS (
    INSERT INTO app.job_history (id, kind, payload, state, priority, attempts, max_attempts, idempotency_key,
                                 worker, last_error, failures, run_at, claimed_at, created_at)
    SELECT j.id, j.kind, j.payload, 'dead', j.priority, j.attempts, j.max_attempts, j.idempotency_key, j.locked_by,
           left(coalesce(p_error, 'unknown error'), 2000), j.failures || jsonb_build_array(app._job_failure(j, p_error, p_details)),
           j.run_at, j.claimed_at, j.created_at
      FROM unnest(p_jobs) AS j
    RETURNING app.job_history.id, app.job_history.kind, app.job_history.idempotency_key
  )
  UPDATE app.job_key k SET expires_at = now() + (SELECT s.key_retention FROM app.job_setting s)
    FROM kept
   WHERE k.kind = kept.kind AND k.idempotency_key = kept.idempotency_key AND k.job_id = kept.id;
  RETURN cardinality(p_jobs);
END $$;
COMMENT ON FUNCTION app._job_bury(app.job[], text, jsonb) IS
  'Archive removed job rows as dead with their last failure, and start their keys'' retention; returns how many';
DROP FUNCTION IF EXISTS app._job_bury(app.job);  -- (the one-row form it replaces)

DROP FUNCTION IF EXISTS app.job_fail(bigint, text, text, boolean, double precision);  -- (before p_details)
CREATE OR REPLACE FUNCTION app.job_fail(
  p_job_id bigint, p_worker text, p_error text, p_retryable boolean DEFAULT true,
  p_retry_after_seconds double precision DEFAULT NULL, p_details jsonb DEFAULT NULL
) RETURNS app.job_state
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
DECLARE
  v_job app.job;
  v_delay interval;
  v_failure jsonb;
BEGIN
  SELECT * INTO v_job FROM app.job j
   WHERE j.id = p_job_id AND j.state = 'running' AND j.locked_by = p_worker FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'job lease lost' USING ERRCODE = 'QSJ01',
      DETAIL = format('Job %s is not running under worker %L.', p_job_id, p_worker),
      HINT = 'It was reaped after its lease expired, or finished already: drop this outcome.';
  END IF;
  IF NOT coalesce(p_retryable, true) OR v_job.attempts >= v_job.max_attempts THEN
    DELETE FROM app.job j WHERE j.id = p_job_id;
    PERFORM app._job_bury(ARRAY[v_job], p_error, p_details);
    RETURN 'dead'::app.job_state;
  END IF;

  -- the service's Retry-After wins over our backoff (bounded, so a silly value cannot overflow)
  SELECT CASE WHEN p_retry_after_seconds IS NOT NULL
              THEN make_interval(secs => least(greatest(p_retry_after_seconds, 0), s.retry_after_max_seconds))
              ELSE app._job_backoff(v_job.attempts) END
    INTO v_delay FROM app.job_setting s;
  v_failure := app._job_failure(v_job, p_error, p_details);
  UPDATE app.job j
     SET state = 'queued', run_at = now() + v_delay, locked_by = NULL, locked_until = NULL,
         last_error = v_failure ->> 'error',
         failures = j.failures || jsonb_build_array(v_failure || jsonb_build_object('retry_at', now() + v_delay))
   WHERE j.id = p_job_id;
  RETURN 'queued'::app.job_state;
END $$;
COMMENT ON FUNCTION app.job_fail(bigint, text, text, boolean, double precision, jsonb) IS
  'Record a failed attempt: queued again after backoff (or Retry-After), dead when permanent or out of attempts; QSJ01 if the lease was lost';

-- An idle worker sleeps until the next job of its kinds comes due rather than a whole poll
-- interval, so a job scheduled a few seconds ahead (an alert's group wait) starts on time.
CREATE OR REPLACE FUNCTION app.job_next_due(p_kinds text[]) RETURNS double precision
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
  -- (greatest ignores a NULL, so the empty case is spelled out)
  SELECT CASE WHEN min(j.run_at) IS NOT NULL THEN greatest(extract(epoch FROM min(j.run_at) - now()), 0) END::double precision
    FROM app.job j
   WHERE j.state = 'queued' AND (p_kinds IS NULL OR j.kind = ANY (p_kinds))
$$;
COMMENT ON FUNCTION app.job_next_due(text[]) IS
  'Seconds until the next queued job of the given kinds (NULL: any) is due: 0 when one is due now, NULL when none is queued';

CREATE OR REPLACE FUNCTION app.job_heartbeat(p_worker text, p_ids bigint[], p_lease_seconds double precision)
RETURNS SETOF bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
  UPDATE app.job j SET locked_until = now() + make_interval(secs => greatest(p_lease_seconds, 1))
   WHERE j.id = ANY (p_ids) AND j.state = 'running' AND j.locked_by = p_worker
  RETURNING j.id
$$;
COMMENT ON FUNCTION app.job_heartbeat(text, bigint[], double precision) IS
  'Extend the leases of long-running jobs; returns the ids this worker still holds';

CREATE OR REPLACE FUNCTION app.job_release(p_worker text, p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, pg_temp AS $$
DECLARE
  v_released integer;
BEGIN
  UPDATE app.job j SET state = 'queued', attempts = j.attempts - 1, locked_by = NULL, locked_until = NULL
   WHERE j.id = ANY (p_ids) AND j.state = 'running' AND j.locked_by = p_worker;
  GET DIAGNOSTICS v_released = ROW_COUNT;
  IF v_released > 0 THEN
    PERFORM pg_notify('jobs:insert', json_build_object('count', v_released)::text);
  END IF;
  RETURN v_released;
END $$;
COMMENT ON FUNCTION app.job_release(text, bigint[]) IS
  'Give back claimed jobs that were never started (a stopping worker); the attempt does not count';

GRANT EXECUTE ON FUNCTION app.job_claim(text, text[], integer, double precision),
  app.job_complete_all(text, bigint[], jsonb[]), app.job_complete(bigint, text, jsonb),
  app.job_fail(bigint, text, text, boolean, double precision, jsonb), app.job_next_due(text[]),
  app.job_heartbeat(text, bigint[], double precision), app.job_release(text, bigint[])
  TO pgwarden_worker;
