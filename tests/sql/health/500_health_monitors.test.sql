-- Monitors are rows: the spec's six are seeded; new ones are validated once, in SQL.
BEGIN;
SELECT plan(21);

SELECT results_eq(
  $$SELECT service_name::text, check_type::text, probe::text, interval_seconds, timeout_seconds::numeric, enabled
      FROM app.health_monitors WHERE organization_id IS NULL ORDER BY id$$,
  $$VALUES ('api', 'api', 'http', 300, 10.0, true), ('database', 'database', 'database', 300, 5.0, true),
           ('stripe', 'stripe', 'stripe', 900, 10.0, false), ('webhooks', 'webhook', 'heartbeat', 900, 10.0, true),
           ('embeds', 'embed', 'http', 1800, 30.0, false), ('edge_functions', 'api', 'http', 600, 15.0, true)$$,
  'the spec''s monitors are seeded platform-wide: API 5 min/10 s, Database 5 min/5 s, Stripe 15 min/10 s, '
  'Webhooks 15 min, Embeds 30 min/30 s, Edge Functions 10 min/15 s');
SELECT is((SELECT count(*)::int FROM app.health_monitor_state s JOIN app.health_monitors m ON m.id = s.monitor_id
            WHERE s.status = 'unknown'), 6, 'every seeded monitor starts unknown (no data yet)');
SELECT ok((SELECT heartbeat_token ~ '^[0-9a-f]{32}$' FROM app.health_monitors WHERE service_name = 'webhooks'),
  'the push monitor owns a 32-hex heartbeat token');
SELECT is((SELECT target ->> 'api_key_env' FROM app.health_monitors WHERE service_name = 'stripe'),
  'PGWARDEN_STRIPE_API_KEY', 'the Stripe key is named by an environment variable, never stored');

-- == adding ==
SELECT app.health_monitor_add('{"service_name": "status-site", "check_type": "external",
  "target": {"url": "https://status.example"}, "expected": {"status_codes": [200, "300-399"], "body_contains": "ok"}}')
  AS site_id \gset
SELECT results_eq(
  format($$SELECT probe::text, interval_seconds, failure_threshold, success_threshold, endpoint::text, enabled,
                  heartbeat_token IS NULL FROM app.health_monitors WHERE id = %s$$, :site_id),
  $$VALUES ('http', 300, 3, 2, 'https://status.example', true, true)$$,
  'a monitor gets its probe from its check type and Gatus'' defaults (failure 3, success 2)');
SELECT is((SELECT status::text FROM app.health_monitor_state WHERE monitor_id = :site_id), 'unknown',
  'a new monitor gets a state row, unknown');
SELECT app.health_monitor_add('{"service_name": "partner-hook", "check_type": "webhook"}') AS hook_id \gset
SELECT is((SELECT (probe, heartbeat_token ~ '^[0-9a-f]{32}$')::text FROM app.health_monitors WHERE id = :hook_id),
  '(heartbeat,t)', 'a webhook monitor is a push monitor with its own token');

SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "api"}')$$, 'QV501', NULL,
  'an http monitor without a url is refused');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "api",
  "target": {"url": "http://x"}, "expected": {"status_code": 200}}')$$, 'QV501', NULL,
  'an unknown condition is refused (no silent typo)');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "api",
  "target": {"url": "http://x"}, "expected": {"json_path": "$.status ==", "json_equals": "UP"}}')$$, 'QV501', NULL,
  'a JSON path that does not parse is refused');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "api",
  "target": {"url": "http://x"}, "expected": {"json_path": "$.status"}}')$$, 'QV501', NULL,
  'a JSON path without the value it must equal is refused');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "stripe", "target": {}}')$$,
  'QV501', NULL, 'a Stripe monitor needs a key reference');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "api", "target": {"url": "http://x"},
  "interval_seconds": 0}')$$, 'QV501', NULL, 'an interval under 1 s is refused');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "nonsense"}')$$, 'QV501', NULL,
  'a check type outside the spec''s enum is refused');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "api", "check_type": "api", "target": {"url": "http://x"}}')$$,
  'QV501', NULL, 'a service name is unique among the platform-wide monitors (QV501, not 23505)');
-- JSON of the wrong shape is the caller's mistake, named (QV501), not PostgreSQL's 22023
SELECT throws_ok($$SELECT app.health_monitor_add('"api"')$$, 'QV501', NULL, 'a spec that is no JSON object is refused');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "api", "target": "http://x"}')$$,
  'QV501', NULL, 'a target that is no JSON object is refused');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "api", "target": {"url": "http://x"},
  "expected": [200]}')$$, 'QV501', NULL, 'expected conditions that are no JSON object are refused');
SELECT throws_ok(format('SELECT app.health_monitor_update(%s, %L)', :hook_id, '"x"'), 'QV501', NULL,
  'changes that are no JSON object are refused');

-- == the probe payload ==
SELECT is((SELECT p.payload -> 'target' ->> 'url' FROM app.health_probe_payload(
             (SELECT id FROM app.health_monitors WHERE service_name = 'api'), now(), now()) p),
  'http://127.0.0.1:8000/health', 'targets name stack URLs as {web_url}, filled from the settings');
SELECT is((SELECT p.problem FROM app.health_probe_payload(
             (SELECT id FROM app.health_monitors WHERE service_name = 'embeds'), now(), now()) p),
  'target names setting embed_widget_url, which is not set', 'a target naming an unset setting cannot be probed');

SELECT * FROM finish();
ROLLBACK;
