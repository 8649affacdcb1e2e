-- Auditable uptime (db/schema/525_health_uptime_corrections.sql): recording a correction, and the
-- note a corrected day carries on the status page. app.health_uptime_breakdown applies them.

-- What a UTC day's bar says about its corrections: {} when none, else
-- {"corrections": [{kind, corrected_at, previous_uptime_percentage}]}, oldest first.
CREATE OR REPLACE FUNCTION app.health_day_corrections(p_monitor_id bigint, p_day date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce((
    SELECT jsonb_build_object('corrections', jsonb_agg(jsonb_build_object(
             'kind', c.kind, 'corrected_at', c.created_at,
             'previous_uptime_percentage', d.previous -> 'uptime_percentage') ORDER BY c.id))
      FROM app.uptime_correction_days d JOIN app.uptime_corrections c ON c.id = d.correction_id
     WHERE d.monitor_id = p_monitor_id AND d.day = p_day
    HAVING count(*) > 0), '{}'::jsonb)
$$;
COMMENT ON FUNCTION app.health_day_corrections(bigint, date) IS
  'The corrections of a monitor''s UTC day for its uptime bar ({} when none)';
GRANT EXECUTE ON FUNCTION app.health_day_corrections(bigint, date) TO staff, org_owner, system_admin;

-- Records a correction of a monitor's uptime over [p_from, p_to) and its lineage: for each UTC day
-- the range touches (up to today), the day's figures just before and just after. Only those days
-- are recomputed; the others keep their figures, which the test proves.
CREATE OR REPLACE FUNCTION app.uptime_correct(
  p_monitor_id bigint, p_kind text, p_from timestamptz, p_to timestamptz, p_reason text, p_author text,
  p_created_by uuid DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_monitor app.health_monitors;
  v_before jsonb;
  v_id bigint;
BEGIN
  SELECT * INTO v_monitor FROM app.health_monitors m WHERE m.id = p_monitor_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'health monitor % not found', p_monitor_id USING ERRCODE = 'QN501',
      DETAIL = 'A correction names a monitor that does not exist.', HINT = 'List monitors with pgwarden health list.';
  END IF;
  IF p_kind IS NULL OR p_kind NOT IN ('false_positive', 'late_maintenance', 'probe_bug') THEN
    RAISE EXCEPTION 'unknown correction kind %', coalesce(p_kind, 'null') USING ERRCODE = 'QV535',
      DETAIL = 'Kinds: false_positive, late_maintenance, probe_bug.', HINT = 'false_positive counts the range as up.';
  END IF;
  IF p_from IS NULL OR p_to IS NULL OR p_from >= p_to OR p_from > now() THEN
    RAISE EXCEPTION 'invalid correction range' USING ERRCODE = 'QV535',
      DETAIL = 'The range needs a start before its end, and a start in the past.', HINT = 'E.g. 2026-12-01T10:00Z to 2026-12-01T10:40Z.';
  END IF;
  IF coalesce(length(btrim(p_reason)), 0) NOT BETWEEN 1 AND 1000 OR coalesce(length(btrim(p_author)), 0) = 0 THEN
    RAISE EXCEPTION 'a correction needs a reason and an author' USING ERRCODE = 'QV535',
      DETAIL = 'The reason is 1 to 1000 characters, and the author names who corrects.', HINT = 'Say why, e.g. the probe host lost its network.';
  END IF;

  -- the touched days' figures before (a day is [midnight, next midnight) UTC, today until now)
  SELECT jsonb_object_agg(d.day::date, to_jsonb(b)) INTO v_before
    FROM generate_series(date_trunc('day', p_from AT TIME ZONE 'UTC'),
                         date_trunc('day', (least(p_to, now()) - interval '1 microsecond') AT TIME ZONE 'UTC'),
                         interval '1 day') AS d (day)
   CROSS JOIN LATERAL app.health_uptime_breakdown(p_monitor_id, d.day AT TIME ZONE 'UTC',
                                                  least((d.day + interval '1 day') AT TIME ZONE 'UTC', now())) AS b;

  INSERT INTO app.uptime_corrections (organization_id, monitor_id, kind, during, reason, author, created_by)
  VALUES (v_monitor.organization_id, p_monitor_id, p_kind, tstzrange(p_from, p_to), btrim(p_reason), btrim(p_author),
          p_created_by)
  RETURNING id INTO v_id;

  INSERT INTO app.uptime_correction_days (correction_id, organization_id, monitor_id, day, previous, corrected)
  SELECT v_id, v_monitor.organization_id, p_monitor_id, x.key::date, x.value, to_jsonb(b)
    FROM jsonb_each(v_before) AS x
   CROSS JOIN LATERAL app.health_uptime_breakdown(p_monitor_id, x.key::timestamp AT TIME ZONE 'UTC',
                                                  least((x.key::date + 1)::timestamp AT TIME ZONE 'UTC', now())) AS b;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION app.uptime_correct(bigint, text, timestamptz, timestamptz, text, text, uuid) IS
  'Correct a monitor''s uptime over a range (who, why); keeps each touched UTC day''s figures before and after; returns the correction id';
