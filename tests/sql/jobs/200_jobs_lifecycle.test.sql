-- The job state machine in SQL: enqueue (idempotent), claim (order, kinds, lease), complete,
-- fail (backoff, Retry-After, dead), lease loss. now() is fixed inside this transaction, so
-- timestamps compare exactly.
BEGIN;
SELECT plan(38);

UPDATE app.job_setting SET backoff_base_seconds = 10, backoff_cap_seconds = 1000;

-- == enqueue ==
SELECT app.job_enqueue('test.first', '{"n": 1}') AS first_id \gset
SELECT is((SELECT (state, attempts, payload)::text FROM app.job WHERE id = :first_id), '(queued,0,"{""n"": 1}")',
  'an enqueued job is queued with its payload and no attempts');

SELECT app.job_enqueue('test.keyed', '{}', 'side-effect-1') AS keyed_id \gset
SELECT is(app.job_enqueue('test.keyed', '{"again": true}', 'side-effect-1'), :keyed_id::bigint,
  'a repeated idempotency key returns the first job''s id');
SELECT is((SELECT count(*)::int FROM app.job WHERE kind = 'test.keyed'), 1, '... and queues nothing new');
SELECT isnt(app.job_enqueue('test.keyed_other', '{}', 'side-effect-1'), :keyed_id::bigint,
  'idempotency keys are scoped by kind');

SELECT throws_ok($$SELECT app.job_enqueue('Not A Kind')$$, 'QV001', NULL, 'a malformed kind is refused');
SELECT throws_ok($$SELECT app.job_enqueue('test.x', '[1]')$$, 'QV001', NULL, 'a payload that is not an object is refused');
SELECT throws_ok($$SELECT app.job_enqueue('test.x', '{}', NULL, NULL, 0, 0)$$, 'QV001', NULL,
  'max_attempts below 1 is refused');
SELECT throws_ok($$SELECT app.job_enqueue('test.x', '{}', '')$$, 'QV001', NULL, 'an empty idempotency key is refused');

-- == claim ==
SELECT app.job_enqueue('test.order', '{"name": "now"}') AS now_id \gset
SELECT app.job_enqueue('test.order', '{"name": "urgent"}', NULL, NULL, -1) AS urgent_id \gset
SELECT app.job_enqueue('test.order', '{"name": "older"}', NULL, now() - interval '1 minute') AS older_id \gset
SELECT app.job_enqueue('test.order', '{"name": "later"}', NULL, now() + interval '1 hour') AS later_id \gset
SELECT results_eq($$SELECT payload ->> 'name' FROM app.job_claim('w1', ARRAY['test.order'], 1)
                    UNION ALL SELECT payload ->> 'name' FROM app.job_claim('w1', ARRAY['test.order'], 1)
                    UNION ALL SELECT payload ->> 'name' FROM app.job_claim('w1', ARRAY['test.order'], 1)$$,
  $$VALUES ('urgent'), ('older'), ('now')$$, 'claims go by priority (smaller first), then run_at, then id');
SELECT is_empty($$SELECT * FROM app.job_claim('w1', ARRAY['test.order'], 10)$$,
  'a job whose run_at is in the future is not claimed');
SELECT is_empty($$SELECT * FROM app.job_claim('w1', ARRAY['test.nobody_handles_this'], 10)$$,
  'a claim takes only the kinds it names');
SELECT is((SELECT (state, attempts, locked_by, locked_until = now() + interval '60 seconds', claimed_at = now())::text
             FROM app.job WHERE id = :urgent_id), '(running,1,w1,t,t)',
  'a claimed job is running, counts the attempt and carries the lease');
SELECT throws_ok($$SELECT app.job_claim('w1', NULL, 0)$$, 'QV001', NULL, 'a claim of zero jobs is refused');

-- == complete ==
SELECT throws_ok(format('SELECT app.job_complete(%s, %L, NULL)', :urgent_id, 'w2'), 'QSJ01', NULL,
  'another worker cannot complete a job it does not hold');
SELECT lives_ok(format('SELECT app.job_complete(%s, %L, %L)', :urgent_id, 'w1', '{"ok": true}'),
  'the lease holder completes its job');
SELECT is((SELECT count(*)::int FROM app.job WHERE id = :urgent_id), 0, 'a completed job leaves the hot table');
SELECT is((SELECT (state, attempts, worker, result)::text FROM app.job_history WHERE id = :urgent_id),
  '(succeeded,1,w1,"{""ok"": true}")', '... and is in history as succeeded with its result');
SELECT throws_ok(format('SELECT app.job_complete(%s, %L, NULL)', :urgent_id, 'w1'), 'QSJ01', NULL,
  'completing twice is a lost lease');
SELECT results_eq(format('SELECT * FROM app.job_complete_all(%L, ARRAY[%s, 987654321]::bigint[], ARRAY[NULL, NULL]::jsonb[])',
                         'w1', :older_id),
  $$VALUES (987654321::bigint)$$, 'completing a batch returns only the ids whose lease was lost');

