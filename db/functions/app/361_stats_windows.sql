-- Each group's events in the last 24 hours, 7 days and 30 days before the rollup watermark
-- (app.error_group_windows, db/schema/360_stats_rollups.sql): slid by the fold, recounted for the
-- groups a merge or an unmerge changed, trimmed by retention; and the top errors read from them.

-- The windows kept: the Overview's ranges, in hours (a day's length never depends on a time zone).
CREATE OR REPLACE FUNCTION app.stats_windows() RETURNS interval[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ARRAY[interval '24 hours', interval '168 hours', interval '720 hours'] $$;
COMMENT ON FUNCTION app.stats_windows() IS 'The windows app.error_group_windows keeps per group (24 hours, 7 and 30 days)';
GRANT EXECUTE ON FUNCTION app.stats_windows() TO staff, org_owner, system_admin;

-- Adds the folded counts of [p_add_from, p_add_to) to a window's rows and takes those of
-- [p_sub_from, p_sub_to) out (each read from the coarsest rollups, app._stats_cover), for one
-- organization's groups (or all; p_hashes: only these). Every minute of both ranges is in the
-- rollups, which hold the minutes before p_watermark (a range may end there, mid-bucket). The
-- caller holds the app.error_rollup row lock.
CREATE OR REPLACE FUNCTION app._error_windows_add(p_time_range interval, p_watermark timestamptz,
                                                  p_add_from timestamptz, p_add_to timestamptz,
                                                  p_sub_from timestamptz, p_sub_to timestamptz,
                                                  p_organization_id uuid DEFAULT NULL, p_hashes text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  WITH piece AS MATERIALIZED (
    SELECT * FROM app._stats_cover(p_add_from, p_add_to, p_add_to = p_watermark, 2, 1)
    UNION ALL
    SELECT * FROM app._stats_cover(p_sub_from, p_sub_to, p_sub_to = p_watermark, 2, -1)
  ), delta AS (
    SELECT c.organization_id, c.error_hash, sum(g.sign * c.event_count) AS events
      FROM piece g CROSS JOIN LATERAL (
             SELECT * FROM app.error_counts c
              WHERE c.level = g.level AND c.bucket >= g.from_at AND c.bucket < g.to_at
                AND (p_organization_id IS NULL OR c.organization_id = p_organization_id)
                AND (p_hashes IS NULL OR c.error_hash = ANY (p_hashes))
             OFFSET 0) AS c  -- kept apart: an index scan per piece
     GROUP BY c.organization_id, c.error_hash
    HAVING sum(g.sign * c.event_count) <> 0
  )
  INSERT INTO app.error_group_windows AS w (organization_id, error_hash, time_range, error_id, events)
  SELECT d.organization_id, d.error_hash, p_time_range, s.id, d.events
    FROM delta d
   CROSS JOIN LATERAL (SELECT s.id FROM app.system_errors s  -- each group looked up: a few hundred a minute
                        WHERE s.organization_id = d.organization_id AND s.error_hash = d.error_hash OFFSET 0) AS s
   ORDER BY 1, 2
  ON CONFLICT (organization_id, error_hash, time_range) DO UPDATE SET events = w.events + excluded.events;
  -- the groups that left the window (an index range: events is its second column)
  DELETE FROM app.error_group_windows w WHERE w.time_range = p_time_range AND w.events <= 0;
END $$;
COMMENT ON FUNCTION app._error_windows_add(interval, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, uuid, text[]) IS
  'Add the folded counts of one range to a window''s rows and take those of another out; the caller holds the rollup lock';

-- The fold moved the watermark from p_old to p_new (the rollups hold the minutes before p_new):
-- each window takes the minutes that entered it and gives up those that left it. When the
-- windows were not at p_old (new, or emptied by a rebuild) they are counted afresh.
CREATE OR REPLACE FUNCTION app._error_windows_slide(p_old timestamptz, p_new timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_window interval;
BEGIN
  IF (SELECT r.windows_until FROM app.error_rollup r) IS DISTINCT FROM p_old THEN
    DELETE FROM app.error_group_windows;
    p_old := '-infinity';
  END IF;
  FOREACH v_window IN ARRAY app.stats_windows() LOOP
    PERFORM app._error_windows_add(v_window, p_new, greatest(p_old, p_new - v_window), p_new,
                                   p_old - v_window, least(p_old, p_new - v_window));
  END LOOP;
  UPDATE app.error_rollup SET windows_until = p_new;
END $$;
COMMENT ON FUNCTION app._error_windows_slide(timestamptz, timestamptz) IS
  'The fold moved the watermark: every window slid along (or counted afresh when it was not at the old watermark)';

-- Counted afresh from the rollups, for some groups of one organization (all of them: p_hashes
-- NULL) whose folded counts changed below the watermark (a merge, an unmerge, a backfill). The
-- caller holds the app.error_rollup row lock.
CREATE OR REPLACE FUNCTION app._error_windows_recount(p_organization_id uuid, p_hashes text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_rollup app.error_rollup := (SELECT r FROM app.error_rollup r);
  v_window interval;
BEGIN
  IF v_rollup.windows_until IS DISTINCT FROM v_rollup.folded_until THEN
    RETURN;  -- (the next fold counts every window afresh)
  END IF;
  DELETE FROM app.error_group_windows w
   WHERE w.organization_id = p_organization_id AND (p_hashes IS NULL OR w.error_hash = ANY (p_hashes));
  FOREACH v_window IN ARRAY app.stats_windows() LOOP
    PERFORM app._error_windows_add(v_window, v_rollup.folded_until, v_rollup.folded_until - v_window,
                                   v_rollup.folded_until, '-infinity', '-infinity', p_organization_id, p_hashes);
  END LOOP;
END $$;
COMMENT ON FUNCTION app._error_windows_recount(uuid, text[]) IS
  'Count some groups'' windows afresh from the rollups (after a merge, an unmerge, a backfill); the caller holds the rollup lock';

-- Retention is about to delete every count before p_horizon: the windows give up those they hold.
-- The caller holds the app.error_rollup row lock.
CREATE OR REPLACE FUNCTION app._error_windows_forget(p_horizon timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_rollup app.error_rollup := (SELECT r FROM app.error_rollup r);
  v_window interval;
BEGIN
  IF v_rollup.windows_until IS DISTINCT FROM v_rollup.folded_until THEN
    RETURN;
  END IF;
  FOREACH v_window IN ARRAY app.stats_windows() LOOP
    PERFORM app._error_windows_add(v_window, v_rollup.folded_until, '-infinity', '-infinity',
                                   v_rollup.folded_until - v_window, least(p_horizon, v_rollup.folded_until));
  END LOOP;
END $$;
COMMENT ON FUNCTION app._error_windows_forget(timestamptz) IS
  'Before retention deletes the counts before a time: the windows give them up; the caller holds the rollup lock';

-- The 10 groups with most events from p_start on, ties by id, exactly as app._stats_top_errors
-- ranks them, read from the window whose start is nearest to p_start (NULL when none starts
-- within an hour of it, or the windows are not at the watermark). A group's events are its
-- window's plus a correction: the minutes between the window's start and p_start (added or taken
-- out) and those after the watermark. Walking the window in order (events, then id), the groups
-- corrected upwards and the first 10 + (groups corrected) rows are the only ones that can be in
-- the top 10: any other keeps its window's events and has at least 10 uncorrected groups before it.
CREATE OR REPLACE FUNCTION app._stats_top_errors_windowed(p_start timestamptz, p_organization_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan SET enable_mergejoin = off SET jit = off AS $$
DECLARE
  v_rollup app.error_rollup := (SELECT r FROM app.error_rollup r);
  v_window interval;
  v_window_start timestamptz;
  v_top jsonb;
BEGIN
  IF v_rollup.windows_until IS DISTINCT FROM v_rollup.folded_until OR v_rollup.folded_until <= p_start THEN
    RETURN NULL;
  END IF;
  SELECT w INTO v_window FROM unnest(app.stats_windows()) AS w
   ORDER BY abs(extract(epoch FROM v_rollup.folded_until - w - p_start)) LIMIT 1;
  v_window_start := v_rollup.folded_until - v_window;
  IF abs(extract(epoch FROM v_window_start - p_start)) > 3600 THEN
    RETURN NULL;
  END IF;

  WITH piece AS MATERIALIZED (
    SELECT * FROM app._stats_cover(p_start, v_window_start, false, 2, 1)  -- the range starts earlier
    UNION ALL
    SELECT * FROM app._stats_cover(v_window_start, p_start, false, 2, -1)  -- ... or later
    UNION ALL
    SELECT 0, v_rollup.folded_until, timestamptz 'infinity', 1
  ), correction AS MATERIALIZED (
    SELECT c.organization_id, c.error_hash::text AS error_hash, sum(g.sign * c.event_count) AS events
      FROM piece g CROSS JOIN LATERAL (
             SELECT * FROM app.error_counts c
              WHERE c.level = g.level AND c.bucket >= g.from_at AND c.bucket < g.to_at
                AND (p_organization_id IS NULL OR c.organization_id = p_organization_id)
             OFFSET 0) AS c  -- kept apart: an index scan per piece
     GROUP BY c.organization_id, c.error_hash
    HAVING sum(g.sign * c.event_count) <> 0
  ), walked AS MATERIALIZED (  -- the window's first rows, in order: an index range
    SELECT w.organization_id, w.error_hash::text AS error_hash, w.events, w.error_id FROM app.error_group_windows w
     WHERE w.time_range = v_window AND (p_organization_id IS NULL OR w.organization_id = p_organization_id)
     ORDER BY w.events DESC, w.error_id LIMIT 10 + (SELECT count(*) FROM correction)
  ), ranked AS (
    SELECT w.organization_id, w.error_hash, w.events + coalesce(k.events, 0) AS events, w.error_id
      FROM walked w LEFT JOIN correction k ON k.organization_id = w.organization_id AND k.error_hash = w.error_hash
    UNION ALL  -- the groups corrected upwards beyond them, each looked up
    SELECT k.organization_id, k.error_hash, coalesce(x.events, 0) + k.events, s.id
      FROM correction k
      JOIN app.system_errors s ON s.organization_id = k.organization_id AND s.error_hash = k.error_hash
      LEFT JOIN LATERAL (SELECT x.events FROM app.error_group_windows x
                          WHERE x.organization_id = k.organization_id AND x.error_hash = k.error_hash
                            AND x.time_range = v_window) AS x ON true
     WHERE k.events > 0
       AND NOT EXISTS (SELECT FROM walked w WHERE w.organization_id = k.organization_id AND w.error_hash = k.error_hash)
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', s.id, 'message', left(s.message, 200), 'error_type', s.error_type, 'severity', s.severity,
           'status', s.status, 'events', t.events, 'occurrence_count', s.occurrence_count, 'last_seen_at', s.last_seen_at)
           ORDER BY t.events DESC, s.id), '[]')
    INTO v_top
    FROM (SELECT r.* FROM ranked r WHERE r.events > 0 ORDER BY r.events DESC, r.error_id LIMIT 10) AS t
    JOIN app.system_errors s ON s.id = t.error_id;
  RETURN v_top;
END $$;
COMMENT ON FUNCTION app._stats_top_errors_windowed(timestamptz, uuid) IS
  'The 10 groups with most events from p_start on, from the nearest window (NULL: no window starts within an hour of it)';
GRANT EXECUTE ON FUNCTION app._stats_top_errors_windowed(timestamptz, uuid) TO staff, org_owner, system_admin;
