-- The per-monitor state machine: failure/success thresholds (hysteresis), unknown, and the
-- system_uptime intervals its transitions open and close. Times are fixed, so durations are exact.
BEGIN;
SELECT plan(22);

SELECT app.health_monitor_add('{"service_name": "shop", "check_type": "external", "target": {"url": "http://shop"}}')
  AS shop \gset
CREATE FUNCTION pg_temp.observe(p_monitor bigint, p_minute integer, p_observation text) RETURNS text
LANGUAGE sql AS $$
  SELECT app.health_record_observation(p_monitor,
    CASE p_observation
      WHEN 'up' THEN '{"reachable": true, "status_code": 200, "response_time_ms": 20}'
      WHEN 'down' THEN '{"reachable": false, "error": "connect refused: x", "response_time_ms": 1}'
      WHEN 'slow' THEN '{"reachable": true, "status_code": 200, "tls_days_left": 3}'
      WHEN 'broken' THEN '{"probe_error": "cannot run"}' END::jsonb,
    timestamptz '2026-03-01 00:00Z' + make_interval(mins => p_minute))::text
$$;
CREATE FUNCTION pg_temp.state(p_monitor bigint) RETURNS text
LANGUAGE sql AS $$ SELECT status || ' since ' || to_char(status_since AT TIME ZONE 'UTC', 'HH24:MI')
                     FROM app.health_monitor_state WHERE monitor_id = p_monitor $$;
CREATE FUNCTION pg_temp.intervals(p_monitor bigint) RETURNS TABLE (status text, started text, ended text, seconds integer)
LANGUAGE sql AS $$
  SELECT status::text, to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI'), to_char(ended_at AT TIME ZONE 'UTC', 'HH24:MI'),
         duration_seconds FROM app.system_uptime WHERE monitor_id = p_monitor ORDER BY started_at $$;

-- == hysteresis ==
SELECT is(pg_temp.observe(:shop, 0, 'up'), 'healthy', 'the verdict of each check is returned');
SELECT is(pg_temp.state(:shop), 'healthy since 00:00', 'from unknown, the first known observation is taken as it is');
SELECT is(pg_temp.observe(:shop, 5, 'down') || pg_temp.observe(:shop, 10, 'down'), 'unhealthyunhealthy',
  'two failed checks ...');
SELECT is(pg_temp.state(:shop), 'healthy since 00:00', '... stay below failure_threshold (3): still healthy');
SELECT is((SELECT consecutive_failures FROM app.health_monitor_state WHERE monitor_id = :shop), 2,
  'consecutive failures are counted');
SELECT pg_temp.observe(:shop, 15, 'down');
SELECT is(pg_temp.state(:shop), 'unhealthy since 00:05',
  'the third failure in a row makes it unhealthy, dated at the first failure of the run');
SELECT pg_temp.observe(:shop, 20, 'up');
SELECT pg_temp.observe(:shop, 25, 'down');
SELECT pg_temp.observe(:shop, 30, 'up');
SELECT is(pg_temp.state(:shop), 'unhealthy since 00:05', 'single successes between failures do not recover it');
SELECT pg_temp.observe(:shop, 35, 'up');
SELECT is(pg_temp.state(:shop), 'healthy since 00:30',
  'success_threshold (2) successes in a row recover it, dated at the first of them');

-- == intervals ==
SELECT results_eq('SELECT * FROM pg_temp.intervals(' || :shop || ')',
  $$VALUES ('operational', '00:00', '00:05', 300), ('major_outage', '00:05', '00:30', 1500),
           ('operational', '00:30', NULL, NULL)$$,
  'transitions close the open interval (with its duration) and open the next; one stays open');
SELECT is((SELECT organization_id IS NULL AND service_name = 'shop' FROM app.system_uptime WHERE monitor_id = :shop LIMIT 1),
  true, 'intervals carry the service name and organization');
SELECT is((SELECT uptime_percentage FROM app.health_uptime_breakdown(:shop, '2026-03-01 00:00Z', '2026-03-01 01:00Z')),
  round(100 * (1 - 1500 / 3600.0), 4), 'uptime over the hour counts exactly the 25 minutes of outage');
SELECT is((SELECT count(*)::int FROM app.health_checks WHERE monitor_id = :shop), 8, 'every check is stored in health_checks');

-- == degraded, and a partial outage ==
SELECT app.health_monitor_add('{"service_name": "widget", "check_type": "embed", "target": {"url": "http://w"},
  "outage_status": "partial_outage", "failure_threshold": 2, "success_threshold": 1}') AS widget \gset
SELECT pg_temp.observe(:widget, 0, 'up'), pg_temp.observe(:widget, 1, 'slow'), pg_temp.observe(:widget, 2, 'slow');
SELECT is(pg_temp.state(:widget), 'degraded since 00:01', 'degraded observations past the threshold make it degraded');
SELECT pg_temp.observe(:widget, 3, 'down'), pg_temp.observe(:widget, 4, 'down'), pg_temp.observe(:widget, 5, 'up');
SELECT results_eq('SELECT status, started, ended FROM pg_temp.intervals(' || :widget || ')',
  $$VALUES ('operational', '00:00', '00:01'), ('degraded', '00:01', '00:03'), ('partial_outage', '00:03', '00:05'),
           ('operational', '00:05', NULL)$$,
  'a service configured with outage_status partial_outage records its outages as partial');

-- == flapping ==
SELECT app.health_monitor_add('{"service_name": "flappy", "check_type": "external", "target": {"url": "http://f"}}') AS flappy \gset
SELECT pg_temp.observe(:flappy, m, CASE WHEN m % 2 = 0 THEN 'up' ELSE 'down' END) FROM generate_series(0, 9) m;
SELECT is(pg_temp.state(:flappy), 'healthy since 00:00', 'a flapping service does not flap its state');
SELECT is((SELECT count(*)::int FROM app.system_uptime WHERE monitor_id = :flappy), 1, '... nor its intervals');

-- == unknown ==
SELECT pg_temp.observe(:shop, 40, 'broken'), pg_temp.observe(:shop, 45, 'broken');
SELECT is(pg_temp.state(:shop), 'healthy since 00:30', 'probe failures below the threshold keep the known state');
SELECT pg_temp.observe(:shop, 50, 'broken');
SELECT is(pg_temp.state(:shop), 'unknown since 00:40',
  'failure_threshold probe failures make it unknown, dated at the first');
SELECT results_eq('SELECT status, started, ended FROM pg_temp.intervals(' || :shop || ') WHERE started >= ''00:30''',
  $$VALUES ('operational', '00:30', '00:40')$$, 'unknown opens no interval: the time is simply not observed');
SELECT pg_temp.observe(:shop, 55, 'down');
SELECT is(pg_temp.state(:shop), 'unhealthy since 00:55', 'after unknown the first real observation counts at once');

-- == out of order, disabling ==
SELECT pg_temp.observe(:shop, 52, 'up');
SELECT is(pg_temp.state(:shop), 'unhealthy since 00:55', 'a late observation is stored but does not move the state');
SELECT app.health_monitor_set_enabled(:widget, false);
SELECT is((SELECT count(*)::int FROM app.system_uptime WHERE monitor_id = :widget AND ended_at IS NULL), 0,
  'disabling a monitor closes its open interval');

SELECT * FROM finish();
ROLLBACK;
