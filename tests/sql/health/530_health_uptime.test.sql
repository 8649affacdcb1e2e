-- Uptime maths on fixtures with known answers, calculate_uptime over PostgREST's roles, the
-- one-minute summary cache, the status page and retention. now() is fixed in this transaction.
BEGIN;
SELECT plan(34);

SELECT app.health_monitor_add('{"service_name": "billing", "check_type": "external", "target": {"url": "http://b"}}')
  AS billing \gset
-- One UTC day (reference/health-alerting.md section 9.4): 30 min major outage of which 15 min
-- fall in a 45 min maintenance window, 1 h partial outage, 1 h without data (unknown).
INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, duration_seconds, monitor_id) VALUES
  ('billing', 'operational',    '2026-02-10 00:00Z', '2026-02-10 10:00Z', 36000, :billing),
  ('billing', 'major_outage',   '2026-02-10 10:00Z', '2026-02-10 10:30Z', 1800, :billing),
  ('billing', 'operational',    '2026-02-10 10:30Z', '2026-02-10 15:00Z', 16200, :billing),
  ('billing', 'partial_outage', '2026-02-10 15:00Z', '2026-02-10 16:00Z', 3600, :billing),
  ('billing', 'operational',    '2026-02-10 17:00Z', '2026-02-11 00:00Z', 25200, :billing);
SELECT app.health_maintenance_add(:billing, '2026-02-10 10:15Z', '2026-02-10 11:00Z', 'database upgrade');

SELECT results_eq(
  format($$SELECT uptime_percentage, observed_seconds::int, downtime_seconds, major_outage_seconds::int,
                  partial_outage_seconds::int, maintenance_seconds::int, unknown_seconds::int
             FROM app.health_uptime_breakdown(%s, '2026-02-10 00:00Z', '2026-02-11 00:00Z')$$, :billing),
  $$VALUES (97.5281, 80100, 1980.0, 900, 3600, 2700, 3600)$$,
  'a day spanning maintenance: observed 80,100 s, downtime 900 + 0.3 x 3,600 s, uptime 97.5281 %');
SELECT is((SELECT (uptime_percentage, observed_seconds::int)::text
             FROM app.health_uptime_breakdown(:billing, '2026-02-10 10:00Z', '2026-02-10 10:30Z')),
  '(0.0000,900)', 'half an hour of outage, half of it in maintenance: 900 s observed, all of it down');
SELECT is((SELECT (uptime_percentage, observed_seconds::int)::text
             FROM app.health_uptime_breakdown(:billing, '2026-02-10 10:20Z', '2026-02-10 11:00Z')),
  '(,0)', 'a window entirely in maintenance observes nothing: no uptime figure rather than 100 %');
SELECT is((SELECT (uptime_percentage, unknown_seconds::int)::text
             FROM app.health_uptime_breakdown(:billing, '2026-02-10 15:30Z', '2026-02-10 16:30Z')),
  '(70.0000,1800)', 'unknown time is left out: 30 min partial outage alone = 70 %');
UPDATE app.health_settings SET value = '1' WHERE key = 'partial_outage_weight';
SELECT is((SELECT uptime_percentage FROM app.health_uptime_breakdown(:billing, '2026-02-10 15:30Z', '2026-02-10 16:30Z')),
  0.0000, 'the partial_outage weight is a setting (here 1: partial counts fully)');
UPDATE app.health_settings SET value = '0.3' WHERE key = 'partial_outage_weight';
INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id)
  VALUES ('billing', 'degraded', '2026-02-11 00:00Z', '2026-02-11 01:00Z', :billing);
SELECT is((SELECT uptime_percentage FROM app.health_uptime_breakdown(:billing, '2026-02-11 00:00Z', '2026-02-11 01:00Z')),
  100.0000, 'degraded time counts as up (degraded_weight 0)');
SELECT is((SELECT maintenance_seconds::int FROM app.health_uptime_breakdown(:billing, '2026-02-11 00:00Z', '2026-02-11 02:00Z')),
  0, 'no maintenance outside its window');

