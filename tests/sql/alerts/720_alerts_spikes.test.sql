-- error_spike rules, judged each minute by app.alert_tick: a threshold over a window, or N times
-- the same hour of the previous week with a floor for quiet hours; Alertmanager's group wait
-- (30 s for spikes: a spike over within it is never notified) and the resolved notice once the
-- spike is over, a group interval after the last notice; each sent when its timer (an alerts.notify
-- job) goes off, or by the tick.
BEGIN;
SELECT plan(17);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B'),
  ('00000000-0000-0000-0000-00000000000c', 'Org C'), ('00000000-0000-0000-0000-00000000000d', 'Org D');

CREATE FUNCTION pg_temp.events(p_org text, p_minutes_ago integer, p_count integer) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
  VALUES (('00000000-0000-0000-0000-00000000000' || p_org)::uuid,
          date_trunc('minute', now()) - make_interval(mins => p_minutes_ago), md5(random()::text), p_count)
$$;
CREATE FUNCTION pg_temp.later(p_by interval) RETURNS void
LANGUAGE sql AS $$
  UPDATE app.alert_incidents SET started_at = started_at - p_by, resolved_at = resolved_at - p_by,
         notify_at = notify_at - p_by, last_notified_at = last_notified_at - p_by;
  UPDATE app.alert_signals SET started_at = started_at - p_by, last_seen_at = last_seen_at - p_by, resolved_at = resolved_at - p_by;
  UPDATE app.alert_notifications SET created_at = created_at - p_by;
$$;
-- the incident's next notice has a timer: an alerts.notify job due exactly then
CREATE FUNCTION pg_temp.has_timer(p_rule uuid) RETURNS boolean
LANGUAGE sql AS $$
  SELECT EXISTS (SELECT FROM app.job j JOIN app.alert_incidents i ON i.id = (j.payload ->> 'incident_id')::uuid
                  WHERE j.kind = 'alerts.notify' AND i.rule_id = p_rule AND j.run_at = i.notify_at AND j.state = 'queued')
$$;
CREATE FUNCTION pg_temp.notices(p_rule uuid) RETURNS TABLE (kind text, event_count bigint)
LANGUAGE sql AS $$
  SELECT n.kind::text, n.event_count FROM app.alert_notifications n JOIN app.alert_incidents i ON i.id = n.incident_id
   WHERE i.rule_id = p_rule ORDER BY n.created_at, n.id
$$;

SELECT c.id AS threshold_rule FROM app.alert_rule_create('{"alert_type": "error_spike", "channel": "slack",
  "webhook_url": "https://hooks.slack.com/services/T/B/spikes", "trigger_conditions": {"threshold": 100, "window_minutes": 5},
  "organization_id": "00000000-0000-0000-0000-00000000000a"}') c \gset
SELECT c.id AS baseline_rule FROM app.alert_rule_create('{"alert_type": "error_spike", "channel": "in_app",
  "trigger_conditions": {"baseline_factor": 3, "min_count": 20}}') c \gset
SELECT c.id AS flappy_rule FROM app.alert_rule_create('{"alert_type": "error_spike", "channel": "in_app",
  "trigger_conditions": {"threshold": 100}, "organization_id": "00000000-0000-0000-0000-00000000000c"}') c \gset

-- == threshold over a window ==

SELECT pg_temp.events('a', 6, 500);   -- before the window
SELECT pg_temp.events('a', 4, 60);
SELECT pg_temp.events('a', 0, 30);
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_signals WHERE rule_id = :'threshold_rule'), 0,
  '90 events in the 5-minute window stay under a threshold of 100 (older minutes do not count)');
SELECT pg_temp.events('a', 1, 15);
SELECT app.alert_tick();
SELECT is((SELECT title FROM app.alert_incidents WHERE rule_id = :'threshold_rule'), 'Error spike in Org A: 105 events in 5 min',
  '105 fire the spike, one incident per organization');
