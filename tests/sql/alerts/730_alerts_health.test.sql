-- Health rules fire from the monitor state machine in the probe result's transaction: a monitor
-- going down gives one "down" and, once healthy again, one "resolved" notice; for_minutes waits;
-- maintenance windows suppress; uptime_incident follows the uptime interval. An error and a
-- health degradation of one organization within ten minutes are one incident that says which
-- came first.
BEGIN;
SELECT plan(26);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000c', 'Org C'),
  ('00000000-0000-0000-0000-00000000000e', 'Org E');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0), app.rate_limit_set('00000000-0000-0000-0000-00000000000e', 0);
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop') RETURNING id AS shop \gset
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000e', 'till') RETURNING id AS till \gset

SELECT app.health_monitor_add('{"service_name": "payments", "display_name": "Payments API", "check_type": "api",
  "target": {"url": "http://payments.test/health"}, "failure_threshold": 1, "success_threshold": 1,
  "organization_id": "00000000-0000-0000-0000-00000000000a"}') AS payments \gset
SELECT app.health_monitor_add('{"service_name": "checkout", "display_name": "Checkout", "check_type": "external",
  "target": {"url": "http://checkout.test"}, "failure_threshold": 1, "success_threshold": 1}') AS checkout \gset
SELECT app.health_monitor_add('{"service_name": "batch", "display_name": "Batch", "check_type": "external",
  "target": {"url": "http://batch.test"}, "failure_threshold": 1, "success_threshold": 1}') AS batch \gset
SELECT app.health_monitor_add('{"service_name": "c-api", "display_name": "C API", "check_type": "api",
  "target": {"url": "http://c.test"}, "failure_threshold": 1, "success_threshold": 1,
  "organization_id": "00000000-0000-0000-0000-00000000000c"}') AS c_api \gset
SELECT app.health_monitor_add('{"service_name": "e-api", "display_name": "E API", "check_type": "api",
  "target": {"url": "http://e.test"}, "failure_threshold": 1, "success_threshold": 1,
  "organization_id": "00000000-0000-0000-0000-00000000000e"}') AS e_api \gset

CREATE FUNCTION pg_temp.observe(p_monitor bigint, p_seconds_ago integer, p_observation text) RETURNS text
LANGUAGE sql AS $$
  SELECT app.health_record_observation(p_monitor,
    CASE p_observation WHEN 'up' THEN '{"reachable": true, "status_code": 200, "response_time_ms": 20}'
                       ELSE '{"reachable": false, "error": "connect refused"}' END::jsonb,
    now() - make_interval(secs => p_seconds_ago))::text
$$;
CREATE FUNCTION pg_temp.later(p_by interval) RETURNS void
LANGUAGE sql AS $$
  UPDATE app.alert_incidents SET started_at = started_at - p_by, resolved_at = resolved_at - p_by,
         notify_at = notify_at - p_by, last_notified_at = last_notified_at - p_by;
  UPDATE app.alert_signals SET started_at = started_at - p_by, last_seen_at = last_seen_at - p_by, resolved_at = resolved_at - p_by;
  UPDATE app.alert_notifications SET created_at = created_at - p_by;
$$;
CREATE FUNCTION pg_temp.notices(p_rule uuid) RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT n.kind::text FROM app.alert_notifications n JOIN app.alert_incidents i ON i.id = n.incident_id
   WHERE i.rule_id = p_rule ORDER BY n.created_at, n.id
$$;

SELECT c.id AS any_health FROM app.alert_rule_create('{"alert_type": "health_degraded", "channel": "slack",
  "webhook_url": "https://hooks.slack.com/services/T/B/health"}') c \gset
SELECT c.id AS slow_checkout FROM app.alert_rule_create('{"alert_type": "health_degraded", "channel": "in_app",
  "trigger_conditions": {"services": ["checkout"], "status_at_least": "unhealthy", "for_minutes": 5}}') c \gset
SELECT c.id AS outage FROM app.alert_rule_create('{"alert_type": "uptime_incident", "channel": "email",
  "recipients": ["ops@a.test"], "organization_id": "00000000-0000-0000-0000-00000000000a"}') c \gset

-- == down, then healthy again ==

SELECT pg_temp.observe(:payments, 120, 'up'), pg_temp.observe(:payments, 60, 'down');
SELECT results_eq($$SELECT * FROM pg_temp.notices('$$ || :'any_health' || $$')$$, $$VALUES ('firing')$$,
  'a monitor going unhealthy is notified in the probe result''s transaction');
SELECT is((SELECT title FROM app.alert_incidents WHERE rule_id = :'any_health'), 'Payments API is unhealthy', '... saying which and how');
SELECT results_eq($$SELECT * FROM pg_temp.notices('$$ || :'outage' || $$')$$, $$VALUES ('firing')$$,
  'its uptime interval turning major_outage fires the organization''s uptime_incident rule');