-- == an open interval runs until now ==
SELECT app.health_monitor_add('{"service_name": "search", "check_type": "external", "target": {"url": "http://s"}}')
  AS search \gset
INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id) VALUES
  ('search', 'operational', now() - interval '10 hours', now() - interval '2 hours', :search),
  ('search', 'major_outage', now() - interval '2 hours', NULL, :search);
SELECT is(api.calculate_uptime('search', 1), round(100 * (1 - 2 / 10.0), 4),
  'calculate_uptime: 2 h down out of 10 h observed in the last day (the open outage runs until now)');
SELECT is(api.calculate_uptime('search'), api.calculate_uptime('search', 30), 'p_days defaults to 30');
SELECT throws_ok($$SELECT api.calculate_uptime('search', 0)$$, 'QV501', NULL, 'p_days below 1 is refused');
SELECT throws_ok($$SELECT api.calculate_uptime('nope')$$, 'PGRST', NULL,
  'an unknown service is a 404 in PostgREST''s form');

-- == roles ==
INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', 'Org A');
SELECT app.health_monitor_add('{"service_name": "search", "check_type": "external", "target": {"url": "http://a"},
  "organization_id": "00000000-0000-0000-0000-0000000000a1"}') AS org_search \gset
INSERT INTO app.system_uptime (service_name, status, started_at, monitor_id, organization_id)
  VALUES ('search', 'operational', now() - interval '1 hour', :org_search, '00000000-0000-0000-0000-0000000000a1');
INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-0000000000b1', 'Org B');
SELECT app.health_monitor_add('{"service_name": "mail", "check_type": "external", "target": {"url": "http://m"},
  "organization_id": "00000000-0000-0000-0000-0000000000b1"}') AS org_b_mail \gset
SELECT count(*) AS platform_monitors FROM app.health_monitors WHERE organization_id IS NULL \gset
SELECT api.calculate_uptime('billing', 3650) AS billing_uptime \gset
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-0000000000a1"}';
SELECT is(api.calculate_uptime('search', 1), 100.0000, 'an org owner''s service name means their own monitor');
SELECT is(api.calculate_uptime('billing', 3650), :'billing_uptime'::numeric,
  'an org owner reads the uptime of a platform service (no monitor of their own by that name)');
SELECT is((SELECT count(*) FROM api.health_monitors WHERE organization_id IS NULL), :'platform_monitors'::bigint,
  'org owners see every platform monitor ...');
SELECT results_eq('SELECT service_name::text FROM api.health_monitors WHERE organization_id IS NOT NULL', $$VALUES ('search')$$,
  '... and of organizations only their own');
SELECT is(jsonb_array_length(api.get_health_summary() -> 'services'), :platform_monitors + 1,
  'the health summary lists the platform services and their own');
SELECT throws_ok($$UPDATE app.health_monitors SET enabled = false WHERE organization_id IS NULL$$, '42501', NULL,
  'platform monitors are read-only to org owners');
RESET ROLE;
SET LOCAL ROLE staff;
SET LOCAL request.jwt.claims = '{"role": "staff", "org_id": "00000000-0000-0000-0000-0000000000b1"}';
SELECT is((SELECT count(*) FROM api.health_monitors WHERE organization_id IS NULL), :'platform_monitors'::bigint,
  'staff see the platform monitors too');
SELECT is(api.calculate_uptime('search', 1), round(100 * (1 - 2 / 10.0), 4),
  'another organization''s staff read the platform''s search, never Org A''s');
SELECT is((SELECT array_agg(s ->> 'service_name' ORDER BY s ->> 'service_name')
             FROM jsonb_array_elements(api.get_health_summary() -> 'services') s WHERE s ->> 'organization_id' IS NOT NULL),
          ARRAY['mail'], 'their summary holds their own monitors and no other organization''s');
RESET ROLE;
SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT is(api.calculate_uptime('search', 1), round(100 * (1 - 2 / 10.0), 4), 'a system admin''s name means the platform-wide monitor');
RESET ROLE;
SET LOCAL ROLE anon;
SET LOCAL request.jwt.claims = '{"role": "anon"}';
SELECT throws_ok($$SELECT api.calculate_uptime('search')$$, '42501', NULL, 'anon cannot query uptime directly');
SELECT ok((SELECT jsonb_typeof(api.get_status_page() -> 'components') = 'array'), 'anon reads the status page');
RESET ROLE;

