-- Leases (reap, heartbeat, release), admin retry, purge, backoff policy, privileges and the api.
BEGIN;
SELECT plan(35);

-- == reap: a dead worker's jobs come back after the lease ==
SELECT app.job_enqueue('test.crash', '{}') AS crash_id \gset
SELECT app.job_enqueue('test.crash', '{}', NULL, NULL, 0, 1) AS last_chance_id \gset
SELECT app.job_enqueue('test.alive', '{}') AS alive_id \gset
SELECT count(*) FROM app.job_claim('w-dead', ARRAY['test.crash'], 2);
SELECT count(*) FROM app.job_claim('w-alive', ARRAY['test.alive'], 1);
UPDATE app.job SET locked_until = now() - interval '1 second' WHERE locked_by = 'w-dead';
SELECT is(app.job_reap(), 2, 'reap handles every running job whose lease expired');
SELECT is((SELECT (state, attempts, locked_by, run_at = now(), failures -> 0 ->> 'error', failures -> 0 ->> 'worker')::text
             FROM app.job WHERE id = :crash_id), '(queued,1,,t,"lease expired",w-dead)',
  'an expired job is queued again at once, the lost attempt recorded');
SELECT is((SELECT (state, last_error)::text FROM app.job_history WHERE id = :last_chance_id), '(dead,"lease expired")',
  'an expired job on its last attempt is dead');
SELECT is((SELECT state FROM app.job WHERE id = :alive_id), 'running'::app.job_state,
  'a job within its lease is left alone');
SELECT is(app.job_reap(), 0, 'reaping again finds nothing');
SELECT throws_ok(format('SELECT app.job_complete(%s, %L)', :crash_id, 'w-dead'), 'QSJ01', NULL,
  'the dead worker''s late result is refused (lease lost)');

-- == heartbeat and release ==
SELECT results_eq(format('SELECT * FROM app.job_heartbeat(%L, ARRAY[%s, %s]::bigint[], 120)', 'w-alive', :alive_id, :crash_id),
  format('VALUES (%s::bigint)', :alive_id), 'a heartbeat extends only the leases the worker holds');
SELECT is((SELECT locked_until FROM app.job WHERE id = :alive_id), now() + interval '120 seconds', '... by the lease given');
SELECT is(app.job_release('w-alive', ARRAY[:alive_id]::bigint[]), 1, 'a stopping worker releases an unstarted job');
SELECT is((SELECT (state, attempts, locked_by)::text FROM app.job WHERE id = :alive_id), '(queued,0,)',
  '... which is queued again without counting the attempt');

-- == admin retry of dead jobs ==
SELECT app.job_enqueue('test.dead', '{}', 'dead-key') AS dead_id \gset
SELECT count(*) FROM app.job_claim('w1', ARRAY['test.dead'], 1);
SELECT app.job_fail(:dead_id, 'w1', 'rejected', false);
SELECT is(app.job_retry(:dead_id), :dead_id::bigint, 'retrying a dead job keeps its id');
SELECT is((SELECT (state, attempts, jsonb_array_length(failures))::text FROM app.job WHERE id = :dead_id),
  '(queued,0,1)', '... queues it with fresh attempts and keeps its failure log');
SELECT is((SELECT count(*)::int FROM app.job_history WHERE id = :dead_id), 0, '... and takes it out of history');
SELECT ok((SELECT expires_at IS NULL FROM app.job_key WHERE idempotency_key = 'dead-key'),
  '... its idempotency key lives as long as the job again');
SELECT throws_ok(format('SELECT app.job_retry(%s)', :dead_id), 'QS001', NULL, 'a queued job cannot be retried');
SELECT throws_ok('SELECT app.job_retry(987654321)', 'QN001', NULL, 'an unknown job cannot be retried');
SELECT count(*) FROM app.job_claim('w1', ARRAY['test.dead'], 1);
SELECT app.job_complete(:dead_id, 'w1');
SELECT throws_ok(format('SELECT app.job_retry(%s)', :dead_id), 'QS001', NULL, 'a succeeded job cannot be retried');

