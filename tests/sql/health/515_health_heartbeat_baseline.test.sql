-- A push monitor is judged against its own hour-of-week history: a nightly job that ran between
-- 01:00 and 01:20 for four weeks is not down at 00:59 (the fixed max_age rule would say so), is
-- late once most of those weeks had run by then plus its grace, which raises the alert, and an
-- on-time run never does. The pg_cron scheduler (app.health_enqueue_due) judges it.
BEGIN;
SELECT plan(16);

UPDATE app.health_monitors SET enabled = false;  -- the seeds stay out of the way
-- day C is yesterday; the history runs the 29 days before it, each night at 01:00, 01:07 or 01:14
SELECT date_trunc('day', now()) - interval '1 day' AS c \gset

CREATE FUNCTION pg_temp.nightly(p_service text, p_expected jsonb, p_days integer DEFAULT 29) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  v_id := app.health_monitor_add(jsonb_build_object('service_name', p_service, 'check_type', 'external',
    'probe', 'heartbeat', 'interval_seconds', 60, 'failure_threshold', 1, 'success_threshold', 1, 'expected', p_expected));
  PERFORM app.health_heartbeat(m.heartbeat_token,
                               date_trunc('day', now()) - interval '1 day' - make_interval(days => p_days - k)
                               + interval '1 hour' + make_interval(mins => (k * 7) % 21))
     FROM app.health_monitors m, generate_series(0, p_days - 1) k WHERE m.id = v_id ORDER BY k;
  RETURN v_id;
END $$;

SELECT pg_temp.nightly('nightly-late', '{"max_age_seconds": 900}') AS late \gset
SELECT pg_temp.nightly('nightly-ontime', '{"max_age_seconds": 900}') AS ontime \gset
SELECT pg_temp.nightly('nightly-fixed', '{"max_age_seconds": 900, "baseline": false}') AS fixed \gset
SELECT pg_temp.nightly('nightly-new', '{"max_age_seconds": 900}', 8) AS new \gset

SELECT is((SELECT count(*)::int FROM app.health_heartbeat_minutes WHERE monitor_id = :late), 29,
  'every heartbeat is counted in its minute (the baseline''s history)');
SELECT throws_ok($$SELECT app.health_monitor_add('{"service_name": "x", "check_type": "external", "probe": "heartbeat",
  "interval_seconds": 60, "expected": {"baseline": "yes"}}')$$, 'QV501', NULL, 'expected.baseline is true or false');

-- == the verdict at a time ==

SELECT is(app.health_heartbeat_verdict(:late, :'c'::timestamptz + interval '00:59') - 'last_heartbeat_at',
  '{"late": false, "basis": "baseline", "age_seconds": 85920, "expected_at": null, "grace_seconds": 900, "weeks": 4,
    "quorum": 3, "weeks_expecting": 0, "tolerance_seconds": 3600}'::jsonb
  || jsonb_build_object('expected_at', :'c'::timestamptz + interval '01:07'),
  'at 00:59 the last run is 24 h old, yet no week had run by then: not late; three of four weeks had run by 01:07');
SELECT is(app.health_heartbeat_verdict(:fixed, :'c'::timestamptz + interval '00:59') ->> 'late', 'true',
  'the fixed rule alone (baseline false) calls the same silence late');
SELECT is(app.health_heartbeat_verdict(:new, :'c'::timestamptz + interval '00:59') - 'last_heartbeat_at' - 'age_seconds',
  '{"late": true, "basis": "max_age", "max_age_seconds": 900, "weeks": 1}',
  'with one week of history there is no baseline yet: max_age_seconds alone');
SELECT is(app.health_heartbeat_verdict(:late, :'c'::timestamptz + interval '01:22') ->> 'late', 'false',
  'within the grace after the usual time it is not late yet');
SELECT is(app.health_heartbeat_verdict(:late, :'c'::timestamptz + interval '01:23') ->> 'late', 'true',
  'past 01:07 plus 15 minutes of grace it is');

