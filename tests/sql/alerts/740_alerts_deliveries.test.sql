-- Deliveries: the alerts.deliver job payload per channel (../alerts-contract.md), pacing per
-- address, every attempt recorded from the job's failures and result, broken destinations,
-- redacted listings, in-app notifications for their recipients only, test notifications, and
-- new_user_report rules.
BEGIN;
SELECT plan(34);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.users (id, organization_id, email, role) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'owner@a.test', 'org_owner'),
  ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-00000000000a', 'staff@a.test', 'staff');
SELECT app.alert_setting_set('pagerduty_events_url', '"http://127.0.0.1:9/"');

CREATE FUNCTION pg_temp.rule(p_rule jsonb) RETURNS uuid
LANGUAGE sql AS $$
  SELECT c.id FROM app.alert_rule_create(p_rule || '{"organization_id": "00000000-0000-0000-0000-00000000000a"}') c
$$;
-- the payloads of the jobs a test notification of a rule enqueued
CREATE FUNCTION pg_temp.payloads(p_rule uuid) RETURNS SETOF jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_notification_id uuid := app.alert_test(p_rule);
BEGIN
  RETURN QUERY SELECT j.payload FROM app.job j JOIN app.alert_deliveries d ON d.job_id = j.id
                WHERE d.notification_id = v_notification_id ORDER BY j.payload::text;
END $$;

-- == the payload, per channel ==

SELECT pg_temp.rule('{"alert_type": "critical_error", "channel": "email", "recipients": ["a@a.test", "B@A.test"], "name": "mail"}') AS mail \gset
SELECT pg_temp.rule('{"alert_type": "critical_error", "channel": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/s1"}') AS slack \gset
SELECT c.id AS hook, c.signing_secret AS hook_secret FROM app.alert_rule_create('{"alert_type": "critical_error", "channel": "webhook",
  "webhook_url": "https://hooks.example.com/pgwarden", "organization_id": "00000000-0000-0000-0000-00000000000a"}') c \gset
SELECT pg_temp.rule('{"alert_type": "health_degraded", "channel": "webhook", "webhook_format": "pagerduty",
  "pagerduty_routing_key": "R0UTINGKEY0123456789abcdef012345"}') AS pager \gset
SELECT pg_temp.rule('{"alert_type": "critical_error", "channel": "webhook", "webhook_format": "apprise",
  "webhook_url": "ntfy://ntfy.example/alerts"}') AS apprise \gset

SELECT results_eq($$SELECT p -> 'destination' FROM pg_temp.payloads('$$ || :'mail' || $$') p ORDER BY p::text LIKE '%a@a.test%' DESC$$,
  $$VALUES ('{"to": "a@a.test"}'::jsonb), ('{"to": "b@a.test"}'::jsonb)$$, 'email: one delivery (and job) per recipient');
SELECT results_eq($$SELECT p -> 'destination' FROM pg_temp.payloads('$$ || :'slack' || $$') p$$,
  $$VALUES ('{"webhook_url": "https://hooks.slack.com/services/T/B/s1"}'::jsonb)$$, 'slack: the incoming webhook URL');
SELECT results_eq($$SELECT p -> 'destination' FROM pg_temp.payloads('$$ || :'hook' || $$') p$$,
  format($$VALUES ('{"url": "https://hooks.example.com/pgwarden", "secret": "%s"}'::jsonb)$$, :'hook_secret'),
  'webhook: the URL and the rule''s signing secret');
SELECT results_eq($$SELECT p -> 'destination' FROM pg_temp.payloads('$$ || :'pager' || $$') p$$,
  $$VALUES ('{"url": "http://127.0.0.1:9/v2/enqueue", "routing_key": "R0UTINGKEY0123456789abcdef012345"}'::jsonb)$$,
  'pagerduty: the configured Events API v2 endpoint and the routing key');
SELECT results_eq($$SELECT p -> 'destination' FROM pg_temp.payloads('$$ || :'apprise' || $$') p$$,
  $$VALUES ('{"url": "ntfy://ntfy.example/alerts"}'::jsonb)$$, 'apprise: the Apprise URL');

SELECT p AS payload FROM pg_temp.payloads(:'slack') p \gset
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(:'payload'::jsonb) k),
  ARRAY['channel', 'delivery_id', 'destination', 'notification', 'webhook_id'], 'the payload has exactly the contract''s keys');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(:'payload'::jsonb -> 'notification') k),
  ARRAY['alert_type', 'dedup_key', 'event_count', 'fields', 'incident_id', 'kind', 'links', 'new_since_last', 'organization_id',
        'resolved_at', 'rule_id', 'severity', 'started_at', 'summary', 'title'],
  '... and its notification those of the contract');
SELECT is(:'payload'::jsonb ->> 'webhook_id', 'msg_' || replace(:'payload'::jsonb ->> 'delivery_id', '-', ''),
  'webhook_id is msg_ and the delivery id: the same on every retry');
