-- Events fold into their groups once per statement: counts, metrics, regression, ignored, jobs.
BEGIN;
SELECT plan(31);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);

CREATE FUNCTION pg_temp.capture(p_events jsonb) RETURNS TABLE (ordinal integer, result jsonb, error jsonb)
LANGUAGE sql AS $$ SELECT * FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, p_events) $$;
CREATE FUNCTION pg_temp.group_of(p_message text) RETURNS app.system_errors
LANGUAGE sql AS $$ SELECT * FROM app.system_errors WHERE message = p_message $$;

-- == Any INSERT into error_events is counted, once per group per statement ==

INSERT INTO app.error_events (organization_id, error_hash, error_type, message, severity, user_id) VALUES
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 'api', 'direct one', 'warning', 'u1'),
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 'api', 'direct one again', 'critical', 'u2'),
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 'api', 'direct one again', 'info', 'u1'),
  ('00000000-0000-0000-0000-00000000000a', repeat('2', 64), 'database', 'direct two', 'error', NULL);
SELECT results_eq($$SELECT error_hash::text, occurrence_count, message FROM app.system_errors ORDER BY error_hash$$,
  $$VALUES (repeat('1', 64), 3, 'direct one'), (repeat('2', 64), 1, 'direct two')$$,
  'a multi-row insert makes one group per hash, counted, represented by its first event');
SELECT is((SELECT severity::text FROM app.system_errors WHERE error_hash = repeat('1', 64)), 'critical',
  'a group takes the highest severity of its events');
SELECT results_eq($$SELECT error_hash::text, event_count FROM app.error_metrics ORDER BY error_hash$$,
  $$VALUES (repeat('1', 64), 3), (repeat('2', 64), 1)$$, 'per-minute metrics are bumped per group');
SELECT is((SELECT bucket FROM app.error_metrics LIMIT 1), date_trunc('minute', now()), 'metrics are per minute');
SELECT is((SELECT users_affected::int FROM api.error_groups WHERE error_hash = repeat('1', 64)), 2,
  'distinct users of a group are countable');
SELECT is((SELECT count(*)::int FROM ONLY app.error_events_default), 0, 'events land in their day''s partition, not the default');
SELECT is((SELECT tableoid::regclass::text FROM app.error_events LIMIT 1),
          'app.error_events_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD'), 'partitions are per UTC day');

-- == Jobs for new groups follow the policy table ==

SELECT results_eq($$SELECT kind, payload ->> 'transition' FROM app.job WHERE payload ->> 'error_hash' = repeat('1', 64) ORDER BY kind$$,
  $$VALUES ('ai.analyze', 'new')$$, 'a new critical group enqueues analysis (alert rules are evaluated in the transaction)');
SELECT results_eq($$SELECT kind FROM app.job WHERE payload ->> 'error_hash' = repeat('2', 64) ORDER BY kind$$,
  $$VALUES ('ai.analyze')$$, 'so does a new error-severity group');
SELECT pg_temp.capture('[{"message": "just information", "severity": "info"}]');
SELECT is_empty($$SELECT j.kind FROM app.job j JOIN app.system_errors s ON s.id::text = j.payload ->> 'error_id'
                   WHERE s.message = 'just information'$$,
  'AI analysis is only for error severity and up (policy min_severity)');
UPDATE app.capture_job_policy SET enabled = false WHERE transition = 'new';
SELECT pg_temp.capture('[{"message": "quiet newcomer", "severity": "critical"}]');
SELECT is((SELECT count(*)::int FROM app.job j WHERE j.payload ->> 'error_id' = (pg_temp.group_of('quiet newcomer')).id::text), 0,
  'a disabled policy enqueues nothing');
UPDATE app.capture_job_policy SET enabled = true;

-- == Regression: resolved and seen again ==

CREATE TEMP TABLE first AS SELECT * FROM pg_temp.capture('[{"message": "Cannot read property id of undefined", "error_type": "javascript"}]');
UPDATE app.system_errors SET status = 'resolved', resolved_at = now() WHERE message = 'Cannot read property id of undefined';
CREATE TEMP TABLE late AS SELECT * FROM pg_temp.capture(jsonb_build_array(jsonb_build_object(
  'message', 'Cannot read property id of undefined', 'error_type', 'javascript', 'timestamp', extract(epoch FROM now() - interval '1 hour'))));
SELECT is((pg_temp.group_of('Cannot read property id of undefined')).status::text, 'resolved',
  'an event that happened before the resolution does not reopen it');