-- == idempotency keys outlive the job ==
SELECT id AS claimed_keyed FROM app.job_claim('w1', ARRAY['test.keyed'], 1) \gset
SELECT app.job_complete(:claimed_keyed, 'w1');
SELECT is(app.job_enqueue('test.keyed', '{}', 'side-effect-1'), :keyed_id::bigint,
  'a finished job''s key still dedupes');
SELECT is((SELECT expires_at FROM app.job_key WHERE kind = 'test.keyed'), now() + interval '7 days',
  '... for the key retention (7 days by default)');
UPDATE app.job_key SET expires_at = now() - interval '1 second' WHERE kind = 'test.keyed';
SELECT isnt(app.job_enqueue('test.keyed', '{}', 'side-effect-1'), :keyed_id::bigint,
  'once the retention ran out the key queues a new job');

-- == fail ==
SELECT app.job_enqueue('test.flaky', '{}', NULL, NULL, 0, 3) AS flaky_id \gset
SELECT app.job_claim('w1', ARRAY['test.flaky'], 1);
SELECT throws_ok(format('SELECT app.job_fail(%s, %L, %L)', :flaky_id, 'w2', 'boom'), 'QSJ01', NULL,
  'another worker cannot fail a job it does not hold');
SELECT is(app.job_fail(:flaky_id, 'w1', 'boom'), 'queued'::app.job_state, 'a retryable failure queues the job again');
SELECT ok((SELECT run_at >= now() AND run_at <= now() + interval '20 seconds' AND locked_by IS NULL
             FROM app.job WHERE id = :flaky_id),
  '... after a backoff of at most base * 2^1 seconds, without a lease');
SELECT is((SELECT (last_error, jsonb_array_length(failures), failures -> 0 ->> 'error', failures -> 0 ->> 'worker')::text
             FROM app.job WHERE id = :flaky_id), '(boom,1,boom,w1)', '... recording the failed attempt');
SELECT ok((SELECT (failures -> 0 ->> 'retry_at')::timestamptz = run_at FROM app.job WHERE id = :flaky_id),
  '... with the time it will be retried');

UPDATE app.job SET run_at = now() WHERE id = :flaky_id;
SELECT app.job_claim('w1', ARRAY['test.flaky'], 1);
SELECT is(app.job_fail(:flaky_id, 'w1', 'rate limited', true, 30), 'queued'::app.job_state, 'a failure with retry_after');
SELECT is((SELECT run_at FROM app.job WHERE id = :flaky_id), now() + interval '30 seconds',
  '... is retried exactly retry_after seconds later (it wins over backoff)');

UPDATE app.job SET run_at = now() WHERE id = :flaky_id;
SELECT app.job_claim('w1', ARRAY['test.flaky'], 1);
SELECT is(app.job_fail(:flaky_id, 'w1', 'boom again'), 'dead'::app.job_state, 'a failure on the last attempt is dead');
SELECT is((SELECT (state, attempts, jsonb_array_length(failures), last_error)::text FROM app.job_history
            WHERE id = :flaky_id), '(dead,3,3,"boom again")', '... kept in history with every failure');

SELECT app.job_enqueue('test.doomed', '{}') AS doomed_id \gset
SELECT app.job_claim('w1', ARRAY['test.doomed'], 1);
SELECT is(app.job_fail(:doomed_id, 'w1', 'bad input', false), 'dead'::app.job_state,
  'a permanent failure is dead at once');
SELECT is((SELECT attempts FROM app.job_history WHERE id = :doomed_id AND state = 'dead'), 1,
  '... after one attempt although more were allowed');

-- == failure details ==
SELECT app.job_enqueue('test.detailed', '{}', NULL, NULL, 0, 2) AS detailed_id \gset
SELECT app.job_claim('w1', ARRAY['test.detailed'], 1);
SELECT app.job_fail(:detailed_id, 'w1', 'HTTP 503', true, NULL, '{"status_code": 503, "latency_ms": 12}');
SELECT is((SELECT failures -> 0 -> 'details' FROM app.job WHERE id = :detailed_id),
  '{"status_code": 503, "latency_ms": 12}'::jsonb, 'a failed attempt keeps the details the handler observed');
UPDATE app.job SET run_at = now() WHERE id = :detailed_id;
SELECT app.job_claim('w1', ARRAY['test.detailed'], 1);
SELECT app.job_fail(:detailed_id, 'w1', 'HTTP 404', false, NULL, '{"status_code": 404}');
SELECT is((SELECT failures -> 1 -> 'details' ->> 'status_code' FROM app.job_history WHERE id = :detailed_id), '404',
  '... and so does the attempt that buried it');
SELECT ok((SELECT NOT (failures -> 0 ? 'details') FROM app.job_history WHERE id = :doomed_id),
  'an attempt failed without details has no details entry');

-- == when the next job comes due ==
DELETE FROM app.job;
SELECT is(app.job_next_due(ARRAY['test.later']), NULL, 'no queued job: nothing comes due');
SELECT app.job_enqueue('test.later', '{}', NULL, now() + interval '2.5 seconds');
SELECT app.job_enqueue('test.other', '{}');
SELECT is(app.job_next_due(ARRAY['test.later']), 2.5::double precision,
  'a job queued to run later comes due in that many seconds (other kinds do not count)');

SELECT * FROM finish();
ROLLBACK;
