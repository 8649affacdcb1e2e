-- What the web app's pages read and write through api: errors awaiting acknowledgement against
-- the response targets, an error's page, a monitor's page and its writes, the status history.
BEGIN;
SELECT plan(26);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.system_errors (id, error_hash, error_type, severity, status, message, organization_id, first_seen_at,
                               stack_trace) VALUES
  ('00000000-0000-0000-0000-0000000000e1', repeat('1', 64), 'api', 'critical', 'new', 'A down',
   '00000000-0000-0000-0000-00000000000a', now() - interval '23 minutes',
   E'Traceback (most recent call last):\n  File "/srv/app/billing.py", line 2, in charge\n  File "/usr/lib/python3.11/site-packages/stripe/api.py", line 9, in call\nValueError: x'),
  ('00000000-0000-0000-0000-0000000000e2', repeat('2', 64), 'api', 'warning', 'new', 'A slow',
   '00000000-0000-0000-0000-00000000000a', now() - interval '23 minutes', NULL),
  ('00000000-0000-0000-0000-0000000000e3', repeat('3', 64), 'api', 'error', 'investigating', 'A looked at',
   '00000000-0000-0000-0000-00000000000a', now() - interval '2 hours', NULL),
  ('00000000-0000-0000-0000-0000000000e4', repeat('4', 64), 'api', 'error', 'new', 'B broke',
   '00000000-0000-0000-0000-00000000000b', now() - interval '2 hours', NULL);
INSERT INTO app.error_events (organization_id, error_hash, error_type, message, browser, os, url, metadata, received_at)
SELECT '00000000-0000-0000-0000-00000000000a', repeat('1', 64), 'api', 'A down', b, 'Linux', 'https://shop.test/pay',
       '{"release": "shop@1.2.3"}', now() - n * interval '1 minute'
  FROM generate_series(1, 3) n, unnest(ARRAY['Chrome', 'Chrome', 'Firefox']) b;

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';

-- response targets
SELECT results_eq($$SELECT message, overdue, response_target FROM api.unacknowledged_errors ORDER BY message$$,
  $$VALUES ('A down', true, interval '15 minutes'), ('A slow', false, interval '4 hours')$$,
  'new errors of my organization against their targets: critical 23 minutes old is overdue, a warning is not');
SELECT ok((SELECT unacknowledged_for BETWEEN interval '22 minutes' AND interval '24 minutes' FROM api.unacknowledged_errors
            WHERE message = 'A down'), 'unacknowledged for 23 minutes');

-- an error's page
SELECT is(api.get_error_detail('00000000-0000-0000-0000-0000000000e1') ->> 'message', 'A down', 'an error''s page');
SELECT is(jsonb_path_query_array(api.get_error_detail('00000000-0000-0000-0000-0000000000e1'), '$.frames[*].in_app'),
  '[true, false]'::jsonb, 'its frames say which are the application''s and which a library''s');
SELECT is(api.get_error_detail('00000000-0000-0000-0000-0000000000e1') -> 'breakdowns' -> 'dimensions' -> 'browser',
  '[{"value": "Chrome", "events": 6}, {"value": "Firefox", "events": 3}]'::jsonb, 'browsers among its events, most first');
SELECT is(api.get_error_detail('00000000-0000-0000-0000-0000000000e1') -> 'breakdowns' -> 'dimensions' -> 'release',
  '[{"value": "shop@1.2.3", "events": 9}]'::jsonb, 'releases among its events');
SELECT is(jsonb_array_length(api.get_error_detail('00000000-0000-0000-0000-0000000000e1') -> 'series'), 168,
  'events per hour over 7 days');
SELECT is((SELECT sum((b ->> 'events')::int)::int FROM jsonb_array_elements(
            api.get_error_detail('00000000-0000-0000-0000-0000000000e1') -> 'series') b), 9,
  'which counts every stored event (from the per-minute metrics)');
SELECT is(jsonb_array_length(api.get_error_detail('00000000-0000-0000-0000-0000000000e1') -> 'events'), 9, 'its latest events');
SELECT throws_like($$SELECT api.get_error_detail('00000000-0000-0000-0000-0000000000e4')$$, '%"code" : "QN001"%',
  'another organization''s error is not found (404)');

