-- Alert rules: trigger_conditions checked per alert_type (a Q-code naming the key), destinations
-- per channel, secrets generated and never readable, and who may write which rules (RLS).
BEGIN;
SELECT plan(27);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');

-- The code and the field (from DETAIL's "Field: ...") of the error a rule raises, or 'ok'.
CREATE FUNCTION pg_temp.problem(p_rule jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_detail text;
BEGIN
  PERFORM app.alert_rule_create(p_rule || '{"organization_id": "00000000-0000-0000-0000-00000000000a"}');
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ' ' || coalesce(substring(v_detail FROM 'Field: ([a-z_]+(?:\.[a-z_]+)*)'), '-');
END $$;
CREATE FUNCTION pg_temp.conditions(p_type text, p_conditions text) RETURNS text
LANGUAGE sql AS $$
  SELECT pg_temp.problem(jsonb_build_object('alert_type', p_type, 'channel', 'in_app', 'trigger_conditions', p_conditions::jsonb))
$$;

-- == trigger_conditions, per alert type and key ==

CREATE TEMP TABLE condition_case (alert_type text, conditions text, expected text);
INSERT INTO condition_case VALUES
  ('critical_error', '{}', 'ok'),
  ('critical_error', '{"severity_at_least": "error", "new_only": true, "error_types": ["api", "database"], "project_ids": [1, 2]}', 'ok'),
  ('critical_error', '{"severity_at_least": "fatal"}', 'QVA02 trigger_conditions.severity_at_least'),
  ('critical_error', '{"severity_at_least": 3}', 'QVA02 trigger_conditions.severity_at_least'),
  ('critical_error', '{"new_only": "yes"}', 'QVA02 trigger_conditions.new_only'),
  ('critical_error', '{"error_types": "api"}', 'QVA02 trigger_conditions.error_types'),
  ('critical_error', '{"error_types": ["api", "cosmic"]}', 'QVA02 trigger_conditions.error_types'),
  ('critical_error', '{"error_types": []}', 'QVA02 trigger_conditions.error_types'),
  ('critical_error', '{"project_ids": ["1"]}', 'QVA02 trigger_conditions.project_ids'),
  ('critical_error', '{"project_ids": [1.5]}', 'QVA02 trigger_conditions.project_ids'),
  ('critical_error', '{"threshold": 10}', 'QVA01 trigger_conditions.threshold'),
  ('error_spike', '{"threshold": 100, "window_minutes": 5}', 'ok'),
  ('error_spike', '{"baseline_factor": 3.5, "min_count": 20}', 'ok'),
  ('error_spike', '{}', 'QVA03 trigger_conditions.threshold'),
  ('error_spike', '{"window_minutes": 5}', 'QVA03 trigger_conditions.threshold'),
  ('error_spike', '{"threshold": 0}', 'QVA02 trigger_conditions.threshold'),
  ('error_spike', '{"threshold": "100"}', 'QVA02 trigger_conditions.threshold'),
  ('error_spike', '{"threshold": 10, "window_minutes": 2000}', 'QVA02 trigger_conditions.window_minutes'),
  ('error_spike', '{"baseline_factor": 0.5}', 'QVA02 trigger_conditions.baseline_factor'),
  ('error_spike', '{"baseline_factor": 2, "min_count": -1}', 'QVA02 trigger_conditions.min_count'),
  ('error_spike', '{"threshold": 10, "severity_at_least": "error"}', 'QVA01 trigger_conditions.severity_at_least'),
  ('health_degraded', '{"services": ["api", "checkout"], "status_at_least": "unhealthy", "for_minutes": 5}', 'ok'),
  ('health_degraded', '{"services": ["Not A Service"]}', 'QVA02 trigger_conditions.services'),
  ('health_degraded', '{"status_at_least": "unknown"}', 'QVA02 trigger_conditions.status_at_least'),
  ('health_degraded', '{"for_minutes": 1.5}', 'QVA02 trigger_conditions.for_minutes'),
  ('health_degraded', '{"statuses": ["major_outage"]}', 'QVA01 trigger_conditions.statuses'),
  ('uptime_incident', '{"services": ["api"], "statuses": ["partial_outage", "major_outage"]}', 'ok'),
  ('uptime_incident', '{"statuses": ["down"]}', 'QVA02 trigger_conditions.statuses'),
  ('uptime_incident', '{"for_minutes": 5}', 'QVA01 trigger_conditions.for_minutes'),
  ('new_user_report', '{"priority_at_least": "high", "report_types": ["bug", "performance"]}', 'ok'),
  ('new_user_report', '{"priority_at_least": "urgent"}', 'QVA02 trigger_conditions.priority_at_least'),
  ('new_user_report', '{"report_types": ["complaint"]}', 'QVA02 trigger_conditions.report_types'),
  ('new_user_report', '{"severity_at_least": "error"}', 'QVA01 trigger_conditions.severity_at_least');

SELECT is_empty($$SELECT c.alert_type, c.conditions, c.expected, pg_temp.conditions(c.alert_type, c.conditions) AS got
                    FROM condition_case c WHERE pg_temp.conditions(c.alert_type, c.conditions) IS DISTINCT FROM c.expected$$,
  'each alert type takes exactly its keys: an unknown key is QVA01, a wrong value QVA02, a missing one QVA03, each naming the key');
SELECT is(pg_temp.conditions('critical_error', '[1]'), 'QVA02 trigger_conditions', 'trigger_conditions must be an object');
SELECT is((SELECT count(DISTINCT k.alert_type)::int FROM app.alert_condition_keys k), 5, 'every alert type has its keys listed');

-- == destinations, per channel ==

CREATE TEMP TABLE destination_case (rule text, expected text);
INSERT INTO destination_case VALUES
  ('{"alert_type": "critical_error", "channel": "email", "recipients": ["ops@example.com"]}', 'ok'),
  ('{"alert_type": "critical_error", "channel": "email"}', 'QVA04 recipients'),
  ('{"alert_type": "critical_error", "channel": "email", "recipients": ["not an address"]}', 'QVA04 recipients'),
  ('{"alert_type": "critical_error", "channel": "email", "recipients": ["a@b.co"], "webhook_url": "https://x.test"}', 'QVA04 webhook_url'),
  ('{"alert_type": "critical_error", "channel": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/x"}', 'ok'),
  ('{"alert_type": "critical_error", "channel": "slack"}', 'QVA04 webhook_url'),
  ('{"alert_type": "critical_error", "channel": "slack", "webhook_url": "ftp://x"}', 'QVA04 webhook_url'),
  ('{"alert_type": "critical_error", "channel": "webhook", "webhook_url": "https://hooks.example.com/in"}', 'ok'),
  ('{"alert_type": "critical_error", "channel": "webhook", "webhook_format": "pagerduty", "pagerduty_routing_key": "R0UT1NGKEY"}', 'ok'),
  ('{"alert_type": "critical_error", "channel": "webhook", "webhook_format": "pagerduty"}', 'QVA04 pagerduty_routing_key'),
  ('{"alert_type": "critical_error", "channel": "slack", "webhook_url": "https://h.test/x", "pagerduty_routing_key": "k"}', 'QVA04 pagerduty_routing_key'),
  ('{"alert_type": "critical_error", "channel": "webhook", "webhook_format": "apprise", "webhook_url": "discord://id/token"}', 'ok'),
  ('{"alert_type": "critical_error", "channel": "webhook", "webhook_format": "apprise"}', 'QVA04 webhook_url'),
  ('{"alert_type": "critical_error", "channel": "slack", "webhook_format": "pagerduty", "webhook_url": "https://h.test/x"}', 'QVA05 webhook_format'),
  ('{"alert_type": "critical_error", "channel": "in_app", "recipients": ["org_owner", "owner@a.test"]}', 'ok'),
  ('{"alert_type": "critical_error", "channel": "in_app", "recipients": ["everyone!"]}', 'QVA04 recipients'),
  ('{"alert_type": "critical_error", "channel": "in_app", "group_interval_seconds": 0}', 'QVA05 group_interval_seconds'),
  ('{"alert_type": "critical_error", "channel": "in_app", "group_wait_seconds": 7200}', 'QVA05 group_wait_seconds'),
  ('{"alert_type": "critical_error", "channel": "in_app", "group_interval_seconds": 600, "repeat_interval_seconds": 300}', 'QVA05 repeat_interval_seconds'),
  ('{"alert_type": "critical_error", "channel": "in_app", "trigger_count": 5}', 'QVA05 trigger_count'),
  ('{"alert_type": "critical_error", "channel": "in_app", "signing_secret": "whsec_x"}', 'QVA05 signing_secret'),
  ('{"channel": "in_app"}', 'QV002 alert_type'),
  ('{"alert_type": "critical_error", "channel": "pager"}', 'QV001 channel');

SELECT is_empty($$SELECT d.rule, d.expected, pg_temp.problem(d.rule::jsonb) AS got FROM destination_case d
                   WHERE pg_temp.problem(d.rule::jsonb) IS DISTINCT FROM d.expected$$,
  'recipients, webhook_url and routing key must fit the channel (QVA04) and timers their ranges (QVA05), naming the field');

-- == secrets and labels ==

SELECT c.id AS hook, c.signing_secret AS hook_secret FROM app.alert_rule_create(
  '{"alert_type": "critical_error", "channel": "webhook", "webhook_url": "https://hooks.example.com/in?token=t0k3n",
    "organization_id": "00000000-0000-0000-0000-00000000000a"}') c \gset
SELECT ok(:'hook_secret' ~ '^whsec_[A-Za-z0-9+/]{43}=$', 'a standard webhook rule gets a whsec_ secret of 32 random bytes, returned at creation');
SELECT is(app.alert_rule_secret(:'hook'), :'hook_secret', '... which the operator''s alerts secret command reads back');
SELECT is((SELECT label FROM app.alert_destinations WHERE rule_id = :'hook'), 'https://hooks.example.com/in?…',
  'a webhook''s label hides its query string');
SELECT c.id AS slack FROM app.alert_rule_create(
  '{"alert_type": "critical_error", "channel": "slack", "webhook_url": "https://hooks.slack.com/services/T0/B0/secret",
    "organization_id": "00000000-0000-0000-0000-00000000000a"}') c \gset
SELECT is((SELECT webhook_url::text FROM api.error_alerts WHERE id = :'slack'), 'https://hooks.slack.com/…',
  'the API shows a Slack URL cut after its host');
SELECT c.id AS pager FROM app.alert_rule_create(
  '{"alert_type": "critical_error", "channel": "webhook", "webhook_format": "pagerduty", "pagerduty_routing_key": "abcd1234efgh5678",
    "organization_id": "00000000-0000-0000-0000-00000000000a"}') c \gset
SELECT is((SELECT destinations -> 0 ->> 'recipient' FROM api.error_alerts WHERE id = :'pager'), 'PagerDuty key …5678',
  'a routing key shows only its last four characters');
SELECT is((SELECT signing_secret IS NULL AND pagerduty_routing_key IS NULL FROM api.error_alerts WHERE id = :'pager'), true,
  'reads never return a secret');
SELECT throws_ok($$SELECT app.alert_rule_secret('$$ || :'slack' || $$')$$, 'QNA01', NULL, 'only standard webhooks have a secret');
SELECT is((SELECT c.signing_secret FROM app.alert_rule_update(:'pager', '{"webhook_format": "standard", "webhook_url": "https://h.test/x"}') c) ~ '^whsec_',
  true, 'a rule that becomes a standard webhook gets a new secret, returned by the update');
SELECT is((SELECT count(*)::int FROM app.error_alerts WHERE id = :'pager' AND pagerduty_routing_key IS NULL), 1,
  '... and leaving the pagerduty format drops the routing key');

-- == who writes which rules ==

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT throws_ok('SELECT signing_secret FROM app.error_alerts', '42501', NULL, 'an org owner cannot read signing secrets');
SELECT throws_ok('SELECT pagerduty_routing_key FROM app.error_alerts', '42501', NULL, '... nor routing keys');
SELECT throws_ok('SELECT address FROM app.alert_destinations', '42501', NULL, '... nor raw destination addresses');
INSERT INTO api.error_alerts (alert_type, channel, webhook_url, name)
VALUES ('critical_error', 'webhook', 'https://a.example/hook', 'A''s webhook')
RETURNING id AS created, organization_id AS created_org, signing_secret AS created_secret \gset
SELECT is(:'created_org'::uuid, '00000000-0000-0000-0000-00000000000a'::uuid, 'an org owner''s new rule belongs to its organization (through the API view)');
SELECT ok(:'created_secret' ~ '^whsec_', '... and the insert returns the signing secret once');
SELECT is((SELECT signing_secret FROM api.error_alerts WHERE id = :'created'), NULL, '... never again in a read');
SELECT throws_ok($$INSERT INTO api.error_alerts (alert_type, channel, recipients, organization_id)
                   VALUES ('critical_error', 'in_app', '{org_owner}', '00000000-0000-0000-0000-00000000000b')$$,
  '42501', NULL, 'an org owner cannot create a rule in another organization');
UPDATE api.error_alerts SET muted_until = now() + interval '1 hour', name = 'renamed' WHERE id = :'created';
SELECT is((SELECT name || ' ' || (muted_until > now()) FROM api.error_alerts WHERE id = :'created'), 'renamed true',
  'an org owner edits its rule through the view (only the changed fields)');
SELECT throws_ok($$UPDATE api.error_alerts SET trigger_conditions = '{"nope": 1}' WHERE id = '$$ || :'created' || $$'$$,
  'QVA01', NULL, 'edits are validated too');
RESET ROLE;

INSERT INTO app.error_alerts (alert_type, channel, trigger_conditions, recipients, organization_id) VALUES
  ('critical_error', 'in_app', '{}', '{org_owner}', '00000000-0000-0000-0000-00000000000b'),
  ('critical_error', 'in_app', '{}', '{system_admin}', NULL);
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT is((SELECT count(*)::int FROM api.error_alerts WHERE organization_id IS DISTINCT FROM '00000000-0000-0000-0000-00000000000a'), 0,
  'an org owner sees neither another organization''s rules nor platform rules');
UPDATE api.error_alerts SET is_active = false;
DELETE FROM api.error_alerts WHERE organization_id IS DISTINCT FROM '00000000-0000-0000-0000-00000000000a';
RESET ROLE;
SELECT is((SELECT count(*)::int FROM app.error_alerts WHERE organization_id IS DISTINCT FROM '00000000-0000-0000-0000-00000000000a' AND is_active), 2,
  '... and cannot edit or delete them');
SET LOCAL ROLE staff;
SET LOCAL request.jwt.claims = '{"role": "staff", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT throws_ok($$INSERT INTO api.error_alerts (alert_type, channel, recipients) VALUES ('critical_error', 'in_app', '{staff}')$$,
  '42501', NULL, 'staff read rules but do not write them');
RESET ROLE;
SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
INSERT INTO api.error_alerts (alert_type, channel, recipients) VALUES ('health_degraded', 'in_app', '{system_admin}');
SELECT is((SELECT count(*)::int FROM api.error_alerts WHERE organization_id IS NULL), 2,
  'a system admin creates platform rules (organization_id null) and sees every rule');
DELETE FROM api.error_alerts WHERE organization_id = '00000000-0000-0000-0000-00000000000b';
RESET ROLE;
SELECT is((SELECT count(*)::int FROM app.error_alerts WHERE organization_id = '00000000-0000-0000-0000-00000000000b'), 0,
  '... and deletes any organization''s');

SELECT * FROM finish();
ROLLBACK;