SELECT is((SELECT count(*)::int FROM pg_temp.notices(:'threshold_rule')), 0, 'a spike waits group_wait (30 s by default) before its first notice');
SELECT ok(pg_temp.has_timer(:'threshold_rule'), '... for which it has a timer (an alerts.notify job) coming due when the group wait ends');
SELECT pg_temp.later(interval '20 seconds');
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM pg_temp.notices(:'threshold_rule')), 0, '... not yet after 20 s');
SELECT pg_temp.later(interval '11 seconds');
UPDATE app.job SET run_at = now() WHERE kind = 'alerts.notify';  -- (their time has come)
SELECT app.job_complete(j.id, 'timer-test', '{}') FROM app.job_claim('timer-test', ARRAY['alerts.notify'], 10) j;
SELECT results_eq($$SELECT * FROM pg_temp.notices('$$ || :'threshold_rule' || $$')$$, $$VALUES ('firing', 105::bigint)$$,
  '... notified once it is over, when the timer goes off (no tick needed)');
SELECT ok(NOT pg_temp.has_timer(:'threshold_rule'), 'its repeat, 4 h ahead, has no timer (the minute tick sends it)');
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM pg_temp.notices(:'threshold_rule')), 1, 'a spike still on is not notified again at every tick');

-- == the spike is over ==

DELETE FROM app.error_metrics WHERE organization_id = '00000000-0000-0000-0000-00000000000a';
SELECT app.alert_tick();
SELECT is((SELECT status::text FROM app.alert_incidents WHERE rule_id = :'threshold_rule'), 'resolved', 'a spike that is over resolves');
SELECT is((SELECT count(*)::int FROM pg_temp.notices(:'threshold_rule')), 1, '... its resolved notice waits for the group interval (5 min)');
SELECT ok(pg_temp.has_timer(:'threshold_rule'), '... for which it has its timer');
SELECT pg_temp.later(interval '5 minutes');
SELECT app.alert_tick();
SELECT results_eq($$SELECT kind FROM pg_temp.notices('$$ || :'threshold_rule' || $$')$$, $$VALUES ('firing'), ('resolved')$$, '... then goes out');

-- == a spike over within the group wait is never notified ==

SELECT pg_temp.events('c', 0, 150);
SELECT app.alert_tick();
DELETE FROM app.error_metrics WHERE organization_id = '00000000-0000-0000-0000-00000000000c';
SELECT pg_temp.later(interval '10 seconds');
SELECT app.alert_tick();
SELECT pg_temp.later(interval '10 minutes');
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'flappy_rule' AND status = 'resolved'), 1,
  'a spike that fired and cleared within its group wait ...');
SELECT is((SELECT count(*)::int FROM pg_temp.notices(:'flappy_rule')), 0, '... sends nothing at all (flap damping)');

-- == baseline: N times the same hour last week ==

INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
VALUES ('00000000-0000-0000-0000-00000000000b', date_trunc('minute', now() - interval '7 days'), repeat('b', 64), 120);
SELECT pg_temp.events('b', 0, 25);
SELECT pg_temp.events('d', 0, 15);
SELECT app.alert_tick();
CREATE TEMP VIEW baseline_signal AS
  SELECT * FROM app.alert_signals
   WHERE rule_id = :'baseline_rule' AND organization_id IN ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000d');
SELECT is((SELECT count(*)::int FROM baseline_signal), 0,
  '25 events against a baseline of 10 per window (120 an hour last week) stay under 3x; 15 in a quiet hour stay under min_count');
SELECT pg_temp.events('b', 1, 10);
SELECT app.alert_tick();
SELECT results_eq($$SELECT organization_id::text, facts ->> 'events', facts ->> 'baseline' FROM baseline_signal$$,
  $$VALUES ('00000000-0000-0000-0000-00000000000b', '35', '10.0')$$, '35 fire (a platform rule judges each organization)');
SELECT pg_temp.events('d', 1, 10);
SELECT app.alert_tick();
SELECT is((SELECT count(*)::int FROM baseline_signal), 2,
  '25 events where there were none last week fire once they reach min_count (20)');

SELECT * FROM finish();
ROLLBACK;
