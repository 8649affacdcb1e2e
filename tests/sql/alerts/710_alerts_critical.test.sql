-- critical_error rules, evaluated in the capturing transaction: one incident per rule and error
-- group, a storm stays one notification per rule, the next notice summarises what arrived, and
-- resolving the error sends the resolved notice. Time passes by moving alert timestamps back.
BEGIN;
SELECT plan(24);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 0);  -- (storms are the point here)
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'shop') RETURNING id AS shop \gset
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'admin') RETURNING id AS admin \gset
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000b', 'b-shop') RETURNING id AS bshop \gset

CREATE FUNCTION pg_temp.capture(p_project bigint, p_events jsonb) RETURNS void
LANGUAGE sql AS $$
  SELECT count(*) FROM app.capture_batch((SELECT organization_id FROM app.projects WHERE id = p_project), p_project, p_events)
$$;
CREATE FUNCTION pg_temp.events(p_count integer, p_message text, p_severity text DEFAULT 'critical') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_agg(jsonb_build_object('message', p_message, 'error_type', 'api', 'severity', p_severity, 'component', 'checkout'))
    FROM generate_series(1, p_count)
$$;
-- time passes: every alert timestamp moves back by p_by
CREATE FUNCTION pg_temp.later(p_by interval) RETURNS void
LANGUAGE sql AS $$
  UPDATE app.alert_incidents SET started_at = started_at - p_by, resolved_at = resolved_at - p_by,
         notify_at = notify_at - p_by, last_notified_at = last_notified_at - p_by;
  UPDATE app.alert_signals SET started_at = started_at - p_by, last_seen_at = last_seen_at - p_by, resolved_at = resolved_at - p_by;
  UPDATE app.alert_notifications SET created_at = created_at - p_by;
  UPDATE app.alert_deliveries SET run_at = run_at - p_by, created_at = created_at - p_by;
$$;
-- a new minute for the metrics (the capture trigger evaluates a group's first event per minute)
CREATE FUNCTION pg_temp.next_minute() RETURNS void LANGUAGE sql AS $$ DELETE FROM app.error_metrics $$;
CREATE FUNCTION pg_temp.notifications(p_rule uuid) RETURNS TABLE (kind text, event_count bigint, new_since_last bigint)
LANGUAGE sql AS $$
  SELECT n.kind::text, n.event_count, n.new_since_last FROM app.alert_notifications n
    JOIN app.alert_incidents i ON i.id = n.incident_id WHERE i.rule_id = p_rule ORDER BY n.created_at, n.id
$$;

SELECT c.id AS slack FROM app.alert_rule_create(jsonb_build_object(
  'alert_type', 'critical_error', 'channel', 'slack', 'webhook_url', 'https://hooks.slack.com/services/T/B/a',
  'organization_id', '00000000-0000-0000-0000-00000000000a')) c \gset
SELECT c.id AS platform_new FROM app.alert_rule_create(
  '{"alert_type": "critical_error", "channel": "webhook", "webhook_url": "https://hooks.example.com/pgwarden",
    "trigger_conditions": {"new_only": true, "severity_at_least": "error"}}') c \gset
SELECT c.id AS admin_only FROM app.alert_rule_create(jsonb_build_object(
  'alert_type', 'critical_error', 'channel', 'email', 'recipients', ARRAY['ops@a.test'],
  'organization_id', '00000000-0000-0000-0000-00000000000a',
  'trigger_conditions', jsonb_build_object('project_ids', ARRAY[:admin]))) c \gset
SELECT c.id AS muted FROM app.alert_rule_create(jsonb_build_object(
  'alert_type', 'critical_error', 'channel', 'email', 'recipients', ARRAY['sleepy@a.test'],
  'organization_id', '00000000-0000-0000-0000-00000000000a', 'muted_until', now() + interval '1 hour')) c \gset
SELECT c.id AS databases FROM app.alert_rule_create(jsonb_build_object(
  'alert_type', 'critical_error', 'channel', 'email', 'recipients', ARRAY['dba@a.test'],
  'organization_id', '00000000-0000-0000-0000-00000000000a', 'trigger_conditions', '{"error_types": ["database"]}'::jsonb)) c \gset

-- == firing ==

SELECT pg_temp.capture(:shop, pg_temp.events(1, 'just a warning', 'warning'));
SELECT is((SELECT count(*)::int FROM app.alert_incidents), 0, 'an error below severity_at_least fires nothing');

SELECT pg_temp.capture(:shop, pg_temp.events(1, 'Payment provider timed out'));
SELECT results_eq($$SELECT * FROM pg_temp.notifications('$$ || :'slack' || $$')$$, $$VALUES ('firing', 1::bigint, 1::bigint)$$,
  'a critical error is notified in the capturing transaction (group wait 0 for critical errors)');
SELECT results_eq($$SELECT d.channel, d.status::text, d.run_at = now() FROM app.alert_deliveries d JOIN app.alert_incidents i ON i.id = d.incident_id
                    WHERE i.rule_id = '$$ || :'slack' || $$'$$,
  $$VALUES ('slack', 'queued', true)$$, '... as a delivery whose job may run at once');
SELECT is((SELECT count(*)::int FROM app.job WHERE kind = 'alerts.deliver' AND idempotency_key LIKE 'delivery:%'), 2,
  'the platform rule (new groups of every organization) is notified too, each delivery by one keyed job');
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id IN (:'admin_only', :'muted', :'databases')), 0,
  'rules for another project, a muted rule and a rule for other error types stay silent');
