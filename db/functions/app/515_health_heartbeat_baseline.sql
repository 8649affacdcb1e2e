-- Push monitors judged against their own history: a nightly job that runs 01:00-01:20 is not down
-- at 00:59, and is late at 01:35 when it has not run. The arrival history is
-- app.health_heartbeat_minutes (written by a trigger on last_heartbeat_at, db/triggers/515_...).
--
-- The baseline compares with the same time of week in each of the last heartbeat_baseline_weeks
-- weeks (UTC weeks: a daylight-saving shift moves a local-time job by an hour, within the
-- tolerance). For week w it asks: after the time that corresponds to our last heartbeat (plus a
-- tolerance), when did the next heartbeat come that week? Shifted w weeks forward, that is when
-- week w says one was due. A heartbeat is late when a majority of the observed weeks say one was
-- due more than grace ago. grace is the monitor's fixed allowance (expected.grace_seconds, else
-- max_age_seconds, else the interval): never later than the pattern plus grace. The tolerance
-- (half the mean gap between arrivals, 1 minute to 1 hour) lets a heartbeat that came a little
-- earlier than usual count for the usual one. No weekly pattern excuses more than a week of
-- silence (or max_age_seconds, if longer: a monthly job). Before heartbeat_baseline_min_weeks of
-- history, or with expected.baseline false, the fixed rule alone applies: late after max_age_seconds.