-- == judged every five minutes by the scheduler through a whole day ==

SELECT c.id AS rule FROM app.alert_rule_create('{"alert_type": "health_degraded", "channel": "in_app",
  "trigger_conditions": {"services": ["nightly-late", "nightly-ontime"], "status_at_least": "unhealthy"}}') c \gset
CREATE TEMP TABLE verdicts (at timestamptz, monitor_id bigint, status text);
DO $$
DECLARE
  v_c timestamptz := date_trunc('day', now()) - interval '1 day';
  v_at timestamptz;
BEGIN
  FOR v_at IN SELECT generate_series(v_c, v_c + interval '23:55', interval '5 minutes') LOOP
    IF v_at = v_c + interval '01:25' THEN  -- the on-time run came at 01:20
      PERFORM app.health_heartbeat(heartbeat_token, v_c + interval '01:20') FROM app.health_monitors WHERE service_name = 'nightly-ontime';
    END IF;
    IF v_at = v_c + interval '02:35' THEN  -- the late run, at last
      PERFORM app.health_heartbeat(heartbeat_token, v_c + interval '02:31') FROM app.health_monitors WHERE service_name = 'nightly-late';
    END IF;
    PERFORM app.health_enqueue_due(v_at);
    INSERT INTO verdicts SELECT v_at, c.monitor_id, c.status::text FROM app.health_checks c
     WHERE c.checked_at = v_at AND c.service_name IN ('nightly-late', 'nightly-ontime');
  END LOOP;
END $$;

SELECT is((SELECT count(DISTINCT at)::int FROM verdicts WHERE monitor_id = :ontime), 288,
  'the scheduler judged the push monitors at every tick');
SELECT is((SELECT count(*)::int FROM verdicts WHERE monitor_id = :ontime AND status <> 'healthy'), 0,
  'the on-time nightly job is healthy all day, 00:00 to 23:55');
SELECT results_eq(format($$SELECT min(at), max(at) FROM verdicts WHERE monitor_id = %s AND status = 'unhealthy'$$, :late),
  format($$VALUES ('%s'::timestamptz, '%s'::timestamptz)$$, :'c'::timestamptz + interval '01:25', :'c'::timestamptz + interval '02:30'),
  'the missing run is late from the first tick past 01:22 until the run comes');
SELECT is((SELECT count(*)::int FROM verdicts WHERE monitor_id = :late AND status = 'unhealthy' AND at < :'c'::timestamptz + interval '01:25'), 0,
  '... and not a minute before, though its last run was a day old all night');
SELECT is((SELECT error_message FROM app.health_checks WHERE monitor_id = :late AND checked_at = :'c'::timestamptz + interval '01:25'),
  format('no heartbeat since %s: 3 of the last 4 weeks had one by %s (grace 900 s)',
         to_jsonb(:'c'::timestamptz - interval '1 day' + interval '01:07') #>> '{}',
         to_jsonb(:'c'::timestamptz + interval '01:07') #>> '{}'),
  'the check says since when and what the history expected');

SELECT results_eq(format($$SELECT s.service, s.resolved_at IS NOT NULL FROM app.alert_signals s WHERE s.rule_id = '%s'$$, :'rule'),
  $$VALUES ('nightly-late'::text, true)$$,
  'the late run raised the health alert, which cleared when it came; the on-time run never did');
SELECT is((SELECT count(*)::int FROM app.alert_incidents WHERE rule_id = :'rule'), 1, 'one incident');
SELECT is((SELECT status::text FROM app.system_uptime WHERE monitor_id = :late AND ended_at IS NOT NULL
            AND started_at = :'c'::timestamptz + interval '01:25'), 'major_outage',
  'the lateness is an outage interval from the tick that saw it');

SELECT is(app.health_heartbeat_retention_run(now() + interval '60 days')::int, 3 * 29 + 8 + 2,
  'arrivals older than heartbeat_baseline_keep_days go nightly');

SELECT * FROM finish();
ROLLBACK;
