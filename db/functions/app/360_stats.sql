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
-- Rollups are read by LATERAL index scans per segment, which need no choice; hash joins for the
-- few thousand rows met on the way.
SET plan_cache_mode = force_custom_plan SET enable_mergejoin = off SET work_mem = '64MB' AS $$
DECLARE
  v_since timestamptz := now() - p_time_range;
  v_start timestamptz := date_trunc('minute', now() - p_time_range);
  v_step interval := app._stats_bucket(p_time_range);
  v_level integer := CASE app._stats_bucket(p_time_range) WHEN interval '1 minute' THEN 0 WHEN interval '1 hour' THEN 1 ELSE 2 END;
  v_folded timestamptz := (SELECT r.folded_until FROM app.error_rollup r);
  v_start_hour timestamptz := app.stats_bucket_start('1 hour', v_start);  -- the hour the range starts in
  v_seen_hour timestamptz := app.stats_bucket_start('1 hour', v_since);   -- the hour "new" starts in
  v_top jsonb;
  v_stats jsonb;
BEGIN
  IF p_time_range IS NULL OR p_time_range <= interval '0' OR p_time_range > interval '366 days' THEN
    RAISE EXCEPTION 'time range out of bounds' USING ERRCODE = 'QV001', DETAIL = 'Field: p_time_range.',
      HINT = 'Use a positive interval of at most 366 days, e.g. 24 hours.';
  END IF;
  -- (from the window starting nearest when one is near, else from the coarsest rollups whatever
  -- the series' bucket: the fewest candidates and rows)
  v_top := coalesce(app._stats_top_errors_windowed(v_start, p_organization_id),
                    app._stats_top_errors(v_start, v_folded, 2, p_organization_id));
  WITH segment AS (  -- the series' bucket is the coarsest rollup a range may be read from
    SELECT g.* FROM app._stats_segments(v_start, v_folded, v_level) AS g
  ), counted AS (  -- events per series bucket, type and severity: folded ones, then the minutes after
    SELECT app.stats_bucket_start(v_step, c.bucket) AS bucket, c.error_type, c.severity, (g.sign * c.event_count)::float8 AS events
      FROM segment g CROSS JOIN LATERAL (
             SELECT * FROM app.error_org_counts c
              WHERE c.level = g.level AND c.bucket >= g.from_at AND c.bucket < g.to_at
                AND (p_organization_id IS NULL OR c.organization_id = p_organization_id)
             OFFSET 0) AS c  -- kept apart: an index scan per segment
     WHERE g.to_at < 'infinity'
    UNION ALL
    SELECT app.stats_bucket_start(v_step, m.bucket), s.error_type, s.severity, m.event_count
      FROM app.error_metrics m
      JOIN app.system_errors s ON s.organization_id = m.organization_id AND s.error_hash = m.error_hash
     WHERE m.bucket >= greatest(v_start, v_folded) AND (p_organization_id IS NULL OR m.organization_id = p_organization_id)
  ), per AS (  -- one hashed pass; by_grouping 3: by series bucket, 5: by type, 6: by severity
    SELECT c.bucket, c.error_type, c.severity, sum(c.events) AS events, GROUPING(c.bucket, c.error_type, c.severity) AS by_grouping
      FROM counted c GROUP BY GROUPING SETS ((c.bucket), (c.error_type), (c.severity))
  ), active AS (  -- groups with events in the range: status, counted, new and recurring
    -- whole hours after the one the range starts in: counted (app.error_activity_counts) ...
    SELECT c.status, c.groups AS errors, CASE WHEN c.first_seen_hour > v_seen_hour THEN c.groups ELSE 0 END AS new_errors,
           CASE WHEN c.first_seen_hour < v_seen_hour THEN c.groups ELSE 0 END AS recurring_errors
      FROM app.error_activity_counts c
     WHERE c.last_hour > v_start_hour AND (p_organization_id IS NULL OR c.organization_id = p_organization_id)
    UNION ALL  -- ... where those first seen in the hour of v_since are new or recurring one by one
    SELECT a.status, 0, (a.first_seen_at >= v_since)::integer, (a.first_seen_at < v_since)::integer
      FROM app.error_group_activity a
     WHERE a.first_seen_at >= v_seen_hour AND a.first_seen_at < v_seen_hour + interval '1 hour'
       AND a.last_bucket >= v_start_hour + interval '1 hour'
       AND (p_organization_id IS NULL OR a.organization_id = p_organization_id)
    UNION ALL  -- the hour the range starts in, one by one
    SELECT a.status, 1, (a.first_seen_at >= v_since)::integer, (a.first_seen_at < v_since)::integer
      FROM app.error_group_activity a
     WHERE a.last_bucket >= v_start AND a.last_bucket < v_start_hour + interval '1 hour'
       AND (p_organization_id IS NULL OR a.organization_id = p_organization_id)
    UNION ALL  -- groups with events since the watermark only
    SELECT s.status, 1, (s.first_seen_at >= v_since)::integer, (s.first_seen_at < v_since)::integer
      FROM (SELECT DISTINCT m.organization_id, m.error_hash FROM app.error_metrics m
             WHERE m.bucket >= greatest(v_start, v_folded)
               AND (p_organization_id IS NULL OR m.organization_id = p_organization_id)) AS t
      JOIN app.system_errors s ON s.organization_id = t.organization_id AND s.error_hash = t.error_hash
     WHERE NOT EXISTS (SELECT FROM app.error_group_activity a WHERE a.organization_id = t.organization_id
                          AND a.error_hash = t.error_hash AND a.last_bucket >= v_start)
  ), groups AS (  -- by_grouping 0: by status, 1: all
    SELECT a.status, sum(a.errors) AS errors, sum(a.new_errors) AS new_errors, sum(a.recurring_errors) AS recurring_errors,
           GROUPING(a.status) AS by_grouping
      FROM active a GROUP BY GROUPING SETS ((), (a.status))
  )
  SELECT jsonb_build_object(
    'organization_id', p_organization_id,
    'time_range', p_time_range::text,
    'since', v_since,
    'bucket', v_step::text,
    'total_events', (SELECT coalesce(sum(p.events), 0)::bigint FROM per p WHERE p.by_grouping = 3),
    'total_errors', coalesce(t.errors, 0)::bigint,
    'new_errors', coalesce(t.new_errors, 0)::bigint,
    'recurring_errors', coalesce(t.recurring_errors, 0)::bigint,
    'regressed_errors', (SELECT coalesce(sum(b.errors), 0)::bigint FROM groups b WHERE b.by_grouping = 0 AND b.status = 'recurring'),
    'by_type', (SELECT coalesce(jsonb_object_agg(p.error_type, p.events::bigint), '{}') FROM per p
                 WHERE p.by_grouping = 5 AND p.events <> 0),
    'by_severity', (SELECT coalesce(jsonb_object_agg(p.severity, p.events::bigint), '{}') FROM per p
                     WHERE p.by_grouping = 6 AND p.events <> 0),
    'by_status', (SELECT coalesce(jsonb_object_agg(b.status, b.errors::bigint), '{}') FROM groups b
                   WHERE b.by_grouping = 0 AND b.errors > 0),
    'top_errors', v_top,
    'series', (SELECT jsonb_agg(jsonb_build_object('bucket', b.bucket, 'events', coalesce(e.events::bigint, 0)) ORDER BY b.bucket)
                 FROM generate_series(app.stats_bucket_start(v_step, v_since), now(), v_step) AS b (bucket)
                 LEFT JOIN per e ON e.by_grouping = 3 AND e.bucket = b.bucket),
    'refused_events', (SELECT coalesce(sum(u.refused), 0) FROM app.rate_limit_usage u
                        WHERE u.minute >= date_trunc('minute', v_since)
                          AND (p_organization_id IS NULL OR u.organization_id = p_organization_id)))
    INTO v_stats
    FROM groups t WHERE t.by_grouping = 1;
  RETURN v_stats;
END $$;
COMMENT ON FUNCTION app.error_stats(interval, uuid) IS
  'Error statistics over a time range for one organization (or all visible): totals, breakdowns, top errors, series, refused';
GRANT EXECUTE ON FUNCTION app._stats_bucket(interval), app.stats_bucket_start(interval, timestamptz),
  app.error_stats(interval, uuid) TO staff, org_owner, system_admin;
