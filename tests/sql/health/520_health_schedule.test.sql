-- Scheduling and results: pg_cron's app.health_enqueue_due, a worker completing health.probe
-- jobs (through the jobs slice's own functions), push heartbeats and on-demand runs.
BEGIN;
SELECT plan(33);

UPDATE app.health_monitors SET enabled = false;  -- the seeds stay out of the way
SELECT (now() - interval '10 minutes') AS t0 \gset
SELECT app.health_monitor_add('{"service_name": "checkout", "check_type": "external", "interval_seconds": 60,
  "timeout_seconds": 5, "target": {"url": "http://checkout/health"}}') AS checkout \gset

-- == slots ==
SELECT is(app.health_enqueue_due(:'t0'), 1, 'a 1-minute monitor gets one probe per tick');
SELECT ok((SELECT run_at >= :'t0' AND run_at < :'t0'::timestamptz + interval '1 minute' AND priority = 0
             AND payload -> 'target' ->> 'url' = 'http://checkout/health' AND (payload -> 'target' ->> 'timeout_seconds')::numeric = 5
             FROM app.job WHERE kind = 'health.probe' AND (payload ->> 'monitor_id')::bigint = :checkout),
  'its job runs at its slot within the coming minute, carrying the target and timeout');
SELECT is(app.health_enqueue_due(:'t0'), 0, 'the same tick again enqueues nothing');
UPDATE app.health_monitor_state SET next_slot_at = (SELECT run_at FROM app.job WHERE (payload ->> 'monitor_id')::bigint = :checkout)
 WHERE monitor_id = :checkout;
SELECT app.health_enqueue_due(:'t0');
SELECT is((SELECT count(*)::int FROM app.job WHERE (payload ->> 'monitor_id')::bigint = :checkout), 1,
  'a slot is enqueued once, whatever the bookkeeping says (idempotency key per monitor and slot)');

SELECT app.health_monitor_add('{"service_name": "quotes", "check_type": "external", "interval_seconds": 15,
  "target": {"url": "http://quotes"}}') AS quotes \gset
SELECT app.health_enqueue_due(:'t0');
SELECT results_eq(format($$SELECT count(*)::int, (max(run_at) - min(run_at))::text FROM app.job
                            WHERE (payload ->> 'monitor_id')::bigint = %s$$, :quotes),
  $$VALUES (4, '00:00:45')$$, 'a 15-second monitor gets four jobs a minute, run_at 15 s apart (sub-minute timing)');
SELECT is((SELECT count(*)::int FROM app.job
            WHERE (payload ->> 'monitor_id')::bigint = :quotes AND (payload ->> 'scheduled_for')::timestamptz = run_at
              AND (payload ->> 'expires_at')::timestamptz = run_at + interval '1 minute'), 4,
  'each of those jobs is for its own slot and expires a minute after it');
UPDATE app.health_monitors SET enabled = false WHERE id = :quotes;
DELETE FROM app.job WHERE (payload ->> 'monitor_id')::bigint = :quotes;

-- == a worker completes the probe ==
SELECT (SELECT run_at FROM app.job WHERE (payload ->> 'monitor_id')::bigint = :checkout) AS slot \gset
SELECT is(app.health_enqueue_due(:'slot'::timestamptz + interval '3 seconds'), 1,
  'while its probe is not yet overdue the next slot is scheduled');
SELECT is(app.health_enqueue_due(:'slot'::timestamptz + interval '2 minutes'), 0,
  'a probe overdue and unanswered holds the monitor back (not enqueued again) ...');
SELECT ok(app.health_enqueue_due(:'slot'::timestamptz + interval '3 minutes') >= 1, '... until the grace period is over');
SELECT id AS job FROM app.job_claim('worker-1', ARRAY['health.probe'], 1) WHERE (payload ->> 'monitor_id')::bigint = :checkout \gset
SELECT lives_ok(format($$SELECT app.job_complete(%s, 'worker-1', jsonb_build_object(
    'monitor_id', %s, 'scheduled_for', %L::timestamptz, 'run_id', NULL, 'started_at', %L::timestamptz + interval '1 second',
    'observation', '{"reachable": true, "status_code": 200, "response_time_ms": 31, "details": {"http_version": "HTTP/1.1"}}'::jsonb))$$,
    :job, :checkout, :'slot', :'slot'), 'the worker completes the job with the handler''s result');
SELECT results_eq(format($$SELECT status::text, response_time_ms, status_code, checked_at = %L::timestamptz + interval '1 second',
                                  details ->> 'http_version' FROM app.health_checks WHERE monitor_id = %s$$, :'slot', :checkout),
  $$VALUES ('healthy', 31, 200, true, 'HTTP/1.1')$$,
  'its result becomes a health_checks row, checked when the probe started, with the probe''s details');
SELECT is((SELECT status::text FROM app.health_monitor_state WHERE monitor_id = :checkout), 'healthy', '... and moves the state');

SELECT id AS job2 FROM app.job_claim('worker-1', ARRAY['health.probe'], 1) WHERE (payload ->> 'monitor_id')::bigint = :checkout \gset
SELECT app.job_fail(:job2, 'worker-1', 'handler crashed', false);
SELECT is((SELECT status::text || ': ' || error_message FROM app.health_checks WHERE monitor_id = :checkout
            ORDER BY checked_at DESC LIMIT 1), 'unknown: probe could not run: handler crashed',
  'a probe job that died is an observation too: unknown');
SELECT id AS job3 FROM app.job_claim('worker-1', ARRAY['health.probe'], 1) WHERE (payload ->> 'monitor_id')::bigint = :checkout \gset
SELECT count(*) AS checks_before FROM app.health_checks WHERE monitor_id = :checkout \gset
SELECT app.job_complete(:job3, 'worker-1', jsonb_build_object('monitor_id', :checkout, 'skipped', 'expired',
  'scheduled_for', (SELECT pending_slot_at FROM app.health_monitor_state WHERE monitor_id = :checkout)));
SELECT results_eq(format($$SELECT (SELECT count(*) FROM app.health_checks WHERE monitor_id = %s),
                                  (SELECT pending_slot_at IS NULL FROM app.health_monitor_state WHERE monitor_id = %s)$$,
                         :checkout, :checkout),
  format('VALUES (%s::bigint, true)', :checks_before), 'a job skipped as expired records nothing but frees the schedule');

SELECT app.health_monitor_add('{"service_name": "later", "check_type": "external", "interval_seconds": 60,
  "target": {"url": "{embed_widget_url}/x"}}') AS later \gset
SELECT app.health_enqueue_due(:'t0');
SELECT results_eq(format($$SELECT status::text, (SELECT count(*)::int FROM app.job WHERE (payload ->> 'monitor_id')::bigint = %s)
                             FROM app.health_checks WHERE monitor_id = %s$$, :later, :later),
  $$VALUES ('unknown', 0)$$, 'a target naming an unset setting is not enqueued: its check is unknown');
UPDATE app.health_monitors SET enabled = false WHERE id = :later;

-- == push monitors ==
SELECT app.health_monitor_add('{"service_name": "stripe-webhooks", "check_type": "webhook", "interval_seconds": 300,
  "expected": {"max_age_seconds": 600}}') AS hook \gset
SELECT heartbeat_token AS token FROM app.health_monitors WHERE id = :hook \gset
SELECT app.health_enqueue_due(:'t0'::timestamptz + interval '5 minutes');
SELECT is((SELECT status::text || ': ' || error_message FROM app.health_checks WHERE monitor_id = :hook),
  'unknown: probe could not run: no heartbeat received yet', 'a push monitor that never heard anything is unknown');
SELECT is((SELECT count(*)::int FROM app.job WHERE (payload ->> 'monitor_id')::bigint = :hook), 0,
  'push monitors are judged in SQL, no job');
SELECT is(app.health_heartbeat(:'token', :'t0'::timestamptz + interval '6 minutes') ->> 'status', 'healthy',
  'a heartbeat makes it healthy');
SELECT is((SELECT count(*)::int FROM app.health_checks WHERE monitor_id = :hook), 2, 'the heartbeat was recorded as a check');
SELECT app.health_heartbeat(:'token', :'t0'::timestamptz + interval '7 minutes');
SELECT is((SELECT count(*)::int FROM app.health_checks WHERE monitor_id = :hook), 2,
  'heartbeats to a healthy monitor only refresh it (no row per delivery)');
SELECT app.health_enqueue_due(:'t0'::timestamptz + interval '30 minutes');
SELECT is((SELECT status::text || ': ' || error_message FROM app.health_checks WHERE monitor_id = :hook
            ORDER BY checked_at DESC LIMIT 1), 'unhealthy: no heartbeat for 1380 s (max 600 s)',
  'silence beyond max_age_seconds is unhealthy');
SELECT throws_ok($$SELECT app.health_heartbeat('0123456789abcdef0123456789abcdef')$$, 'QN502', NULL,
  'an unknown token is not found');

-- == on demand ==
UPDATE app.health_monitors SET enabled = true WHERE service_name IN ('database', 'webhooks');
SELECT app.health_run_now(ARRAY['database', 'webhooks', 'nope']) AS run \gset
SELECT results_eq(format($$SELECT priority, payload ->> 'run_id' = %L FROM app.job
                            WHERE (payload ->> 'monitor_id')::bigint = app.health_monitor_id('database') AND payload ? 'run_id'
                              AND payload ->> 'run_id' IS NOT NULL$$, :'run'::jsonb ->> 'run_id'),
  $$VALUES (-10, true)$$, 'a run enqueues its probes ahead of scheduled ones (priority -10)');
SELECT is(app.health_run_results(:'run'::jsonb ->> 'run_id', ARRAY['database', 'webhooks', 'nope'], (:'run'::jsonb ->> 'since')::timestamptz),
  '{"results": [{"status": "unknown", "service": "database", "responseTime": null},
                {"status": "unknown", "service": "webhooks", "responseTime": null,
                 "error": "probe could not run: no heartbeat received yet"},
                {"error": "not monitored", "status": "unknown", "service": "nope", "responseTime": null}],
    "complete": false, "overallStatus": "unknown"}'::jsonb,
  'before the worker answers: the push monitor is judged at once, the probe is unknown, an unknown name is not monitored');
