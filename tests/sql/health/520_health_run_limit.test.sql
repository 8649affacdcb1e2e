-- On-demand health checks (POST /functions/v1/system-health-check needs no login) are capped per
-- minute, all callers together; the refusals are answered, not raised, so they stay counted.
BEGIN;
SELECT plan(10);

SELECT app.health_setting_set('run_now_per_minute', '2');

SELECT ok(app.health_run_now(ARRAY['database']) ? 'run_id', 'the first run of a minute is answered');
SELECT ok(app.health_run_now(ARRAY['api']) ? 'run_id', 'so is the second');
CREATE TEMP TABLE third AS SELECT app.health_run_now(ARRAY['database']) AS run;
SELECT is((SELECT run #>> '{error,code}' FROM third), 'QR501', 'the third in the same minute is refused (QR501)');
SELECT is((SELECT (run #>> '{error,http_status}')::int FROM third), 429, 'which answers 429');
SELECT ok((SELECT (run #>> '{error,retry_after}')::int BETWEEN 1 AND 60 FROM third),
  'and says when the minute is over (Retry-After)');
SELECT ok(app.health_run_now(ARRAY['database'], false) ? 'payloads',
  'a run whose probes the caller runs itself (pgwarden health run) is not capped');
SELECT results_eq($$SELECT runs, refused FROM app.health_run_usage WHERE minute = date_trunc('minute', now())$$,
  $$VALUES (2, 1)$$, 'this minute counts two runs and one refusal');

SELECT is(app._health_run_take(now() + interval '1 minute'), NULL, 'the next minute has a fresh budget');
SELECT is(app._health_run_take(now() + interval '2 hours'), NULL, 'and so has one two hours later');
SELECT is((SELECT count(*)::int FROM app.health_run_usage), 1,
  'whose first run deleted the minutes older than an hour');

SELECT * FROM finish();
ROLLBACK;