-- == the summary cache ==
SELECT app.health_monitor_add('{"service_name": "cdn", "check_type": "external", "target": {"url": "http://c"}}') AS cdn \gset
SELECT app.health_record_observation(:cdn, '{"reachable": true, "status_code": 200, "response_time_ms": 42}', now());
SELECT app.health_refresh_cache();
SELECT app.health_record_observation(:cdn, '{"reachable": true, "status_code": 200, "response_time_ms": 99}', now());
SELECT is((SELECT (e ->> 'response_time_ms')::int FROM jsonb_array_elements(app.health_summary() -> 'services') e
            WHERE (e ->> 'monitor_id')::bigint = :cdn), 42,
  'within the minute the summary is served from the cache (the newer check is not in it yet)');
UPDATE app.health_summary_cache SET computed_at = now() - interval '61 seconds';
SELECT is((SELECT (e ->> 'response_time_ms')::int FROM jsonb_array_elements(app.health_summary() -> 'services') e
            WHERE (e ->> 'monitor_id')::bigint = :cdn), 99, 'a cache older than a minute is recomputed');
SELECT is((SELECT (e ->> 'uptime_24h')::numeric FROM jsonb_array_elements(app.health_summary() -> 'services') e
            WHERE (e ->> 'monitor_id')::bigint = :search), 80.0000, 'the summary carries uptime over 24 h (2 h of 10 h down)');

-- == the status page ==
SELECT is((SELECT jsonb_array_length(c -> 'days') FROM jsonb_array_elements(app.health_status_page_build(now()) -> 'components') c
            WHERE c ->> 'service' = 'search'), 90, 'each public component has 90 daily bars');
SELECT is(app.health_status_page_build(now()) -> 'status' ->> 'indicator', 'none',
  'with the only known component operational the page reads none (All Systems Operational)');
SELECT app.health_record_observation(:cdn, '{"reachable": false, "error": "refused"}', now()) FROM generate_series(1, 3);
SELECT is((SELECT (p -> 'status' ->> 'indicator') || ' ' || (c ->> 'status')
             FROM app.health_status_page_build(now()) p, jsonb_array_elements(p -> 'components') c
            WHERE c ->> 'service' = 'cdn'), 'critical major_outage',
  'a component in major outage makes the page critical');
SELECT is((app.health_status_page_build(now()) -> 'last_incident' ->> 'service'), 'cdn', 'the most recent outage is the last incident');

-- == retention ==
INSERT INTO app.health_checks (check_type, service_name, status, checked_at, monitor_id)
  VALUES ('external', 'search', 'healthy', now() - interval '31 days', :search),
         ('external', 'search', 'healthy', now() - interval '29 days', :search);
SELECT is(app.health_retention_run(), 1::bigint, 'checks older than 30 days are deleted, younger ones kept');

SELECT app.health_monitor_add('{"service_name": "archive", "check_type": "external", "target": {"url": "http://a"}}')
  AS archive \gset
INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id) VALUES
  ('archive', 'operational', now() - interval '3700 days', now() - interval '3651 days', :archive),
  ('archive', 'degraded', now() - interval '3651 days', now() - interval '3649 days', :archive),
  ('archive', 'operational', now() - interval '3649 days', NULL, :archive);
SELECT is(app.health_retention_run(), 1::bigint, 'uptime intervals that ended over 3,650 days ago are deleted (the default)');
UPDATE app.health_settings SET value = '3000' WHERE key = 'uptime_retention_days';
SELECT is(app.health_retention_run(), 1::bigint, 'uptime_retention_days sets how far back intervals are kept');
SELECT is((SELECT count(*)::int FROM app.system_uptime WHERE monitor_id = :archive AND ended_at IS NULL), 1,
  'the open interval, the current state, stays however old');

SELECT * FROM finish();
ROLLBACK;
