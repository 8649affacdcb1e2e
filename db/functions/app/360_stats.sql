-- Error statistics from the per-minute metrics (no scan of the events). Invoker rights: an org
-- owner's or staff's call only ever sums their organization's rows (RLS).

-- Bucket width of the series: minutes up to 3 hours, hours up to 3 days, days beyond.
CREATE OR REPLACE FUNCTION app._stats_bucket(p_time_range interval) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_time_range <= interval '3 hours' THEN interval '1 minute'
              WHEN p_time_range <= interval '3 days' THEN interval '1 hour'
              ELSE interval '1 day' END
$$;
COMMENT ON FUNCTION app._stats_bucket(interval) IS 'Series bucket width for a stats time range';

CREATE OR REPLACE FUNCTION app.error_stats(p_time_range interval DEFAULT '24 hours', p_organization_id uuid DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_since timestamptz := now() - p_time_range;
  v_step interval := app._stats_bucket(p_time_range);
  v_stats jsonb;
BEGIN
  IF p_time_range IS NULL OR p_time_range <= interval '0' OR p_time_range > interval '366 days' THEN
    RAISE EXCEPTION 'time range out of bounds' USING ERRCODE = 'QV001', DETAIL = 'Field: p_time_range.',
      HINT = 'Use a positive interval of at most 366 days, e.g. 24 hours.';
  END IF;
  WITH minute AS (
    SELECT m.organization_id, m.bucket, m.error_hash, m.event_count FROM app.error_metrics m
     WHERE m.bucket >= date_trunc('minute', v_since)
       AND (p_organization_id IS NULL OR m.organization_id = p_organization_id)
  ), active AS (
    SELECT s.id, s.message, s.error_type, s.severity, s.status, s.occurrence_count, s.first_seen_at, s.last_seen_at,
           g.events
      FROM (SELECT mi.organization_id, mi.error_hash, sum(mi.event_count)::bigint AS events
              FROM minute mi GROUP BY mi.organization_id, mi.error_hash) AS g
      JOIN app.system_errors s ON s.organization_id = g.organization_id AND s.error_hash = g.error_hash
  )
  SELECT jsonb_build_object(
    'organization_id', p_organization_id,
    'time_range', p_time_range::text,
    'since', v_since,
    'bucket', v_step::text,
    'total_events', (SELECT coalesce(sum(a.events), 0) FROM active a),
    'total_errors', (SELECT count(*) FROM active a),
    'new_errors', (SELECT count(*) FROM active a WHERE a.first_seen_at >= v_since),
    'recurring_errors', (SELECT count(*) FROM active a WHERE a.first_seen_at < v_since),
    'regressed_errors', (SELECT count(*) FROM active a WHERE a.status = 'recurring'),
    'by_type', (SELECT coalesce(jsonb_object_agg(t.error_type, t.events), '{}')
                  FROM (SELECT a.error_type, sum(a.events) AS events FROM active a GROUP BY a.error_type) AS t),
    'by_severity', (SELECT coalesce(jsonb_object_agg(t.severity, t.events), '{}')
                      FROM (SELECT a.severity, sum(a.events) AS events FROM active a GROUP BY a.severity) AS t),
    'by_status', (SELECT coalesce(jsonb_object_agg(t.status, t.errors), '{}')
                    FROM (SELECT a.status, count(*) AS errors FROM active a GROUP BY a.status) AS t),
    'top_errors', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'id', t.id, 'message', left(t.message, 200), 'error_type', t.error_type,
                            'severity', t.severity, 'status', t.status, 'events', t.events,
                            'occurrence_count', t.occurrence_count, 'last_seen_at', t.last_seen_at)
                          ORDER BY t.events DESC, t.id), '[]')
                     FROM (SELECT * FROM active a ORDER BY a.events DESC, a.id LIMIT 10) AS t),
    'series', (SELECT jsonb_agg(jsonb_build_object('bucket', b.bucket, 'events', coalesce(e.events, 0)) ORDER BY b.bucket)
                 FROM generate_series(date_bin(v_step, v_since, timestamptz '2000-01-01 00:00:00+00'), now(), v_step)
                      AS b (bucket)
                 LEFT JOIN (SELECT date_bin(v_step, mi.bucket, timestamptz '2000-01-01 00:00:00+00') AS bucket,
                                   sum(mi.event_count) AS events
                              FROM minute mi GROUP BY 1) AS e ON e.bucket = b.bucket),
    'refused_events', (SELECT coalesce(sum(u.refused), 0) FROM app.rate_limit_usage u
                        WHERE u.minute >= date_trunc('minute', v_since)
                          AND (p_organization_id IS NULL OR u.organization_id = p_organization_id)))
    INTO v_stats;
  RETURN v_stats;
END $$;
COMMENT ON FUNCTION app.error_stats(interval, uuid) IS
  'Error statistics over a time range for one organization (or all visible): totals, breakdowns, top errors, series, refused';
GRANT EXECUTE ON FUNCTION app._stats_bucket(interval), app.error_stats(interval, uuid) TO staff, org_owner, system_admin;