-- monitors: read by org owners, written by system admins only
RESET ROLE;
INSERT INTO app.health_monitors (id, organization_id, service_name, display_name, check_type, probe, target, interval_seconds)
OVERRIDING SYSTEM VALUE VALUES
  (901, '00000000-0000-0000-0000-00000000000a', 'shop', 'Shop', 'api', 'http', '{"url": "http://10.1.1.1/x"}', 60),
  (902, '00000000-0000-0000-0000-00000000000b', 'other', 'Other', 'api', 'http', '{"url": "http://10.1.1.2/x"}', 60);
SET LOCAL ROLE org_owner;
SELECT is(api.get_health_monitor(901) -> 'monitor' ->> 'display_name', 'Shop', 'an org owner reads their monitor''s page');
SELECT ok(NOT (api.get_health_monitor(901) -> 'monitor' ? 'target'), 'without its target (addresses, secrets'' names)');
SELECT is(jsonb_array_length(api.get_health_monitor(901) -> 'days'), 90, 'with 90 daily bars');
SELECT throws_like($$SELECT api.get_health_monitor(902)$$, '%"code" : "QN501"%', 'another organization''s monitor is not found');
SELECT throws_ok($$SELECT api.set_health_monitor_enabled(901, false)$$, '42501', NULL, 'an org owner may not pause a monitor');
SELECT throws_ok($$SELECT api.create_health_monitor('{"service_name": "x", "check_type": "api", "target": {"url": "http://x"}}')$$,
  '42501', NULL, 'nor create one');

RESET ROLE;
SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT ok(api.get_health_monitor(901) -> 'monitor' -> 'target' ? 'url', 'a system admin sees the target');
SELECT lives_ok($$SELECT api.update_health_monitor(901, '{"display_name": "Shop API", "interval_seconds": 120}')$$,
  'a system admin edits a monitor');
SELECT results_eq($$SELECT display_name, interval_seconds FROM api.health_monitors WHERE id = 901$$,
  $$VALUES ('Shop API'::varchar, 120)$$, 'and the change is there');
SELECT throws_ok($$SELECT api.update_health_monitor(901, '{"service_name": "renamed"}')$$, 'QV501', NULL,
  'what a monitor is cannot be changed');
SELECT throws_ok($$SELECT api.update_health_monitor(901, '{"interval_seconds": 0}')$$, 'QV501', NULL, 'settings are validated');
SELECT lives_ok($$SELECT api.set_health_monitor_enabled(901, false)$$, 'pauses it');
SELECT isnt(api.create_health_monitor('{"service_name": "new-api", "check_type": "api", "target": {"url": "http://127.0.0.1:1/"}}'),
  NULL, 'creates one');
SELECT lives_ok($$SELECT api.delete_health_monitor(902)$$, 'and deletes one');

-- the public status page's history: public platform-wide components only
RESET ROLE;
INSERT INTO app.health_maintenance_windows (monitor_id, during, reason)
SELECT id, tstzrange(now() + interval '1 day', now() + interval '1 day 1 hour'), 'database upgrade'
  FROM app.health_monitors WHERE service_name IN ('database', 'shop');
INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, duration_seconds, monitor_id, organization_id)
SELECT m.service_name, 'major_outage', now() - interval '3 days', now() - interval '3 days' + interval '10 minutes', 600,
       m.id, m.organization_id
  FROM app.health_monitors m WHERE m.service_name IN ('api', 'shop');
SET LOCAL ROLE anon;
SELECT is(jsonb_path_query_array(api.get_status_history(), '$.maintenance[*].service'), '["database"]'::jsonb,
  'anyone sees the planned maintenance of public components (not an organization''s)');
SELECT is(jsonb_path_query_array(api.get_status_history(), '$.incidents[*] ? (@.status == "major_outage").duration_seconds'),
  '[600]'::jsonb, 'and their incidents of the last 90 days');

SELECT * FROM finish();
ROLLBACK;
