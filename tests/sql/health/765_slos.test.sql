-- Availability objectives burn their error budget at rates computed from the uptime intervals, and
-- the SRE workbook's multi-window alerts fire and clear through uptime_incident rules naming them:
-- synthetic interval series with known burn rates (target 99 %: a budget of 1 % of the time).
BEGIN;
SELECT plan(23);

UPDATE app.health_monitors SET enabled = false;  -- the seeds stay out of the way

CREATE FUNCTION pg_temp.monitor(p_service text) RETURNS bigint
LANGUAGE sql AS $$
  SELECT app.health_monitor_add(jsonb_build_object('service_name', p_service, 'check_type', 'external',
    'target', jsonb_build_object('url', 'http://' || p_service || '.test'), 'failure_threshold', 1, 'success_threshold', 1))
$$;
-- the monitor's status intervals, each given as 'status from-ago', until now (the last one open)
CREATE FUNCTION pg_temp.series(p_monitor bigint, VARIADIC p_spans text[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM app.system_uptime WHERE monitor_id = p_monitor;
  INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, duration_seconds, monitor_id)
  SELECT m.service_name, split_part(s.span, ' ', 1)::app.uptime_status_enum,
         now() - substr(s.span, strpos(s.span, ' ') + 1)::interval,
         now() - lead(substr(s.span, strpos(s.span, ' ') + 1)::interval) OVER (ORDER BY s.n),
         extract(epoch FROM substr(s.span, strpos(s.span, ' ') + 1)::interval
                          - lead(substr(s.span, strpos(s.span, ' ') + 1)::interval) OVER (ORDER BY s.n)),
         p_monitor
    FROM unnest(p_spans) WITH ORDINALITY AS s (span, n), app.health_monitors m WHERE m.id = p_monitor;
$$;

SELECT pg_temp.monitor('blip') AS blip, pg_temp.monitor('fast') AS fast, pg_temp.monitor('slow') AS slow,
       pg_temp.monitor('steady') AS steady, pg_temp.monitor('other') AS other \gset
-- six minutes down, over two minutes ago
SELECT pg_temp.series(:blip, 'operational 4 days', 'major_outage 8 minutes', 'operational 2 minutes');
-- down for the last twenty minutes
SELECT pg_temp.series(:fast, 'operational 4 days', 'major_outage 20 minutes');
-- half an hour down five hours ago, and down again for the last three minutes
SELECT pg_temp.series(:slow, 'operational 4 days', 'major_outage 5 hours', 'operational 4 hours 30 minutes',
                      'major_outage 3 minutes');
-- forty minutes down two days ago, ten minutes five hours ago
SELECT pg_temp.series(:steady, 'operational 4 days', 'major_outage 2 days', 'operational 47 hours 20 minutes',
                      'major_outage 5 hours', 'operational 4 hours 50 minutes');

SELECT (app.slo_create(s, 0.99)).id FROM unnest(ARRAY['blip', 'fast', 'slow', 'steady']) s;
SELECT throws_ok($$SELECT app.slo_create('fast', 1)$$, 'QV765', NULL, 'a target is a share below 1');
SELECT throws_ok($$SELECT app.slo_create('fast', 0.999, 120)$$, 'QV765', NULL, 'a window is 1 to 90 days');
SELECT throws_ok($$SELECT app.slo_create('fast', 0.999)$$, 'QV765', NULL, 'names are unique per organization');
SELECT throws_ok($$SELECT app.slo_create('nope', 0.999)$$, 'QN765', NULL, 'an unknown service is not found');

SELECT c.id AS pages FROM app.alert_rule_create('{"alert_type": "uptime_incident", "channel": "in_app",
  "trigger_conditions": {"slo_burn": ["page_fast", "page_slow"]}}') c \gset
SELECT c.id AS tickets FROM app.alert_rule_create('{"alert_type": "uptime_incident", "channel": "email",
  "recipients": ["sre@example.test"], "trigger_conditions": {"slo_burn": ["ticket"]}}') c \gset
SELECT c.id AS outages FROM app.alert_rule_create('{"alert_type": "uptime_incident", "channel": "in_app"}') c \gset

SELECT is(app.slo_evaluate(), 4, 'pg_cron''s evaluation measures every objective');

-- == known answers: error ratio / 1 % over 5m, 30m, 1h, 6h, 3d ==

SELECT is((SELECT burn_rates FROM app.service_slos WHERE name = 'blip'),
  '{"5m": 60, "30m": 20, "1h": 10, "6h": 1.6667, "3d": 0.1389}', 'blip: six minutes down, three of the last five');
SELECT is((SELECT burn_rates FROM app.service_slos WHERE name = 'fast'),
  '{"5m": 100, "30m": 66.6667, "1h": 33.3333, "6h": 5.5556, "3d": 0.4630}', 'fast: down for twenty minutes');
SELECT is((SELECT burn_rates FROM app.service_slos WHERE name = 'slow'),
  '{"5m": 60, "30m": 10, "1h": 5, "6h": 9.1667, "3d": 0.7639}', 'slow: 33 minutes in six hours');
SELECT is((SELECT burn_rates FROM app.service_slos WHERE name = 'steady'),
  '{"5m": 0, "30m": 0, "1h": 0, "6h": 2.7778, "3d": 1.1574}', 'steady: 50 minutes in three days');

SELECT results_eq($$SELECT name::text, firing FROM app.service_slos ORDER BY name$$,
  $$VALUES ('blip', '{}'::text[]), ('fast', '{page_fast}'), ('slow', '{page_slow}'), ('steady', '{ticket}')$$,
  'each burn pattern holds exactly its alert: 14.4x over 1h and 5m, 6x over 6h and 30m, 1x over 3d and 6h; a blip none');
SELECT results_eq(format($$SELECT s.dedup_key, s.severity::text, s.title FROM app.alert_signals s
                             WHERE s.rule_id = '%s' AND s.resolved_at IS NULL ORDER BY s.dedup_key$$, :'pages'),
  format($$VALUES ('slo:%s:page_fast', 'critical', 'fast: SLO fast burning its error budget 33.3333x (page_fast)'),
                  ('slo:%s:page_slow', 'error', 'slow: SLO slow burning its error budget 9.1667x (page_slow)')$$,
         (SELECT id FROM app.service_slos WHERE name = 'fast'), (SELECT id FROM app.service_slos WHERE name = 'slow')),
  'the page rule fires for both pages, and says how fast the budget burns');
SELECT is((SELECT string_agg(s.dedup_key || ' ' || s.severity, ', ') FROM app.alert_signals s WHERE s.rule_id = :'tickets'),
  format('slo:%s:ticket warning', (SELECT id FROM app.service_slos WHERE name = 'steady')), 'the ticket rule fires for the ticket only');
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE rule_id = :'outages'), 0,
  'an uptime_incident rule without slo_burn ignores burn rates');