SELECT is((SELECT incident_id::text FROM app.system_uptime WHERE monitor_id = :payments AND ended_at IS NULL),
          (SELECT id::text FROM app.alert_incidents WHERE rule_id = :'outage'), '... and the spec''s system_uptime.incident_id names the incident');
SELECT pg_temp.observe(:payments, 50, 'down');
SELECT is((SELECT count(*)::int FROM pg_temp.notices(:'any_health')), 1, 'staying down is not notified again');
SELECT pg_temp.observe(:payments, 40, 'up');
SELECT is((SELECT status::text FROM app.alert_incidents WHERE rule_id = :'any_health'), 'resolved', 'healthy again resolves it');
SELECT pg_temp.later(interval '5 minutes');
SELECT app.alert_tick();
SELECT results_eq($$SELECT * FROM pg_temp.notices('$$ || :'any_health' || $$')$$, $$VALUES ('firing'), ('resolved')$$,
  'down and back: one "down" and one "resolved" notification');
SELECT ok((SELECT n.content ->> 'summary' FROM app.alert_notifications n JOIN app.alert_incidents i ON i.id = n.incident_id
            WHERE i.rule_id = :'any_health' AND n.kind = 'resolved') LIKE 'Resolved at % after 1 min%', '... saying for how long (from the first failed check)');

-- == for_minutes ==

SELECT pg_temp.observe(:checkout, 300, 'up'), pg_temp.observe(:checkout, 180, 'down');
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE rule_id = :'slow_checkout'), 0,
  'down for 3 minutes does not fire a rule that waits 5 (for_minutes)');
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE rule_id = :'any_health' AND resolved_at IS NULL), 1,
  '... while a rule without for_minutes fires at once');
UPDATE app.system_uptime SET started_at = started_at - interval '3 minutes' WHERE monitor_id = :checkout;
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE rule_id = :'slow_checkout'), 1, 'once down for 5 minutes the tick fires it');
SELECT is((SELECT count(*)::int FROM app.alert_in_app_notifications WHERE recipient_role = 'system_admin'), 1,
  '... to the platform''s system admins in the app');

-- == maintenance ==

SELECT app.health_maintenance_add(:batch, now() - interval '1 hour', now() + interval '1 hour', 'upgrade') AS window_id \gset
SELECT pg_temp.observe(:batch, 120, 'up'), pg_temp.observe(:batch, 60, 'down');
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE facts ->> 'service_name' = 'batch'), 0,
  'a monitor down during its maintenance window alerts nobody');
UPDATE app.health_maintenance_windows SET during = tstzrange(now() - interval '1 hour', now() - interval '1 second') WHERE id = :window_id;
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE facts ->> 'service_name' = 'batch'), 1,
  'still down when the window ends: the next tick fires');

-- == correlation: errors first, then health ==

SELECT c.id AS critical FROM app.alert_rule_create('{"alert_type": "critical_error", "channel": "slack",
  "webhook_url": "https://hooks.slack.com/services/T/B/errors", "organization_id": "00000000-0000-0000-0000-00000000000a"}') c \gset
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', :shop,
  '[{"message": "card declined storm", "error_type": "stripe", "severity": "critical", "component": "cart"}]');
SELECT pg_temp.later(interval '2 minutes');
SELECT pg_temp.observe(:payments, 10, 'down');
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE status = 'firing' AND organization_id = '00000000-0000-0000-0000-00000000000a'), 1,
  'a critical error and, 2 minutes later, its organization''s monitor going down are one incident');
SELECT results_eq($$SELECT s.alert_type::text FROM app.alert_signals s JOIN app.alert_incidents i ON i.id = s.incident_id
                     WHERE i.status = 'firing' AND i.organization_id = '00000000-0000-0000-0000-00000000000a' ORDER BY 1$$,
  $$VALUES ('critical_error'), ('health_degraded'), ('uptime_incident')$$, '... holding the error and both health signals');
SELECT is((SELECT correlation FROM api.alert_incidents WHERE status = 'firing' AND organization_id = '00000000-0000-0000-0000-00000000000a'),
  'Errors in cart started 2 min before Payments API went unhealthy.', '... and it says which came first');
SELECT pg_temp.later(interval '5 minutes');
SELECT app.alert_tick();
SELECT ok((SELECT n.content ->> 'summary' FROM app.alert_notifications n JOIN app.alert_incidents i ON i.id = n.incident_id
            WHERE i.rule_id = :'critical' ORDER BY n.created_at DESC, n.id DESC LIMIT 1)
          LIKE '%Errors in cart started 2 min before Payments API went unhealthy.%',
  'the update at the next group interval tells every rule''s destinations');