SELECT is((SELECT trigger_count || ' ' || (last_triggered_at = now()) FROM app.error_alerts WHERE id = :'slack'), '1 true',
  'the spec''s trigger_count and last_triggered_at are kept');
SELECT is((SELECT title FROM app.alert_incidents WHERE rule_id = :'slack'), 'Payment provider timed out (api error in checkout)',
  'the incident says what broke and where');

SELECT pg_temp.capture(:bshop, pg_temp.events(1, 'Payment provider timed out'));
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'slack'), 1,
  'another organization''s error never fires an organization''s rule');

-- == a storm of one fingerprint ==

SELECT pg_temp.capture(:shop, pg_temp.events(500, 'Payment provider timed out')) FROM generate_series(1, 20);
SELECT pg_temp.next_minute();
SELECT pg_temp.capture(:shop, pg_temp.events(1, 'Payment provider timed out'));
SELECT is((SELECT occurrence_count FROM app.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000a'
            AND message = 'Payment provider timed out'), 10002, '10,001 more events of the group arrived');
SELECT results_eq($$SELECT r.id::text, count(n.id)::int FROM app.error_alerts r
                      JOIN app.alert_incidents i ON i.rule_id = r.id JOIN app.alert_notifications n ON n.incident_id = i.id
                     WHERE r.id IN ('$$ || :'slack' || $$', '$$ || :'platform_new' || $$')
                       AND i.organization_id = '00000000-0000-0000-0000-00000000000a' GROUP BY r.id ORDER BY r.id$$,
  format($$VALUES (%L, 1), (%L, 1)$$, least(:'slack', :'platform_new'), greatest(:'slack', :'platform_new')),
  'a storm of 10,000 events of one fingerprint stays exactly one notification per rule');
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE rule_id = :'slack'), 1, '... one open signal (incident) per rule and group');
SELECT is((SELECT trigger_count FROM app.error_alerts WHERE id = :'slack'), 1, '... counted as one firing');

-- == noise control: the next notice summarises ==

SELECT pg_temp.later(interval '5 min');
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM pg_temp.notifications(:'slack')), 1, 'a still-firing incident is not notified again within repeat_interval');
SELECT pg_temp.later(interval '4 hours');
SELECT app.alert_tick();
SELECT results_eq($$SELECT * FROM pg_temp.notifications('$$ || :'slack' || $$')$$,
  $$VALUES ('firing', 1::bigint, 1::bigint), ('firing', 10002::bigint, 10001::bigint)$$,
  'after repeat_interval (4 h) it is notified again, counting the events since the last notice');
SELECT ok((SELECT n.content ->> 'summary' FROM app.alert_notifications n JOIN app.alert_incidents i ON i.id = n.incident_id
            WHERE i.rule_id = :'slack' ORDER BY n.created_at DESC, n.id DESC LIMIT 1)
          LIKE '%and 10001 more events since the last notification%', '... in words: "and 10001 more events"');

-- == resolving the error ==

SELECT app.error_status_change((SELECT id FROM app.system_errors WHERE message = 'Payment provider timed out'
                                  AND organization_id = '00000000-0000-0000-0000-00000000000a'), 'resolved');
SELECT is((SELECT status::text FROM app.alert_incidents WHERE rule_id = :'slack'), 'resolved', 'resolving the error resolves its incidents');
SELECT is((SELECT count(*)::int FROM pg_temp.notifications(:'slack') WHERE kind = 'resolved'), 0,
  '... the resolved notice waits for the group interval after the last notice ...');
SELECT pg_temp.later(interval '5 min');
SELECT app.alert_tick();
SELECT results_eq($$SELECT kind FROM pg_temp.notifications('$$ || :'slack' || $$') OFFSET 2$$, $$VALUES ('resolved')$$,
  '... and then goes out');
SELECT is((SELECT notify_at FROM app.alert_incidents WHERE rule_id = :'slack'), NULL, '... and nothing more is pending');

-- == a regression is a new incident ==

SELECT pg_temp.capture(:shop, pg_temp.events(1, 'Payment provider timed out'));
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'slack'), 2, 'a regressed error opens a new incident');
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'platform_new'), 3,
  'new_only fires for regressions too (and for B''s new group)');

-- == filters: project and error type ==

SELECT pg_temp.capture(:admin, '[{"message": "Admin console crashed", "error_type": "database", "severity": "critical"}]');
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'admin_only'), 1, 'project_ids: an event of the project fires');
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'databases'), 1, 'error_types: a database error fires');
UPDATE app.error_alerts SET muted_until = now() - interval '1 second' WHERE id = :'muted';
SELECT pg_temp.capture(:shop, pg_temp.events(1, 'Another critical thing'));
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'muted'), 1, 'a mute that ended lets the rule fire again');

SELECT * FROM finish();
ROLLBACK;