SELECT is((SELECT budget_remaining FROM app.service_slos WHERE name = 'fast'), 0.652778,
  'fast spent 20 of the 57.6 minutes its four observed days allow: 65 % of the budget is left');
SELECT is((SELECT budget_seconds FROM api.slos WHERE name = 'fast'), 25920::numeric,
  'api.slos: 1 % of 30 days is 25,920 s of budget');

-- == clearing ==

-- fast recovered ten minutes ago: the hour still burns, the last five minutes do not
SELECT pg_temp.series(:fast, 'operational 4 days', 'major_outage 30 minutes', 'operational 10 minutes');
SELECT app.slo_evaluate();
SELECT is((SELECT firing FROM app.service_slos WHERE name = 'fast'), '{}'::text[],
  'once the short window is clean the page no longer holds, though the hour still burns 33x');
SELECT is((SELECT i.status::text FROM app.alert_signals s JOIN app.alert_incidents i ON i.id = s.incident_id
            WHERE s.rule_id = :'pages' AND s.dedup_key LIKE '%:page_fast'), 'resolved',
  'its signal and incident resolve through the alerting rules');

-- a slo_burn rule does not fire on a monitor going down, the plain uptime rule does
SELECT app.health_record_observation(:other, '{"reachable": false, "error": "refused"}', now());
SELECT results_eq(format($$SELECT rule_id::text FROM app.alert_signals WHERE dedup_key = 'monitor:%s'$$, :other),
  format($$VALUES ('%s')$$, :'outages'), 'outage intervals go to the rules without slo_burn only');

SELECT app.slo_delete('steady');
SELECT app.slo_evaluate();
SELECT is((SELECT resolved_at IS NOT NULL FROM app.alert_signals WHERE rule_id = :'tickets'), true,
  'a deleted objective''s alerts resolve at the next evaluation');

-- == an organization's owner, through the api ==

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A'),
  ('00000000-0000-0000-0000-00000000000b', 'Org B');
SELECT app.health_monitor_add('{"service_name": "shop", "check_type": "external", "target": {"url": "http://shop.test"},
  "organization_id": "00000000-0000-0000-0000-00000000000a"}') AS shop_a \gset
SELECT app.health_monitor_add('{"service_name": "shop", "check_type": "external", "target": {"url": "http://shop.test"},
  "organization_id": "00000000-0000-0000-0000-00000000000b"}') AS shop_b \gset
SELECT pg_temp.series(:shop_a, 'operational 2 days', 'major_outage 30 minutes');
SELECT app.slo_create('shop', 0.999, 30, 'b-shop', '00000000-0000-0000-0000-00000000000b');
SET LOCAL ROLE org_owner;
SELECT set_config('request.jwt.claims', '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}', true);
SELECT results_eq($$SELECT name::text, service_name::text, target, budget_seconds, round(budget_remaining, 4) FROM api.create_slo('shop', 0.999)$$,
  $$VALUES ('shop', 'shop', 0.999::numeric, 2592::numeric, -9.4167)$$,
  'an owner''s objective is on their own monitor, its budget computed at once (30 of 2,880 minutes down at 99.9 %: overspent ten times)');
SELECT results_eq($$SELECT name::text, organization_id::text FROM api.slos$$,
  $$VALUES ('shop', '00000000-0000-0000-0000-00000000000a')$$, 'an owner sees their organization''s objectives only');
SELECT throws_ok($$SELECT api.delete_slo('b-shop')$$, 'PGRST', NULL, 'another organization''s objective is not theirs to delete (404)');
SELECT lives_ok($$SELECT api.delete_slo('shop')$$, 'their own is');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
