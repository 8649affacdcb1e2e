-- Probes observe, SQL judges: each rule of app.health_judge on observations as the probes report them.
BEGIN;
SELECT plan(19);

CREATE FUNCTION pg_temp.verdict(p_probe text, p_expected jsonb, p_observation jsonb) RETURNS text
LANGUAGE sql AS $$ SELECT status::text FROM app.health_judge(p_probe::app.health_probe_kind, p_expected, p_observation) $$;

SELECT is(pg_temp.verdict('http', '{}', '{"reachable": true, "status_code": 204, "response_time_ms": 40}'), 'healthy',
  'a 2xx answer is healthy by default');
SELECT is(pg_temp.verdict('http', '{}', '{"reachable": true, "status_code": 500, "body": "down"}'), 'unhealthy',
  'a 500 is unhealthy (the probe only reported it)');
SELECT is(pg_temp.verdict('http', '{"status_codes": [200, "300-399"]}', '{"reachable": true, "status_code": 302}'),
  'healthy', 'expected status codes may be ranges');
SELECT is(pg_temp.verdict('http', '{"status_codes": [200]}', '{"reachable": true, "status_code": 201}'), 'unhealthy',
  'a status outside the expected list is unhealthy');
SELECT is(pg_temp.verdict('http', '{}', '{"reachable": false, "error": "connect refused: [Errno 111]"}'), 'unhealthy',
  'an unreachable target is unhealthy');
SELECT is(pg_temp.verdict('http', '{}', '{"reachable": true, "status_code": 200, "timed_out": true, "error": "timeout"}'),
  'unhealthy', 'a timeout is unhealthy even after the status line arrived');
SELECT is(pg_temp.verdict('http', '{"body_contains": "\"ok\""}', '{"reachable": true, "status_code": 200, "body": "{\"status\": \"down\"}"}'),
  'unhealthy', 'a body missing the expected text is unhealthy');
SELECT is(pg_temp.verdict('http', '{"json_path": "$.checks.db", "json_equals": "up"}',
                          '{"reachable": true, "status_code": 200, "body": "{\"checks\": {\"db\": \"up\"}}"}'),
  'healthy', 'a JSON path equal to the expected value is healthy');
SELECT is(pg_temp.verdict('http', '{"json_path": "$.checks.db", "json_equals": "up"}',
                          '{"reachable": true, "status_code": 200, "body": "{\"checks\": {\"db\": \"down\"}}"}'),
  'unhealthy', 'a JSON path with another value is unhealthy');
SELECT is(pg_temp.verdict('http', '{"json_path": "$.status", "json_equals": "UP"}',
                          '{"reachable": true, "status_code": 200, "body": "<html>UP</html>"}'),
  'unhealthy', 'a JSON condition on a body that is not JSON is unhealthy (no error)');
SELECT is(pg_temp.verdict('http', '{"max_response_time_ms": 500}', '{"reachable": true, "status_code": 200, "response_time_ms": 900}'),
  'degraded', 'slower than max_response_time_ms is degraded');
SELECT is(pg_temp.verdict('http', '{}', '{"reachable": true, "status_code": 200, "tls_days_left": 5}'), 'degraded',
  'a certificate expiring within default_min_tls_days (14) is degraded');
SELECT is(pg_temp.verdict('http', '{"min_tls_days": 3}', '{"reachable": true, "status_code": 200, "tls_days_left": 5}'),
  'healthy', 'min_tls_days overrides the default');
SELECT is(pg_temp.verdict('http', '{}', '{"reachable": true, "status_code": 200, "tls_days_left": -2}'), 'unhealthy',
  'an expired certificate is unhealthy');
SELECT is(pg_temp.verdict('http', '{}', '{"probe_error": "environment variable X is not set"}'), 'unknown',
  'a probe that could not run is unknown, neither up nor down');
SELECT results_eq($$SELECT pg_temp.verdict('stripe', '{}', o) FROM (VALUES
    ('{"reachable": true, "status_code": 401, "error": "AuthenticationError: bad key"}'::jsonb),
    ('{"reachable": true, "status_code": 403, "error": "PermissionError: restricted"}'),
    ('{"reachable": true, "status_code": 429, "error": "RateLimitError: slow down"}'),
    ('{"reachable": true, "status_code": 503, "error": "APIError: unavailable"}'),
    ('{"reachable": true, "status_code": 200}'),
    ('{"reachable": false, "error": "connect refused: x"}')) AS t (o)$$,
  $$VALUES ('unhealthy'), ('unhealthy'), ('degraded'), ('degraded'), ('healthy'), ('unhealthy')$$,
  'Stripe: 401/403 unhealthy (the key), 429/5xx degraded, 200 healthy, unreachable unhealthy');
SELECT is(pg_temp.verdict('database', '{}', '{"reachable": true, "error": "query failed: relation x does not exist"}'),
  'unhealthy', 'a database that connects but fails the query is unhealthy');
SELECT is(pg_temp.verdict('smtp', '{}', '{"reachable": true, "status_code": 250}'), 'healthy',
  'an SMTP server answering NOOP with 250 is healthy');
SELECT is((SELECT reasons FROM app.health_judge('http', '{"max_response_time_ms": 100}',
                                                '{"reachable": true, "status_code": 503, "response_time_ms": 300}')),
  ARRAY['status 503 not expected', 'response took 300 ms (max 100)'], 'every failed condition is named in the reasons');

SELECT * FROM finish();
ROLLBACK;
