-- Error statistics from the counts: the per-minute metrics and their hourly and daily rollups
-- (db/functions/app/360_stats_rollups.sql), never the events. A range is read from the coarsest
-- rollup that covers each part of it and the minute rows not yet folded, so the work grows with
-- the groups active in the range, not with its minutes, and the answer is the sum of the minute
-- rows, exactly and up to the current minute. Invoker rights: an org owner's or staff's call only
-- ever sums their organization's rows (RLS).

-- Bucket width of the series: minutes up to 3 hours, hours up to 3 days, days beyond.
CREATE OR REPLACE FUNCTION app._stats_bucket(p_time_range interval) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_time_range <= interval '3 hours' THEN interval '1 minute'
              WHEN p_time_range <= interval '3 days' THEN interval '1 hour'
              ELSE interval '1 day' END
$$;
COMMENT ON FUNCTION app._stats_bucket(interval) IS 'Series bucket width for a stats time range';

-- Series buckets and rollup buckets are aligned on UTC (hours and days from 2000-01-01 00:00 UTC).
CREATE OR REPLACE FUNCTION app.stats_bucket_start(p_width interval, p_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_bin(p_width, p_at, timestamptz '2000-01-01 00:00:00+00')
$$;
COMMENT ON FUNCTION app.stats_bucket_start(interval, timestamptz) IS
  'Start of the UTC-aligned bucket of a width (a minute, an hour, a day) holding a time';

CREATE OR REPLACE FUNCTION app.error_stats(p_time_range interval DEFAULT '24 hours', p_organization_id uuid DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
-- Planned for this call's organization (a generic plan would have to serve every organization).
-- Hash joins: the planner cannot know how many groups a range holds (it guesses a few hundred)
-- and would look up 100,000 of them one by one, or sort them; the rollups are read by LATERAL
-- index scans per segment, which need no choice. Memory for 100,000 groups without spilling.
SET plan_cache_mode = force_custom_plan SET enable_nestloop = off SET enable_mergejoin = off SET work_mem = '64MB' AS $$
DECLARE
  v_since timestamptz := now() - p_time_range;
  v_step interval := app._stats_bucket(p_time_range);
  v_stats jsonb;
BEGIN
  IF p_time_range IS NULL OR p_time_range <= interval '0' OR p_time_range > interval '366 days' THEN
    RAISE EXCEPTION 'time range out of bounds' USING ERRCODE = 'QV001', DETAIL = 'Field: p_time_range.',
      HINT = 'Use a positive interval of at most 366 days, e.g. 24 hours.';
  END IF;
  WITH segment AS (  -- the series' bucket is the coarsest rollup a range may be read from
    SELECT g.* FROM app._stats_segments(date_trunc('minute', v_since), (SELECT r.folded_until FROM app.error_rollup r),
                                        CASE v_step WHEN interval '1 minute' THEN 0 WHEN interval '1 hour' THEN 1 ELSE 2 END) AS g
  ), per AS (  -- one pass over the counts: events per group (by_grouping 0) and per series bucket (3)
    SELECT c.organization_id, c.error_hash, app.stats_bucket_start(v_step, c.bucket) AS bucket, sum(c.events) AS events,
           GROUPING(c.organization_id, c.error_hash) AS by_grouping
      FROM (  -- signed counts per group and bucket, each segment from the level holding it
        -- float8: summed by value, exact up to 2^53
        SELECT c.organization_id, c.error_hash, c.bucket, (g.sign * c.event_count)::float8 AS events
          FROM segment g CROSS JOIN LATERAL (
                 SELECT * FROM app.error_counts c
                  WHERE c.level = g.level AND c.bucket >= g.from_at AND c.bucket < g.to_at
                    AND (p_organization_id IS NULL OR c.organization_id = p_organization_id)
                 OFFSET 0) AS c) AS c  -- kept apart: an index scan per segment, never a join with whole tables
     GROUP BY GROUPING SETS ((c.organization_id, c.error_hash), (app.stats_bucket_start(v_step, c.bucket)))
  ), active AS (  -- groups with events in the range (their attributes from an index-only scan)
    SELECT s.id, s.error_type, s.severity, s.status, s.first_seen_at, p.events::bigint AS events
      FROM per p JOIN app.system_errors s ON s.organization_id = p.organization_id AND s.error_hash = p.error_hash
     WHERE p.by_grouping = 0 AND p.events > 0
  ), totals AS (
    SELECT coalesce(sum(a.events), 0) AS events, count(*) AS errors,
           count(*) FILTER (WHERE a.first_seen_at >= v_since) AS new_errors,
           count(*) FILTER (WHERE a.first_seen_at < v_since) AS recurring_errors,
           count(*) FILTER (WHERE a.status = 'recurring') AS regressed_errors
      FROM active a
  ), breakdown AS (  -- one hashed pass; by_grouping 3: by type, 5: by severity, 6: by status
    SELECT a.error_type, a.severity, a.status, sum(a.events) AS events, count(*) AS errors,
           GROUPING(a.error_type, a.severity, a.status) AS by_grouping
      FROM active a GROUP BY GROUPING SETS ((a.error_type), (a.severity), (a.status))
  ), top AS (
    SELECT a.id, a.events FROM active a ORDER BY a.events DESC, a.id LIMIT 10
  )
  SELECT jsonb_build_object(
    'organization_id', p_organization_id,
    'time_range', p_time_range::text,
    'since', v_since,
    'bucket', v_step::text,
    'total_events', t.events,
    'total_errors', t.errors,
    'new_errors', t.new_errors,
    'recurring_errors', t.recurring_errors,
    'regressed_errors', t.regressed_errors,
    'by_type', (SELECT coalesce(jsonb_object_agg(b.error_type, b.events), '{}') FROM breakdown b WHERE b.by_grouping = 3),
    'by_severity', (SELECT coalesce(jsonb_object_agg(b.severity, b.events), '{}') FROM breakdown b WHERE b.by_grouping = 5),
    'by_status', (SELECT coalesce(jsonb_object_agg(b.status, b.errors), '{}') FROM breakdown b WHERE b.by_grouping = 6),
    'top_errors', (SELECT coalesce(jsonb_agg((SELECT jsonb_build_object(
                                         'id', s.id, 'message', left(s.message, 200), 'error_type', s.error_type,
                                         'severity', s.severity, 'status', s.status, 'events', p.events,
                                         'occurrence_count', s.occurrence_count, 'last_seen_at', s.last_seen_at)
                                       FROM app.system_errors s WHERE s.id = p.id)
                                      ORDER BY p.events DESC, p.id), '[]')
                     FROM top p),
    'series', (SELECT jsonb_agg(jsonb_build_object('bucket', b.bucket, 'events', coalesce(e.events::bigint, 0)) ORDER BY b.bucket)
                 FROM generate_series(app.stats_bucket_start(v_step, v_since), now(), v_step) AS b (bucket)
                 LEFT JOIN per e ON e.by_grouping = 3 AND e.bucket = b.bucket),
    'refused_events', (SELECT coalesce(sum(u.refused), 0) FROM app.rate_limit_usage u
                        WHERE u.minute >= date_trunc('minute', v_since)
                          AND (p_organization_id IS NULL OR u.organization_id = p_organization_id)))
    INTO v_stats
    FROM totals t;
  RETURN v_stats;
END $$;
COMMENT ON FUNCTION app.error_stats(interval, uuid) IS
  'Error statistics over a time range for one organization (or all visible): totals, breakdowns, top errors, series, refused';
GRANT EXECUTE ON FUNCTION app._stats_bucket(interval), app.stats_bucket_start(interval, timestamptz),
  app.error_stats(interval, uuid) TO staff, org_owner, system_admin;