SELECT is((SELECT idempotency_key FROM app.job WHERE payload ->> 'delivery_id' = :'payload'::jsonb ->> 'delivery_id'),
  'delivery:' || (:'payload'::jsonb ->> 'delivery_id'), 'each delivery is one job, keyed by the delivery');
SELECT is(:'payload'::jsonb #>> '{notification,kind}', 'test', 'alerts test sends a notification of kind test ...');
SELECT is((SELECT status::text || ' ' || is_test FROM app.alert_incidents WHERE id = (:'payload'::jsonb #>> '{notification,incident_id}')::uuid),
  'resolved true', '... as an incident of its own, marked as a test');

-- == pacing ==

SELECT pg_temp.rule('{"alert_type": "error_spike", "channel": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/s1",
  "trigger_conditions": {"threshold": 5}}') AS slack_twin \gset
SELECT app.alert_test(:'slack'), app.alert_test(:'slack_twin'), app.alert_test(:'mail');
SELECT results_eq($$SELECT extract(epoch FROM d.run_at - now())::int FROM app.alert_deliveries d
                     WHERE d.channel = 'slack' ORDER BY d.run_at$$,
  $$VALUES (0), (1), (2), (3)$$, 'deliveries to one Slack webhook, whichever rules share it, go at most one per second');
SELECT is((SELECT count(DISTINCT d.run_at)::int FROM app.alert_deliveries d WHERE d.channel = 'email'), 1, 'e-mail is not paced');
SELECT is((SELECT count(*)::int FROM app.job j JOIN app.alert_deliveries d ON d.job_id = j.id WHERE j.run_at = d.run_at),
          (SELECT count(*)::int FROM app.alert_deliveries WHERE job_id IS NOT NULL), 'a delivery''s job runs at its paced time');

-- == attempts ==

SELECT d.id AS delivery, d.job_id AS job FROM app.alert_deliveries d WHERE d.rule_id = :'hook' LIMIT 1 \gset
UPDATE app.job SET priority = -1 WHERE id = :job;
SELECT id FROM app.job_claim('w1', ARRAY['alerts.deliver'], 1);
SELECT app.job_fail(:job, 'w1', 'HTTP 429', true, 7, jsonb_build_object('delivery_id', :'delivery', 'channel', 'webhook',
  'status_code', 429, 'latency_ms', 12.5, 'provider_error', 'rate limited', 'broken', false));
SELECT results_eq($$SELECT attempt, outcome, status_code, latency_ms, provider_error, next_retry_at = now() + interval '7 s'
                      FROM app.alert_delivery_attempts WHERE delivery_id = '$$ || :'delivery' || $$'$$,
  $$VALUES (1, 'retry', 429, 12.5, 'rate limited', true)$$,
  'a retryable failure is an attempt with the handler''s status code, latency and error, and the next retry (Retry-After)');
SELECT is((SELECT status::text || ' ' || attempts FROM app.alert_deliveries WHERE id = :'delivery'), 'retrying 1', '... the delivery is retrying');
UPDATE app.job SET run_at = now() WHERE id = :job;
SELECT id FROM app.job_claim('w1', ARRAY['alerts.deliver'], 1);
SELECT app.job_complete(:job, 'w1', jsonb_build_object('delivery_id', :'delivery', 'channel', 'webhook', 'status_code', 200,
  'latency_ms', 31, 'provider_response', 'ok'));
SELECT results_eq($$SELECT attempt, outcome, status_code, provider_response FROM app.alert_delivery_attempts
                     WHERE delivery_id = '$$ || :'delivery' || $$' ORDER BY attempt$$,
  $$VALUES (1, 'retry', 429, NULL), (2, 'delivered', 200, 'ok')$$, 'the success is recorded from the finished job''s result');
SELECT is((SELECT status::text || ' ' || attempts || ' ' || (delivered_at IS NOT NULL) FROM app.alert_deliveries WHERE id = :'delivery'),
  'delivered 2 true', '... and the delivery is delivered');

SELECT d.id AS lost, d.job_id AS lost_job FROM app.alert_deliveries d WHERE d.rule_id = :'apprise' LIMIT 1 \gset
UPDATE app.job SET priority = -1 WHERE id = :lost_job;
SELECT id FROM app.job_claim('w2', ARRAY['alerts.deliver'], 1);
UPDATE app.job SET locked_until = now() - interval '1 s' WHERE id = :lost_job;
SELECT app.job_reap();
SELECT results_eq($$SELECT outcome, provider_error FROM app.alert_delivery_attempts WHERE delivery_id = '$$ || :'lost' || $$'$$,
  $$VALUES ('retry', 'lease expired')$$, 'a worker that died mid-delivery leaves an attempt: the lease expired');

SELECT d.id AS odd, d.job_id AS odd_job FROM app.alert_deliveries d WHERE d.rule_id = :'mail' LIMIT 1 \gset
UPDATE app.job SET priority = -2 WHERE id = :odd_job;
SELECT id FROM app.job_claim('w3', ARRAY['alerts.deliver'], 1);
SELECT app.job_fail(:odd_job, 'w3', 'SMTP broke', true, NULL, '{"status_code": "five hundred", "latency_ms": [], "broken": "yes"}');
SELECT results_eq($$SELECT outcome, status_code, latency_ms, broken, provider_error FROM app.alert_delivery_attempts
                     WHERE delivery_id = '$$ || :'odd' || $$'$$,
  $$VALUES ('retry', NULL::integer, NULL::numeric, false, 'SMTP broke')$$, 'details of the wrong shape are dropped, never an error');

-- == a destination refused for good ==

SELECT d.id AS refused, d.job_id AS refused_job FROM app.alert_deliveries d WHERE d.rule_id = :'slack_twin' LIMIT 1 \gset
UPDATE app.job SET priority = -3, run_at = now() WHERE id = :refused_job;
SELECT id FROM app.job_claim('w4', ARRAY['alerts.deliver'], 1);
SELECT app.job_fail(:refused_job, 'w4', 'Slack: no_service', false, NULL, jsonb_build_object('delivery_id', :'refused',
  'channel', 'slack', 'status_code', 404, 'latency_ms', 20, 'provider_error', 'no_service', 'broken', true));
SELECT results_eq($$SELECT outcome, status_code, broken FROM app.alert_delivery_attempts WHERE delivery_id = '$$ || :'refused' || $$'$$,
  $$VALUES ('failed', 404, true)$$, 'a permanent failure is the last attempt');
SELECT is((SELECT destinations -> 0 ->> 'broken_reason' FROM api.error_alerts WHERE id = :'slack_twin'), 'no_service',
  'details.broken marks the destination broken, visible on the rule');
SELECT app.alert_test(:'slack_twin') AS after_broken \gset
SELECT results_eq($$SELECT status::text, job_id IS NULL FROM app.alert_deliveries WHERE notification_id = '$$ || :'after_broken' || $$'$$,
  $$VALUES ('suppressed', true)$$, 'a broken destination receives nothing more (a suppressed delivery shows why)');
SELECT is(app.alert_rule_clear_broken(:'slack_twin'), 1, 'the operator can clear the mark');

-- == listings never show a destination ==

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT is_empty($$SELECT 1 FROM api.jobs WHERE kind = 'alerts.deliver' AND payload -> 'destination' <> '"[redacted]"'$$,
  'api.jobs redacts every delivery''s destination');
SELECT is_empty($$SELECT 1 FROM api.jobs WHERE payload::text LIKE '%' || '$$ || :'hook_secret' || $$' || '%'
                     OR payload::text LIKE '%hooks.slack.com%' OR payload::text LIKE '%R0UTINGKEY%'$$,
  '... so no secret, Slack URL or routing key appears in it');
RESET ROLE;

-- == in-app ==

SELECT pg_temp.rule('{"alert_type": "critical_error", "channel": "in_app"}') AS inapp \gset
SELECT pg_temp.rule('{"alert_type": "critical_error", "channel": "in_app", "recipients": ["staff@a.test"]}') AS inapp_user \gset
SELECT app.alert_test(:'inapp'), app.alert_test(:'inapp_user');
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a1"}';
SELECT results_eq('SELECT recipient_role, kind::text FROM api.in_app_notifications', $$VALUES ('org_owner', 'test')$$,
  'an in-app rule without recipients notifies its organization''s owners');
SELECT is(api.mark_notifications_read(), 1, 'they mark it read');
SELECT is(api.mark_notifications_read(), 0, '... once');
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000b"}';
SELECT is_empty('SELECT 1 FROM api.in_app_notifications', 'another organization''s owners see none of them');
SELECT is_empty('SELECT 1 FROM api.alert_deliveries', '... nor its alert history');
RESET ROLE;
SET LOCAL ROLE staff;
SET LOCAL request.jwt.claims = '{"role": "staff", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a2"}';
SELECT results_eq('SELECT user_id::text FROM api.in_app_notifications', $$VALUES ('00000000-0000-0000-0000-0000000000a2')$$,
  'a user named as recipient sees theirs, and staff not the owners''');
RESET ROLE;

-- == new_user_report ==

SELECT pg_temp.rule('{"alert_type": "new_user_report", "channel": "in_app", "trigger_conditions": {"priority_at_least": "high"}}') AS reports \gset
INSERT INTO app.user_error_reports (report_type, priority, reporter_type, organization_id, title, description) VALUES
  ('bug', 'low', 'customer', '00000000-0000-0000-0000-00000000000a', 'typo on the page', 'x'),
  ('bug', 'critical', 'customer', '00000000-0000-0000-0000-00000000000a', 'cannot pay', 'y');
SELECT results_eq($$SELECT title FROM app.alert_incidents WHERE rule_id = '$$ || :'reports' || $$'$$,
  $$VALUES ('New bug report (critical priority): cannot pay')$$, 'a new report at or above priority_at_least fires, others do not');
UPDATE app.user_error_reports SET status = 'closed' WHERE title = 'cannot pay';
SELECT is((SELECT status::text FROM app.alert_incidents WHERE rule_id = :'reports'), 'resolved', 'closing the report resolves it');

SELECT * FROM finish();
ROLLBACK;
