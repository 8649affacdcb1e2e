-- The rollups (db/schema/360_stats_rollups.sql): pg_cron folds the per-minute counts into hours
-- and days, and the user ids of the events behind them into each group's users, every minute
-- below a watermark (app.error_rollup_fold); statistics split a range into the pieces each table
-- holds (app._stats_segments). Ingest writes only the minute rows, as before.

-- == Folding ==

-- How many groups of each hourly and daily bucket are kept as top-error candidates
-- (app.error_bucket_top): the statistics' top 10 is proven from them unless a range's groups are
-- nearly equal, when it is summed over every group instead.
CREATE OR REPLACE FUNCTION app.stats_top_candidates() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 100 $$;
COMMENT ON FUNCTION app.stats_top_candidates() IS 'Top-error candidates kept per hourly and daily bucket';
GRANT EXECUTE ON FUNCTION app.stats_top_candidates() TO staff, org_owner, system_admin;

-- The first minute a transaction may still count events in. Ingest counts an event in the minute
-- its transaction started (received_at defaults to now()), so every minute before the oldest
-- open transaction of this database, and before our own, is final. The margin covers a
-- transaction that has started but not yet published its start. Sees every backend's start only
-- as a superuser (pg_cron's) or with pg_read_all_stats.
CREATE OR REPLACE FUNCTION app.error_rollup_horizon() RETURNS timestamptz
LANGUAGE sql VOLATILE AS $$
  SELECT date_trunc('minute', least(clock_timestamp() - interval '5 seconds', now(),
                                    (SELECT min(a.xact_start) FROM pg_stat_activity a
                                      WHERE a.datname = current_database() AND a.pid <> pg_backend_pid())))
$$;
COMMENT ON FUNCTION app.error_rollup_horizon() IS
  'The minute from which counts may still change: no transaction of this database started before it';

-- Adds the minute rows of [p_from, p_to) (of one organization, or all) to every rollup made of
-- them: hours and days per group, the organization counts, each group's last active minute and
-- the top candidates of the hours and days touched. The fold's counting step, and a backfill's
-- below the watermark (app.demo_backfill), which the statistics then read like folded minutes.
-- The caller holds the app.error_rollup row lock. Returns the minute rows read.
CREATE OR REPLACE FUNCTION app.error_rollup_add_minutes(p_from timestamptz, p_to timestamptz,
                                                        p_organization_id uuid DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_minute_rows bigint;
BEGIN
  WITH minute AS MATERIALIZED (
    SELECT m.organization_id, m.bucket, m.error_hash, m.event_count FROM app.error_metrics m
     WHERE m.bucket >= p_from AND m.bucket < p_to
       AND (p_organization_id IS NULL OR m.organization_id = p_organization_id)
  ), hourly AS (
    INSERT INTO app.error_metrics_hourly AS h (organization_id, bucket, error_hash, event_count)
    SELECT mi.organization_id, app.stats_bucket_start('1 hour', mi.bucket), mi.error_hash, sum(mi.event_count)
      FROM minute mi GROUP BY 1, 2, 3
     ORDER BY 2, 1, 3  -- new rows in time order: a range of buckets stays on few pages
    ON CONFLICT (organization_id, bucket, error_hash) DO UPDATE SET event_count = h.event_count + excluded.event_count
  ), daily AS (
    INSERT INTO app.error_metrics_daily AS d (organization_id, bucket, error_hash, event_count)
    SELECT mi.organization_id, app.stats_bucket_start('1 day', mi.bucket), mi.error_hash, sum(mi.event_count)
      FROM minute mi GROUP BY 1, 2, 3
     ORDER BY 2, 1, 3  -- new rows in time order: a range of buckets stays on few pages
    ON CONFLICT (organization_id, bucket, error_hash) DO UPDATE SET event_count = d.event_count + excluded.event_count
  )
  SELECT count(*) INTO v_minute_rows FROM minute;

  -- the organization counts by type and severity, and each group's last active minute
  WITH minute AS MATERIALIZED (
    SELECT m.organization_id, m.bucket, m.error_hash, m.event_count, s.error_type, s.severity, s.status, s.first_seen_at
      FROM app.error_metrics m
      JOIN app.system_errors s ON s.organization_id = m.organization_id AND s.error_hash = m.error_hash
     WHERE m.bucket >= p_from AND m.bucket < p_to
       AND (p_organization_id IS NULL OR m.organization_id = p_organization_id)
  ), org_counts AS (
    INSERT INTO app.error_org_counts AS o (organization_id, level, bucket, error_type, severity, event_count)
    SELECT mi.organization_id, l.level, app.stats_bucket_start(l.width, mi.bucket), mi.error_type, mi.severity,
           sum(mi.event_count)
      FROM minute mi
     CROSS JOIN (VALUES (0, interval '1 minute'), (1, interval '1 hour'), (2, interval '1 day')) AS l (level, width)
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 3, 1, 2, 4, 5
    ON CONFLICT (organization_id, level, bucket, error_type, severity)
       DO UPDATE SET event_count = o.event_count + excluded.event_count
  )
  INSERT INTO app.error_group_activity AS a (organization_id, error_hash, last_bucket, status, first_seen_at)
  SELECT mi.organization_id, mi.error_hash, max(mi.bucket), mi.status, mi.first_seen_at
    FROM minute mi GROUP BY mi.organization_id, mi.error_hash, mi.status, mi.first_seen_at
   ORDER BY 1, 2
  -- status and first seen of a group already here are the trigger's (db/triggers/360_stats.sql)
  ON CONFLICT (organization_id, error_hash) DO UPDATE SET last_bucket = greatest(a.last_bucket, excluded.last_bucket);

  -- the top groups of every hourly and daily bucket these minutes added to, chosen afresh
  WITH touched AS (
    SELECT DISTINCT m.organization_id, l.level, app.stats_bucket_start(l.width, m.bucket) AS bucket
      FROM app.error_metrics m CROSS JOIN (VALUES (1, interval '1 hour'), (2, interval '1 day')) AS l (level, width)
     WHERE m.bucket >= p_from AND m.bucket < p_to
       AND (p_organization_id IS NULL OR m.organization_id = p_organization_id)
  )
  INSERT INTO app.error_bucket_top AS t (organization_id, level, bucket, error_hashes, threshold)
  SELECT b.organization_id, b.level, b.bucket, k.hashes[1:app.stats_top_candidates()],
         coalesce(k.counts[app.stats_top_candidates() + 1], 0)
    FROM touched b
   CROSS JOIN LATERAL (
     SELECT array_agg(c.error_hash ORDER BY c.event_count DESC, c.error_hash) AS hashes,
            array_agg(c.event_count ORDER BY c.event_count DESC, c.error_hash) AS counts
       FROM (SELECT c.error_hash, c.event_count FROM app.error_counts c
              WHERE c.level = b.level AND c.organization_id = b.organization_id AND c.bucket = b.bucket
              ORDER BY c.event_count DESC, c.error_hash LIMIT app.stats_top_candidates() + 1) AS c) AS k
   ORDER BY 1, 2, 3
  ON CONFLICT (organization_id, level, bucket) DO UPDATE SET error_hashes = excluded.error_hashes, threshold = excluded.threshold;

  RETURN v_minute_rows;
END $$;
COMMENT ON FUNCTION app.error_rollup_add_minutes(timestamptz, timestamptz, uuid) IS
  'Add the minute rows of a range (one organization or all) to the hourly and daily rollups, the organization counts, the groups'' activity and the top candidates; the caller holds the rollup lock';

-- Minute rows and events before the watermark must not change afterwards: ingest never writes
-- them (see the horizon); a hand-made backfill into the past is followed by app.error_rollup_rebuild().
-- Runs under read committed, so each statement reads with a snapshot taken after the horizon.
CREATE OR REPLACE FUNCTION app.error_rollup_fold(p_until timestamptz DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_from timestamptz;
  v_to timestamptz;
  v_minute_rows bigint;
  v_new_users bigint;
BEGIN
  SELECT r.folded_until INTO v_from FROM app.error_rollup r FOR UPDATE;  -- one fold at a time
  PERFORM pg_stat_clear_snapshot();  -- the backends as they are now, not as this transaction first saw them
  v_to := least(app.error_rollup_horizon(), date_trunc('minute', coalesce(p_until, 'infinity')));
  IF v_to <= v_from THEN
    RETURN jsonb_build_object('folded_from', v_from, 'folded_until', v_from, 'minute_rows', 0, 'new_users', 0);
  END IF;

  v_minute_rows := app.error_rollup_add_minutes(v_from, v_to);

  -- the users of the groups counted in these minutes, from their events of these minutes
  WITH active AS (
    SELECT DISTINCT m.organization_id, m.error_hash FROM app.error_metrics m
     WHERE m.bucket >= v_from AND m.bucket < v_to
  ), seen AS (
    INSERT INTO app.error_group_users AS u (organization_id, error_hash, user_id)
    SELECT DISTINCT e.organization_id, e.error_hash, e.user_id
      FROM active a
      JOIN app.error_events e ON e.organization_id = a.organization_id AND e.error_hash = a.error_hash
                             AND e.received_at >= v_from AND e.received_at < v_to
     WHERE e.user_id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING u.organization_id, u.error_hash
  ), counted AS (
    INSERT INTO app.error_group_user_counts AS c (organization_id, error_hash, error_id, users_affected)
    SELECT n.organization_id, n.error_hash, s.id, n.users
      FROM (SELECT se.organization_id, se.error_hash, count(*)::integer AS users FROM seen se GROUP BY 1, 2) AS n
      JOIN app.system_errors s ON s.organization_id = n.organization_id AND s.error_hash = n.error_hash
    ON CONFLICT (organization_id, error_hash) DO UPDATE SET users_affected = c.users_affected + excluded.users_affected
    RETURNING c.error_id
  )
  SELECT count(*) INTO v_new_users FROM seen;

  -- the activity counts' signed rows summed, one row per key (rows appended meanwhile stay apart)
  WITH summed AS (
    DELETE FROM app.error_activity_counts c
     USING (SELECT k.organization_id, k.last_hour, k.status, k.first_seen_hour FROM app.error_activity_counts k
             GROUP BY 1, 2, 3, 4 HAVING count(*) > 1 OR sum(k.groups) = 0) AS k
     WHERE c.organization_id = k.organization_id AND c.last_hour = k.last_hour
       AND c.status IS NOT DISTINCT FROM k.status AND c.first_seen_hour IS NOT DISTINCT FROM k.first_seen_hour
    RETURNING c.*)
  INSERT INTO app.error_activity_counts (organization_id, last_hour, status, first_seen_hour, groups)
  SELECT s.organization_id, s.last_hour, s.status, s.first_seen_hour, sum(s.groups)
    FROM summed s GROUP BY 1, 2, 3, 4 HAVING sum(s.groups) <> 0;

  -- each group's events in the last 24 hours, 7 and 30 days (db/functions/app/361_stats_windows.sql)
  PERFORM app._error_windows_slide(v_from, v_to);

  UPDATE app.error_rollup SET folded_until = v_to, folded_at = now();
  RETURN jsonb_build_object('folded_from', v_from, 'folded_until', v_to, 'minute_rows', v_minute_rows,
                            'new_users', v_new_users);
END $$;
COMMENT ON FUNCTION app.error_rollup_fold(timestamptz) IS
  'pg_cron, every minute: fold the final minutes since the watermark (up to p_until) into the hourly, daily and users rollups';

-- Start over: the next fold rebuilds every rollup from the minute rows and events still stored
-- (after a backfill into folded minutes, or a repair).
CREATE OR REPLACE FUNCTION app.error_rollup_rebuild() RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM FROM app.error_rollup r FOR UPDATE;
  DELETE FROM app.error_metrics_hourly;
  DELETE FROM app.error_metrics_daily;
  DELETE FROM app.error_group_users;
  DELETE FROM app.error_group_user_counts;
  DELETE FROM app.error_org_counts;
  DELETE FROM app.error_bucket_top;
  DELETE FROM app.error_group_windows;
  UPDATE app.error_group_activity SET last_bucket = '-infinity';
  UPDATE app.error_rollup SET folded_until = '-infinity', folded_at = NULL, windows_until = '-infinity';
  RETURN app.error_rollup_fold();
END $$;
COMMENT ON FUNCTION app.error_rollup_rebuild() IS 'Empty the rollups and fold everything again from the minute rows and events';

-- == Reading ==

-- Signed pieces that add up to [p_from, p_to) (all below the watermark) read at p_level or finer
-- (0 minutes, 1 hours, 2 days): the whole buckets inside, then the edges one level down. The edge
-- before the first whole bucket is read either as itself or, when smaller, as its whole bucket
-- minus the part before p_from. Rollup rows of the bucket holding the watermark count only the
-- minutes before it, so a piece ending at the watermark may end mid-bucket.
CREATE OR REPLACE FUNCTION app._stats_cover(p_from timestamptz, p_to timestamptz, p_to_is_watermark boolean,
                                            p_level integer, p_sign integer)
RETURNS TABLE (level integer, from_at timestamptz, to_at timestamptz, sign integer)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_width interval := (ARRAY[interval '1 minute', interval '1 hour', interval '1 day'])[p_level + 1];
  v_floor timestamptz := app.stats_bucket_start(v_width, p_from);  -- the bucket holding p_from
  v_first timestamptz;  -- the first whole bucket
  v_end timestamptz;    -- where whole buckets end
BEGIN
  IF p_from >= p_to THEN
    RETURN;
  ELSIF p_level = 0 THEN
    RETURN QUERY SELECT 0, p_from, p_to, p_sign;
    RETURN;
  END IF;
  v_first := CASE WHEN v_floor = p_from THEN p_from ELSE v_floor + v_width END;
  v_end := CASE WHEN p_to_is_watermark THEN p_to ELSE app.stats_bucket_start(v_width, p_to) END;
  IF v_first >= v_end THEN
    RETURN QUERY SELECT * FROM app._stats_cover(p_from, p_to, p_to_is_watermark, p_level - 1, p_sign);
  ELSIF p_from - v_floor < v_first - p_from THEN
    RETURN QUERY SELECT p_level, v_floor, v_end, p_sign
                 UNION ALL SELECT * FROM app._stats_cover(v_floor, p_from, false, p_level - 1, -p_sign)
                 UNION ALL SELECT * FROM app._stats_cover(v_end, p_to, false, p_level - 1, p_sign);
  ELSE
    RETURN QUERY SELECT p_level, v_first, v_end, p_sign
                 UNION ALL SELECT * FROM app._stats_cover(p_from, v_first, false, p_level - 1, p_sign)
                 UNION ALL SELECT * FROM app._stats_cover(v_end, p_to, false, p_level - 1, p_sign);
  END IF;
END $$;
COMMENT ON FUNCTION app._stats_cover(timestamptz, timestamptz, boolean, integer, integer) IS
  'Signed (level, from, to) pieces adding up to a folded range, coarsest buckets first (app._stats_segments)';

-- [p_start, infinity) as signed pieces: below the watermark from the rollups (app._stats_cover),
-- from the watermark on from the minute rows.
CREATE OR REPLACE FUNCTION app._stats_segments(p_start timestamptz, p_folded_until timestamptz, p_level integer)
RETURNS TABLE (level integer, from_at timestamptz, to_at timestamptz, sign integer)
LANGUAGE sql IMMUTABLE ROWS 8 AS $$
  SELECT * FROM app._stats_cover(p_start, greatest(p_start, p_folded_until), true, p_level, 1)
  UNION ALL
  SELECT 0, greatest(p_start, p_folded_until), timestamptz 'infinity', 1
$$;
COMMENT ON FUNCTION app._stats_segments(timestamptz, timestamptz, integer) IS
  'Which table (0 minutes, 1 hours, 2 days) holds which part of [start, infinity), with a sign, given the watermark';

GRANT EXECUTE ON FUNCTION app._stats_cover(timestamptz, timestamptz, boolean, integer, integer),
  app._stats_segments(timestamptz, timestamptz, integer) TO staff, org_owner, system_admin;