SELECT id AS run_job, payload AS run_payload FROM app.job_claim('worker-1', ARRAY['health.probe'], 1) \gset
SELECT app.job_complete(:run_job, 'worker-1', jsonb_build_object('monitor_id', (:'run_payload'::jsonb ->> 'monitor_id')::bigint,
  'run_id', :'run_payload'::jsonb ->> 'run_id', 'started_at', now(),
  'observation', '{"reachable": true, "response_time_ms": 12, "details": {}}'::jsonb));
SELECT is(app.health_run_results(:'run'::jsonb ->> 'run_id', ARRAY['database', 'webhooks'], (:'run'::jsonb ->> 'since')::timestamptz),
  '{"results": [{"status": "healthy", "service": "database", "responseTime": 12},
                {"status": "unknown", "service": "webhooks", "responseTime": null,
                 "error": "probe could not run: no heartbeat received yet"}],
    "complete": true, "overallStatus": "healthy"}'::jsonb,
  'after the worker answered: the spec''s response shape, complete, overall = worst known');
SELECT is((SELECT count(*)::int FROM app.health_checks WHERE details ->> 'run_id' = :'run'::jsonb ->> 'run_id'), 2,
  'on-demand results are recorded like scheduled ones');
SELECT app.health_run_now(ARRAY['database']) AS again \gset
SELECT results_eq(format($$SELECT count(*)::int, (%L::jsonb ->> 'since') = (%L::jsonb ->> 'since')
                            FROM app.job WHERE kind = 'health.probe' AND payload ->> 'run_id' IS NOT NULL$$, :'run', :'again'),
  $$VALUES (0, true)$$, 'requests in the same 10-second bucket share the answered probe instead of probing again');
SELECT is(app.health_run_results(:'again'::jsonb ->> 'run_id', ARRAY['database'], (:'again'::jsonb ->> 'since')::timestamptz)
            -> 'results' -> 0 ->> 'status', 'healthy', '... and its result');
SELECT is(app.health_run_results('x', ARRAY['stripe'], now()) -> 'results' -> 0 ->> 'error', 'disabled',
  'a disabled service is named as such');
SELECT is(jsonb_array_length(app.health_run_now(ARRAY['database'], false) -> 'payloads'), 1,
  'without enqueueing, a run hands back the payloads for the caller to probe itself');
SELECT throws_ok($$SELECT app.health_run_now(ARRAY(SELECT 's' || g FROM generate_series(1, 51) AS g))$$, 'QV501', NULL,
  'a run names at most 50 services');
SELECT throws_ok($$SELECT app.health_run_now(ARRAY[''])$$, 'QV501', NULL, 'a service name is not empty');
SELECT throws_ok($$SELECT app.health_run_now(ARRAY[repeat('s', 101)])$$, 'QV501', NULL,
  'nor longer than 100 characters');

SELECT * FROM finish();
ROLLBACK;
