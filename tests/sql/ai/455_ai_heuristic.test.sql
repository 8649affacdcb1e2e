-- The heuristic provider: templates filled in one pass; the language of the frames picks the fix;
-- severity 1-5 follows the documented matrix (group severity x distinct users, a rising trend one band
-- up, a rule's bump, within 1..5); exception classes win over keywords; rules are rows an operator
-- can disable or add; impact says occurrences, users and trend.
BEGIN;
SELECT plan(23);

-- == Templates ==
SELECT is(app.ai_fill_template('{name} is {missing} at {location}', '{"name": "{location}", "location": "cart.js:10"}'),
  '{location} is {missing} at cart.js:10', 'placeholders are filled once (inserted text is not scanned) and unknown ones stay');

-- == Language ==
SELECT is(app.ai_code_language(E'Traceback (most recent call last):\n  File "app/views.py", line 3, in show', NULL, '{}'),
  'python', 'Python frames are Python');
SELECT is(app.ai_code_language(E'TypeError: x\n    at show (webpack:///src/App.tsx:3:1)', NULL, '{}'), 'javascript',
  'TypeScript frames are JavaScript');
SELECT is(app.ai_code_language(NULL, 'server/index.mjs', '{}'), 'javascript', '... and so is a Node module''s file');
SELECT is(app.ai_code_language(E'at show (app.js:1:1)', NULL, '{"platform": "python"}'), 'python',
  'the SDK''s platform wins over the frames');
SELECT is(app.ai_code_language('main.go:12 +0x1d', NULL, '{}'), 'other', 'anything else is other');

-- == Severity (the matrix in app.ai_severity_matrix's comment) ==
SELECT results_eq($$SELECT app.ai_severity_score(s::app.severity_enum, jsonb_build_object('users', u, 'trend', t), b)
                      FROM (VALUES ('error', 0, 'steady', 0), ('error', 1, 'steady', 0), ('error', 2, 'steady', 0),
                                   ('error', 10, 'steady', 0), ('critical', 100, 'steady', 0), ('debug', 500, 'steady', 0),
                                   ('warning', 2, 'rising', 0), ('critical', 0, 'steady', 1), ('critical', 100, 'rising', 2),
                                   ('debug', 0, 'falling', -2)) AS x (s, u, t, b)$$,
  $$VALUES (2), (2), (3), (4), (5), (2), (3), (4), (5), (1)$$,
  'severity by group severity and reach (single, few from 2, many from 10, widespread from 100), rising one band up, bumped, within 1..5');

-- == Rules ==
INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'shop');
SELECT app.rate_limit_set('00000000-0000-0000-0000-0000000000a1', 0);
UPDATE app.capture_job_policy SET enabled = false WHERE job_kind = 'ai.analyze';
-- (two statements: the analysis, a stable function, sees the capture's rows only from the next one)
CREATE FUNCTION pg_temp.analyse(p_type text, p_message text, p_stack text DEFAULT NULL, p_severity text DEFAULT 'error')
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := ((app.capture_one('00000000-0000-0000-0000-0000000000a1', NULL, jsonb_build_object(
    'error_type', p_type, 'severity', p_severity, 'message', p_message, 'stack_trace', p_stack))).result ->> 'id')::uuid;
BEGIN
  RETURN app.ai_heuristic_analysis(v_id);
END $$;

SELECT is(pg_temp.analyse('runtime', 'KeyError: ''timeout''', E'Traceback (most recent call last):\n  File "app/jobs.py", line 9, in run')
            ->> 'fixClass', 'key_check', 'an exception class wins over a keyword in its message (KeyError: ''timeout'')');
SELECT pg_temp.analyse('runtime', 'ModuleNotFoundError: No module named ''requests''',
                       E'Traceback (most recent call last):\n  File "app/client.py", line 1, in <module>') AS missing \gset
SELECT is((:'missing'::jsonb ->> 'fixClass', :'missing'::jsonb ->> 'autoFix', :'missing'::jsonb ->> 'language')::text,
  '(missing_import,automatic,python)', 'a missing module is a missing import, fixed automatically, in Python');
SELECT ok(:'missing'::jsonb ->> 'suggestedFix' LIKE '%requests%', '... and the fix names the module');
SELECT pg_temp.analyse('javascript', 'TypeError: Cannot read properties of undefined (reading ''items'')',
                       E'TypeError: x\n    at renderList (https://shop.test/static/list.js:30:5)') AS null_access \gset
SELECT is((:'null_access'::jsonb ->> 'fixClass', :'null_access'::jsonb ->> 'language')::text, '(null_check,javascript)',
  'undefined access is a null check in JavaScript');
SELECT ok(:'null_access'::jsonb ->> 'suggestedFix' LIKE '%?.items%' AND :'null_access'::jsonb ->> 'rootCause' LIKE '%items%',
  '... with optional chaining on the property read');
SELECT is(pg_temp.analyse('network', 'Request to https://api.stripe.test/v1/charges failed with status 429 Too Many Requests')
            ->> 'fixClass', 'rate_limit_backoff', 'a 429 is a rate limit');
SELECT pg_temp.analyse('database', 'duplicate key value violates unique constraint "orders_pkey"', NULL, 'critical') AS database \gset
SELECT is((:'database'::jsonb ->> 'fixClass', :'database'::jsonb ->> 'autoFix', :'database'::jsonb ->> 'severity')::text,
  '(database_review,manual,4)', 'a database error is for manual review, one severity up (critical, single user: 3 + 1)');
SELECT is(pg_temp.analyse('api', 'Upstream ETIMEDOUT while calling https://pay.test') ->> 'fixClass', 'retry_with_backoff',
  'a timeout wants a retry with backoff');
SELECT is(pg_temp.analyse('auth', 'Something odd happened') ->> 'fixClass', 'auth_review', 'an auth error of any message is for review');
SELECT is(pg_temp.analyse('runtime', 'The flux capacitor is unhappy') ->> 'fixClass', 'manual_review',
  'anything else is for manual review');

UPDATE app.ai_heuristic_rule SET enabled = false WHERE fix_class = 'rate_limit_backoff';
SELECT is(pg_temp.analyse('network', 'Request to https://maps.test failed with status 429 Too Many Requests')
            ->> 'fixClass', 'http_client_request', 'a disabled rule no longer matches: the next one does');
INSERT INTO app.ai_heuristic_rule (position, fix_class, error_types, pattern, auto_fix, root_cause, fix_python, fix_javascript,
                                   fix_other, prevention)
VALUES (1, 'flux_service', NULL, 'flux capacitor', 'manual', 'The flux capacitor of {location}.', 'py', 'js', 'Call Doc.', 'Oil it.');
SELECT is((SELECT (a ->> 'fixClass', a ->> 'suggestedFix', a ->> 'rootCause')::text
             FROM pg_temp.analyse('runtime', 'The flux capacitor is unhappy again', NULL) AS a),
  '(flux_service,"Call Doc.","The flux capacitor of the newest in-app frame.")', 'a rule added as a row is used, first by position');
UPDATE app.ai_heuristic_rule SET enabled = false WHERE pattern = '.';
SELECT is(pg_temp.analyse('runtime', 'Nothing matches this at all, really') ->> 'fixClass', 'manual_review',
  'with the catch-all rows disabled, the manual review rule still answers what nothing matches');

-- == Impact ==
SELECT is(app.ai_impact_text('{"occurrences": 12, "users": 3, "first_seen": "2026-01-02T03:04:00Z", "trend": "rising",
                               "last_hour": 9, "hour_before": 2}'),
  '12 occurrences from 3 distinct users since 2026-01-02 03:04 UTC; rising: 9 in the last hour, 2 the hour before.',
  'impact says occurrences, distinct users, since when and the trend');
SELECT is(app.ai_impact_text('{"occurrences": 1, "users": 0, "first_seen": "2026-01-02T03:04:00Z", "trend": "new", "last_hour": 1}'),
  '1 occurrence with no user identified since 2026-01-02 03:04 UTC; first seen within the last hour.', '... in the singular too');
SELECT b.result ->> 'id' AS export FROM app.capture_batch('00000000-0000-0000-0000-0000000000a1', NULL,
  '[{"message": "Export failed", "user_id": "u1"}, {"message": "Export failed", "user_id": "u2"},
    {"message": "Export failed", "user_id": "u2"}]') AS b WHERE b.ordinal = 3 \gset
SELECT is(app.ai_group_stats(:'export') - 'first_seen' - 'last_seen',
  '{"occurrences": 3, "users": 2, "last_hour": 3, "hour_before": 0, "trend": "new"}',
  'a group''s counts: occurrences, distinct users, the last two hours and the trend');

SELECT * FROM finish();
ROLLBACK;