-- == list and stats ==
SELECT ok(:last_chance_id IN (SELECT id FROM app.job_list('dead')), 'jobs list --state dead shows dead jobs');
SELECT is((SELECT (ready, running, succeeded_last_hour, dead)::text FROM app.job_stats() WHERE kind = 'test.crash'),
  '(1,0,0,1)', 'stats count jobs per kind and state');

-- == purge ==
UPDATE app.job_history SET finished_at = now() - interval '8 days' WHERE id IN (:dead_id, :last_chance_id);
UPDATE app.job_key SET expires_at = now() - interval '1 day' WHERE idempotency_key = 'dead-key';
SELECT is(app.job_purge(), 2, 'purge removes succeeded jobs and keys past retention');
SELECT is((SELECT array_agg(id ORDER BY id) FROM app.job_history WHERE id IN (:dead_id, :last_chance_id)),
  ARRAY[:last_chance_id]::bigint[], '... and keeps dead jobs longer (30 days)');

-- == backoff: full jitter under an exponential bound ==
UPDATE app.job_setting SET backoff_base_seconds = 1, backoff_cap_seconds = 20;
CREATE TEMP TABLE samples AS
  SELECT n, extract(epoch FROM app._job_backoff(n)) AS delay FROM generate_series(1, 6) n, generate_series(1, 2000);
SELECT is_empty('SELECT n FROM samples WHERE delay < 0 OR delay > least(20, power(2, n))',
  'every delay lies between 0 and least(cap, base * 2^attempt)');
SELECT ok((SELECT bool_and(mean < next_mean) FROM (
             SELECT avg(delay) AS mean, lead(avg(delay)) OVER (ORDER BY n) AS next_mean
               FROM samples WHERE n <= 5 GROUP BY n) m WHERE next_mean IS NOT NULL),
  'delays grow with the attempt on average');
SELECT ok((SELECT max(delay) > 10 AND min(delay) < 10 FROM samples WHERE n = 6), 'the cap bounds delays, jittered below it');

-- == privileges ==
SELECT table_privs_are('app', 'job', 'pgwarden_worker', ARRAY[]::text[], 'workers cannot touch the job table directly');
SELECT function_privs_are('app', 'job_claim', ARRAY['text', 'text[]', 'integer', 'double precision'], 'pgwarden_worker',
  ARRAY['EXECUTE'], 'workers may claim');
SELECT function_privs_are('app', 'job_retry', ARRAY['bigint'], 'pgwarden_worker', ARRAY[]::text[],
  'workers cannot resurrect dead jobs');
SELECT app.job_enqueue('test.as_worker', '{}') AS worker_job_id \gset
SET LOCAL ROLE pgwarden_worker;
SELECT results_eq($$SELECT id FROM app.job_claim('w9', ARRAY['test.as_worker'], 5)$$, format('VALUES (%s::bigint)', :worker_job_id),
  'the worker role claims through the function although it cannot read the table');
SELECT lives_ok(format('SELECT app.job_complete(%s, %L, %L)', :worker_job_id, 'w9', '{}'), '... and completes');
SELECT throws_ok($$SELECT app.job_enqueue('test.x')$$, '42501', NULL, 'the worker role does not enqueue');
RESET ROLE;

-- == api, for system admins ==
SELECT app.job_enqueue('test.api', '{}') AS api_id \gset
SELECT count(*) FROM app.job_claim('w1', ARRAY['test.api'], 1);
SELECT app.job_fail(:api_id, 'w1', 'nope', false);
SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role":"system_admin"}';
SELECT is((SELECT state FROM api.jobs WHERE id = :api_id), 'dead'::app.job_state, 'system admins see dead jobs in api.jobs');
SELECT is(api.retry_job(:api_id), :api_id::bigint, '... and retry them through /rpc/retry_job');
SELECT throws_ok('SELECT api.retry_job(987654321)', 'PGRST', NULL, 'retrying an unknown job answers with an HTTP error (404)');
RESET ROLE;
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role":"org_owner","org_id":"00000000-0000-0000-0000-00000000000a"}';
SELECT throws_ok('SELECT * FROM api.jobs', '42501', NULL, 'organization roles cannot see jobs');
SELECT throws_ok(format('SELECT api.retry_job(%s)', :api_id), '42501', NULL, 'nor retry them');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