SELECT is((SELECT (result ->> 'occurrence_count')::int FROM late), 2, '... but is counted');
CREATE TEMP TABLE again AS SELECT * FROM pg_temp.capture('[{"message": "Cannot read property id of undefined", "error_type": "javascript"}]');
SELECT is((SELECT result ->> 'status' FROM again), 'recurring', 'a resolved error seen again becomes recurring');
SELECT is((SELECT (result ->> 'is_regression')::boolean FROM again), true, '... reported as a regression');
SELECT is((pg_temp.group_of('Cannot read property id of undefined')).resolved_at, NULL, '... and is no longer resolved');
SELECT results_eq($$SELECT j.kind, j.payload ->> 'transition' FROM app.job j
                     WHERE j.payload ->> 'error_id' = (SELECT result ->> 'id' FROM again) ORDER BY j.id$$,
  $$VALUES ('ai.analyze', 'new'), ('ai.analyze', 'regression')$$,
  'a regression enqueues analysis again');
SELECT results_eq($$SELECT from_status::text, to_status::text FROM app.error_status_history
                     WHERE error_id::text = (SELECT result ->> 'id' FROM again)$$,
  $$VALUES ('resolved', 'recurring')$$, 'the regression is in the status history');
CREATE TEMP TABLE after_regression AS SELECT * FROM pg_temp.capture('[{"message": "Cannot read property id of undefined", "error_type": "javascript"}]');
SELECT is((SELECT (result ->> 'is_regression')::boolean FROM after_regression), false, 'a recurring error seen again is no new regression');

-- == Ignored: keeps counting, raises nothing ==

SELECT pg_temp.capture('[{"message": "noisy but harmless", "severity": "critical"}]');
UPDATE app.system_errors SET status = 'ignored' WHERE message = 'noisy but harmless';
DELETE FROM app.job;
CREATE TEMP TABLE ignored AS SELECT * FROM pg_temp.capture('[{"message": "noisy but harmless", "severity": "critical"},
                                                             {"message": "noisy but harmless", "severity": "critical"}]');
SELECT is((pg_temp.group_of('noisy but harmless')).occurrence_count, 3, 'an ignored error keeps counting');
SELECT is((pg_temp.group_of('noisy but harmless')).status::text, 'ignored', '... stays ignored');
SELECT is((SELECT count(*)::int FROM app.job), 0, '... and enqueues nothing');
CREATE TEMP TABLE ignored_single AS SELECT * FROM pg_temp.capture('[{"message": "noisy but harmless", "severity": "critical"}]');
SELECT results_eq($$SELECT result ->> 'status', (result ->> 'occurrence_count')::int FROM ignored_single$$,
  $$VALUES ('ignored', 4)$$, 'a single event of an ignored error is counted the same, and the group stays ignored');
SELECT is((SELECT count(*)::int FROM app.job), 0, '... enqueuing nothing');

-- == Counts always add up ==

SELECT is((SELECT count(*)::int FROM app.error_events), (SELECT sum(occurrence_count)::int FROM app.system_errors),
  'count(events) = sum(occurrence_count)');
SELECT is((SELECT sum(event_count)::int FROM app.error_metrics), (SELECT count(*)::int FROM app.error_events),
  'metrics add up to the events');

-- == The outcome handed to capture_batch ==

SELECT is(jsonb_array_length(current_setting('pgwarden.capture_outcomes')::jsonb), 1,
  'the trigger leaves one outcome per group of the last statement');
SELECT is((current_setting('pgwarden.capture_outcomes')::jsonb -> 0 ->> 'id'), (pg_temp.group_of('noisy but harmless')).id::text,
  '... naming the group');

-- == updated_at: set by counting an event, and by any other update ==

UPDATE app.system_errors SET updated_at = '2020-01-01' WHERE message IN ('noisy but harmless', 'direct one');
SELECT pg_temp.capture('[{"message": "noisy but harmless", "severity": "critical"}]');
SELECT is((pg_temp.group_of('noisy but harmless')).updated_at, now(), 'counting a single event updates updated_at');
INSERT INTO app.error_events (organization_id, error_hash, error_type, message) VALUES
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 'api', 'direct one'),
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 'api', 'direct one');
SELECT is((pg_temp.group_of('direct one')).updated_at, now(), '... as does counting several');
UPDATE app.system_errors SET updated_at = '2020-01-01' WHERE message = 'direct one';
UPDATE app.system_errors SET status = 'resolved' WHERE message = 'direct one';
SELECT is((pg_temp.group_of('direct one')).updated_at, now(), 'an update that does not set updated_at gets now()');

SELECT * FROM finish();
ROLLBACK;