CREATE OR REPLACE FUNCTION app.health_heartbeat_verdict(p_monitor_id bigint, p_at timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_week constant interval := interval '7 days';
  v_expected_conditions jsonb;
  v_interval_seconds integer;
  v_last timestamptz;
  v_max_age numeric;
  v_grace numeric;
  v_weeks integer := coalesce(app.health_setting_number('heartbeat_baseline_weeks'), 4)::integer;
  v_min_weeks integer := coalesce(app.health_setting_number('heartbeat_baseline_min_weeks'), 2)::integer;
  v_earliest timestamptz;
  v_arrivals bigint;
  v_tolerance interval;
  v_frame timestamptz;
  v_first timestamptz;
  v_observed integer := 0;
  v_due timestamptz[] := '{}'::timestamptz[];
  v_quorum integer;
  v_expected_at timestamptz;
BEGIN
  SELECT m.expected, m.interval_seconds, s.last_heartbeat_at INTO v_expected_conditions, v_interval_seconds, v_last
    FROM app.health_monitors m JOIN app.health_monitor_state s ON s.monitor_id = m.id
   WHERE m.id = p_monitor_id;
  IF v_last IS NULL THEN
    RETURN NULL;  -- no heartbeat yet: nothing to judge
  END IF;
  v_max_age := coalesce((v_expected_conditions ->> 'max_age_seconds')::numeric, v_interval_seconds);
  v_grace := coalesce((v_expected_conditions ->> 'grace_seconds')::numeric, v_max_age);

  IF coalesce((v_expected_conditions ->> 'baseline')::boolean, true) THEN
    SELECT min(h.minute) INTO v_earliest FROM app.health_heartbeat_minutes h WHERE h.monitor_id = p_monitor_id;
    -- (past one arrival every other minute the tolerance is 1 minute whatever the count: counting stops there)
    SELECT count(*) INTO v_arrivals FROM (
      SELECT FROM app.health_heartbeat_minutes h
       WHERE h.monitor_id = p_monitor_id AND h.minute >= v_last - v_weeks * v_week AND h.minute < date_trunc('minute', v_last)
       LIMIT v_weeks * 7 * 24 * 30 + 1) AS recent;
    v_tolerance := least(interval '1 hour',
                         greatest(interval '1 minute', (v_weeks * v_week) / (2 * greatest(v_arrivals, 1))));
    FOR v_w IN 1 .. v_weeks LOOP
      v_frame := v_last + v_tolerance - v_w * v_week;
      CONTINUE WHEN v_earliest IS NULL OR v_earliest > v_frame;  -- history does not reach back that far
      v_observed := v_observed + 1;
      SELECT min(h.minute) INTO v_first FROM app.health_heartbeat_minutes h
       WHERE h.monitor_id = p_monitor_id AND h.minute >= v_frame
         AND h.minute < least(v_frame + v_week, date_trunc('minute', v_last));
      IF v_first IS NOT NULL THEN
        v_due := v_due || (v_first + v_w * v_week);
      END IF;
    END LOOP;
  END IF;

  IF v_observed < greatest(v_min_weeks, 1) THEN
    RETURN jsonb_build_object('late', p_at - v_last > make_interval(secs => v_max_age), 'basis', 'max_age',
      'last_heartbeat_at', v_last, 'age_seconds', round(extract(epoch FROM p_at - v_last)),
      'max_age_seconds', v_max_age, 'weeks', v_observed);
  END IF;
  v_quorum := v_observed / 2 + 1;
  -- the time a majority of the weeks had their next heartbeat by (NULL: no majority expects one)
  SELECT d INTO v_expected_at FROM unnest(v_due) d ORDER BY d OFFSET v_quorum - 1 LIMIT 1;
  RETURN jsonb_build_object(
    'late', coalesce(v_expected_at + make_interval(secs => v_grace) < p_at, false)
            OR p_at - v_last > make_interval(secs => greatest(v_max_age, extract(epoch FROM v_week) + v_grace)),
    'basis', 'baseline', 'last_heartbeat_at', v_last, 'age_seconds', round(extract(epoch FROM p_at - v_last)),
    'expected_at', v_expected_at, 'grace_seconds', v_grace, 'weeks', v_observed, 'quorum', v_quorum,
    'weeks_expecting', (SELECT count(*) FROM unnest(v_due) d WHERE d + make_interval(secs => v_grace) < p_at),
    'tolerance_seconds', extract(epoch FROM v_tolerance)::integer);
END $$;
COMMENT ON FUNCTION app.health_heartbeat_verdict(bigint, timestamptz) IS
  'Whether a push monitor''s heartbeat is late at a time: against its hour-of-week baseline (basis baseline) or max_age_seconds (basis max_age); NULL before the first heartbeat';

-- What a push monitor looks like at p_at: unhealthy when its heartbeat is late (above), healthy
-- otherwise, unknown before the first one.
CREATE OR REPLACE FUNCTION app._health_heartbeat_observation(p_monitor_id bigint, p_at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN v IS NULL THEN
      jsonb_build_object('probe_error', 'no heartbeat received yet', 'details', '{}'::jsonb)
    WHEN NOT (v ->> 'late')::boolean THEN
      jsonb_build_object('reachable', true, 'error', NULL, 'timed_out', false, 'details',
        jsonb_build_object('last_heartbeat_at', v -> 'last_heartbeat_at', 'age_seconds', v -> 'age_seconds')
        || CASE WHEN v ->> 'basis' = 'baseline' THEN jsonb_build_object('baseline', v - 'late') ELSE '{}' END)
    WHEN v ->> 'basis' = 'baseline' THEN
      jsonb_build_object('reachable', false, 'timed_out', false,
        'error', format('no heartbeat since %s: %s of the last %s weeks had one by %s (grace %s s)',
                        v ->> 'last_heartbeat_at', v ->> 'weeks_expecting', v ->> 'weeks',
                        coalesce(v ->> 'expected_at', 'now'), v ->> 'grace_seconds'),
        'details', jsonb_build_object('last_heartbeat_at', v -> 'last_heartbeat_at', 'baseline', v - 'late'))
    ELSE
      jsonb_build_object('reachable', false, 'timed_out', false,
        'error', format('no heartbeat for %s s (max %s s)', v ->> 'age_seconds', v ->> 'max_age_seconds'),
        'details', jsonb_build_object('last_heartbeat_at', v -> 'last_heartbeat_at'))
  END
  FROM app.health_heartbeat_verdict(p_monitor_id, p_at) v
$$;
COMMENT ON FUNCTION app._health_heartbeat_observation(bigint, timestamptz) IS
  'A push monitor''s observation at a time: late against its baseline or max_age_seconds (app.health_heartbeat_verdict)';

-- Arrivals older than heartbeat_baseline_keep_days go (pg_cron nightly: heartbeat-baseline-retention).
CREATE OR REPLACE FUNCTION app.health_heartbeat_retention_run(p_now timestamptz DEFAULT now()) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_deleted bigint;
BEGIN
  DELETE FROM app.health_heartbeat_minutes h
   WHERE h.minute < p_now - make_interval(days => coalesce(app.health_setting_number('heartbeat_baseline_keep_days'), 35)::integer);
  GET DIAGNOSTICS v_deleted = ROW_COUNT;
  RETURN v_deleted;
END $$;
COMMENT ON FUNCTION app.health_heartbeat_retention_run(timestamptz) IS
  'Delete heartbeat arrivals older than heartbeat_baseline_keep_days; returns how many minutes went';