SELECT is((SELECT count(*)::int FROM app.alert_deliveries d
            WHERE d.notification_id = (SELECT n.id FROM app.alert_notifications n JOIN app.alert_incidents i ON i.id = n.incident_id
                                        WHERE i.rule_id = :'critical' ORDER BY n.created_at DESC LIMIT 1)), 3,
  '... (the errors'' Slack, the health Slack and the uptime e-mail)');

-- == correlation: health first, then an error spike ==

SELECT c.id AS c_spike FROM app.alert_rule_create('{"alert_type": "error_spike", "channel": "in_app",
  "trigger_conditions": {"threshold": 50}, "organization_id": "00000000-0000-0000-0000-00000000000c"}') c \gset
SELECT c.id AS c_health FROM app.alert_rule_create('{"alert_type": "health_degraded", "channel": "in_app",
  "organization_id": "00000000-0000-0000-0000-00000000000c"}') c \gset
SELECT pg_temp.observe(:c_api, 20, 'up'), pg_temp.observe(:c_api, 10, 'down');
SELECT pg_temp.later(interval '3 minutes');
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
VALUES ('00000000-0000-0000-0000-00000000000c', date_trunc('minute', now()), repeat('c', 64), 80);
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'c_spike'), 0,
  'an error spike 3 minutes after its organization''s monitor went down opens no incident of its own ...');
SELECT is((SELECT string_agg(correlation, ' | ') FROM api.alert_incidents WHERE organization_id = '00000000-0000-0000-0000-00000000000c'),
  'C API went unhealthy 3 min before errors in Org C started.', '... it joins the outage''s, which says what came first');

-- == correlation: errors first, then health, and only then the tick that sees the spike ==

SELECT c.id AS e_spike FROM app.alert_rule_create('{"alert_type": "error_spike", "channel": "in_app",
  "trigger_conditions": {"threshold": 50}, "organization_id": "00000000-0000-0000-0000-00000000000e"}') c \gset
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000e', :till,
  (SELECT jsonb_agg(jsonb_build_object('message', 'till offline ' || n, 'error_type', 'network', 'component', 'till'))
     FROM generate_series(1, 60) n));
-- (received 3 minutes ago; the minute's metrics with them)
UPDATE app.error_events SET received_at = received_at - interval '3 minutes'
 WHERE organization_id = '00000000-0000-0000-0000-00000000000e';
UPDATE app.error_metrics SET bucket = date_trunc('minute', now() - interval '3 minutes')
 WHERE organization_id = '00000000-0000-0000-0000-00000000000e';
SELECT pg_temp.observe(:e_api, 70, 'up'), pg_temp.observe(:e_api, 60, 'down');
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE organization_id = '00000000-0000-0000-0000-00000000000e'), 1,
  'errors that began 3 minutes ago, a monitor down for 1, then the tick that sees the spike: one incident');
SELECT is((SELECT correlation FROM api.alert_incidents WHERE organization_id = '00000000-0000-0000-0000-00000000000e'),
  'Errors in Org E started 2 min before E API went unhealthy.',
  '... the spike dated from its first event, not from the tick that saw it, so the errors came first');

-- == a monitor switched off or deleted clears ==

SELECT app.health_monitor_set_enabled(:batch, false);
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE facts ->> 'service_name' = 'batch' AND resolved_at IS NULL), 0,
  'disabling a monitor that is down clears its alerts');
SELECT pg_temp.observe(:checkout, 5, 'down');
DELETE FROM app.health_monitors WHERE id = :checkout;
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE facts ->> 'service_name' = 'checkout' AND resolved_at IS NULL), 0,
  '... and so does deleting it');

-- == correlation by service: a platform monitor and the errors of a component of that name ==

SELECT app.health_monitor_add('{"service_name": "search", "display_name": "Search", "check_type": "external",
  "target": {"url": "http://search.test"}, "failure_threshold": 1, "success_threshold": 1}') AS search \gset
SELECT pg_temp.observe(:search, 20, 'up'), pg_temp.observe(:search, 10, 'down');
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', :shop,
  '[{"message": "search box dead", "error_type": "javascript", "severity": "critical", "component": "Search"}]');
SELECT results_eq($$SELECT s.alert_type::text, s.service FROM app.alert_signals s
                     WHERE s.incident_id = (SELECT incident_id FROM app.alert_signals WHERE facts ->> 'service_name' = 'search')
                     ORDER BY s.id$$,
  $$VALUES ('health_degraded', 'search'), ('critical_error', 'search')$$,
  'errors of component Search join the incident of the platform monitor search');

SELECT * FROM finish();
ROLLBACK;
