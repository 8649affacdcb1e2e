-- The top errors of a range without summing every group active in it (the statistics'
-- top_errors, app.error_stats). The fold keeps, for each hourly and daily bucket, the
-- app.stats_top_candidates() groups with most events and a threshold no other group of the bucket
-- exceeds (app.error_bucket_top). The candidates of a range are those of its buckets plus, read
-- the same way from its minute pieces, the groups with most events added there (every group of a
-- half-hour piece made the work follow the minute of the hour the range starts in); their sums are
-- exact. A group that is no candidate has at most the sum of the thresholds (it is below each
-- bucket's threshold and the minute pieces' next group; subtracted pieces only lower it). So
-- when the 10th candidate has more than that bound, the
-- candidates' top 10 is the range's top 10, exactly; when it has not (a range of nearly equal
-- groups), the top 10 is summed over every group of the range instead. There is no error bound:
-- either answer is exact; the bound only decides which way is taken. Groups are ranked by their
-- events first and looked up in system_errors only after: those above the 10th count, and of
-- those tied with it (thousands, on a flat range) only the lowest ids that complete the 10.

CREATE OR REPLACE FUNCTION app._stats_top_errors(p_start timestamptz, p_folded_until timestamptz, p_level integer,
                                                 p_organization_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
-- (no JIT: the pieces' estimates are far above the rows read, and compiling the statement below
-- would take longer than running it)
SET plan_cache_mode = force_custom_plan SET enable_mergejoin = off SET work_mem = '64MB' SET jit = off AS $$
DECLARE
  v_cut numeric;                -- the 10th most events of a group (NULL: fewer than 10 groups)
  v_over_organizations uuid[];  -- the groups with more (fewer than 10) ...
  v_over_hashes text[];
  v_over_events numeric[];
  v_tied_organizations uuid[];  -- ... and those with as many: the lowest ids of these fill the 10
  v_tied_hashes text[];         -- (organizations and hashes: an index range of the groups' key when few;
  v_tied_keys text[];           -- organization || hash: exact across organizations)
  v_top jsonb;
BEGIN
  -- 1. the events of each group that may be in the top 10, ranked by events alone: candidates and
  -- their exact sums when the bound proves them, else every group of the range
  WITH segment AS MATERIALIZED (
    SELECT g.*, (ARRAY[interval '1 minute', interval '1 hour', interval '1 day'])[g.level + 1] AS width
      FROM app._stats_segments(p_start, p_folded_until, p_level) AS g
  ), tops AS MATERIALIZED (
    SELECT t.organization_id, t.error_hashes, t.threshold
      FROM segment g CROSS JOIN LATERAL (
             SELECT * FROM app.error_bucket_top t
              WHERE t.level = g.level AND t.bucket >= g.from_at AND t.bucket < g.to_at
                AND (p_organization_id IS NULL OR t.organization_id = p_organization_id) OFFSET 0) AS t
     WHERE g.level > 0 AND g.sign > 0
  ), minutes AS MATERIALIZED (  -- the minute pieces, summed per group
    SELECT m.organization_id, m.error_hash::text AS error_hash, sum(g.sign * m.event_count) AS events,
           sum(m.event_count) FILTER (WHERE g.sign > 0) AS added
      FROM segment g CROSS JOIN LATERAL (
             SELECT * FROM app.error_metrics m
              WHERE m.bucket >= g.from_at AND m.bucket < g.to_at
                AND (p_organization_id IS NULL OR m.organization_id = p_organization_id) OFFSET 0) AS m
     WHERE g.level = 0
     GROUP BY m.organization_id, m.error_hash
  ), minutes_top AS MATERIALIZED (  -- the minute pieces' own candidates, as a bucket's: those with most events added
    SELECT m.organization_id, m.error_hash FROM minutes m WHERE m.added > 0
     ORDER BY m.added DESC LIMIT app.stats_top_candidates()
  ), candidate AS MATERIALIZED (
    SELECT t.organization_id, h.error_hash::text AS error_hash FROM tops t CROSS JOIN LATERAL unnest(t.error_hashes) AS h (error_hash)
    UNION
    SELECT m.organization_id, m.error_hash FROM minutes_top m
  ), rolled AS (  -- a candidate's rollup rows: an index range (organization, hash, bucket) per piece
    SELECT c.organization_id, c.error_hash, sum(g.sign * coalesce(e.events, 0)) AS events
      FROM candidate c CROSS JOIN segment g CROSS JOIN LATERAL (  -- (aggregates: never flattened into a join)
             SELECT sum(h.event_count) AS events FROM app.error_metrics_hourly h
              WHERE g.level = 1 AND h.organization_id = c.organization_id AND h.error_hash = c.error_hash
                AND h.bucket >= g.from_at AND h.bucket < g.to_at  -- (a piece ending at the watermark may end mid-bucket)
             UNION ALL
             SELECT sum(d.event_count) FROM app.error_metrics_daily d
              WHERE g.level = 2 AND d.organization_id = c.organization_id AND d.error_hash = c.error_hash
                AND d.bucket >= g.from_at AND d.bucket < g.to_at) AS e
     WHERE g.level > 0
     GROUP BY c.organization_id, c.error_hash
  ), candidate_events AS MATERIALIZED (  -- (a group of the minute pieces that is none was only subtracted)
    SELECT c.organization_id, c.error_hash, coalesce(r.events, 0) + coalesce(m.events, 0) AS events
      FROM candidate c
      LEFT JOIN rolled r ON r.organization_id = c.organization_id AND r.error_hash = c.error_hash
      LEFT JOIN minutes m ON m.organization_id = c.organization_id AND m.error_hash = c.error_hash
  ), proven AS (  -- the 10th candidate has more events than any other group can have
    SELECT b.bound = 0 OR coalesce((SELECT x.events FROM candidate_events x WHERE x.events > 0
                                     ORDER BY x.events DESC OFFSET 9 LIMIT 1), 0) > b.bound AS yes
      FROM (SELECT coalesce((SELECT sum(t.threshold) FROM tops t), 0)  -- (no other group exceeds the minutes' next one)
                   + coalesce((SELECT m.added FROM minutes m WHERE m.added > 0
                                ORDER BY m.added DESC OFFSET app.stats_top_candidates() LIMIT 1), 0) AS bound) AS b
  ), counted AS MATERIALIZED (  -- (one branch runs: the other's one-time filter is false)
    SELECT x.organization_id, x.error_hash, x.events FROM candidate_events x
     WHERE x.events > 0 AND (SELECT p.yes FROM proven p)
    UNION ALL
    SELECT c.organization_id, c.error_hash, sum(g.sign * c.event_count)
      FROM segment g
     CROSS JOIN LATERAL (SELECT * FROM app.error_counts c
                          WHERE c.level = g.level AND c.bucket >= g.from_at AND c.bucket < g.to_at
                            AND (p_organization_id IS NULL OR c.organization_id = p_organization_id)
                         OFFSET 0) AS c
     WHERE NOT (SELECT p.yes FROM proven p)
     GROUP BY c.organization_id, c.error_hash
    HAVING sum(g.sign * c.event_count) > 0
  ), cut AS MATERIALIZED (
    SELECT (SELECT x.events FROM counted x ORDER BY x.events DESC OFFSET 9 LIMIT 1) AS events
  )
  SELECT k.events, array_agg(x.organization_id) FILTER (WHERE x.events > coalesce(k.events, 0)),
         array_agg(x.error_hash) FILTER (WHERE x.events > coalesce(k.events, 0)),
         array_agg(x.events) FILTER (WHERE x.events > coalesce(k.events, 0)),
         array_agg(DISTINCT x.organization_id) FILTER (WHERE x.events = k.events),
         array_agg(x.error_hash) FILTER (WHERE x.events = k.events),
         array_agg(x.organization_id::text || x.error_hash) FILTER (WHERE x.events = k.events)
    INTO v_cut, v_over_organizations, v_over_hashes, v_over_events, v_tied_organizations, v_tied_hashes, v_tied_keys
    FROM cut k LEFT JOIN counted x ON x.events >= coalesce(k.events, 0)
   GROUP BY k.events;

  -- 2. only now the groups themselves: those with more events than the 10th, and the lowest ids
  -- of those tied with it (known in number here, so the plan suits them: each looked up when few,
  -- else the ids walked in order until enough are met)
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', s.id, 'message', left(s.message, 200), 'error_type', s.error_type, 'severity', s.severity,
           'status', s.status, 'events', s.events, 'occurrence_count', s.occurrence_count, 'last_seen_at', s.last_seen_at)
           ORDER BY s.events DESC, s.id), '[]')
    INTO v_top
    FROM (SELECT s.*, o.events
            FROM unnest(v_over_organizations, v_over_hashes, v_over_events) AS o (organization_id, error_hash, events)
            JOIN app.system_errors s ON s.organization_id = o.organization_id AND s.error_hash = o.error_hash
          UNION ALL
          (SELECT s.*, v_cut FROM app.system_errors s
            WHERE s.organization_id = ANY (v_tied_organizations) AND s.error_hash = ANY (v_tied_hashes)
              AND s.organization_id::text || s.error_hash = ANY (v_tied_keys)
            ORDER BY s.id LIMIT 10 - coalesce(cardinality(v_over_hashes), 0))) AS s;
  RETURN v_top;
END $$;
COMMENT ON FUNCTION app._stats_top_errors(timestamptz, timestamptz, integer, uuid) IS
  'The 10 groups with most events from p_start on (exact: from the buckets'' top candidates when they prove it, else from every group)';
GRANT EXECUTE ON FUNCTION app._stats_top_errors(timestamptz, timestamptz, integer, uuid) TO staff, org_owner, system_admin;

-- Merging and unmerging (db/functions/app/325_grouping_groups.sql) move folded counts between
-- hashes. Afterwards a hash may have more events in a bucket than its threshold allows for a
-- group left out, so each hash given becomes a candidate of every hourly and daily bucket it has
-- rows in (a stale candidate only sums to fewer events); and its last folded active minute is
-- taken again from its rows (a hash left without folded rows has none). Called with the rollup
-- lock held, after the counts moved.
CREATE OR REPLACE FUNCTION app.error_stats_groups_moved(p_organization_id uuid, p_hashes text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH bucket AS (
    SELECT DISTINCT l.level, l.bucket, h.error_hash
      FROM app.error_metrics_hourly h
     CROSS JOIN LATERAL (VALUES (1, h.bucket), (2, app.stats_bucket_start('1 day', h.bucket))) AS l (level, bucket)
     WHERE h.organization_id = p_organization_id AND h.error_hash = ANY (p_hashes)
  )
  UPDATE app.error_bucket_top t SET error_hashes = t.error_hashes || b.hashes
    FROM (SELECT b.level, b.bucket, array_agg(b.error_hash::varchar(64)) AS hashes FROM bucket b GROUP BY 1, 2) AS b
   WHERE t.organization_id = p_organization_id AND t.level = b.level AND t.bucket = b.bucket
     AND NOT t.error_hashes @> b.hashes;

  DELETE FROM app.error_group_activity a WHERE a.organization_id = p_organization_id AND a.error_hash = ANY (p_hashes);
  INSERT INTO app.error_group_activity (organization_id, error_hash, last_bucket, status, first_seen_at)
  SELECT s.organization_id, s.error_hash, l.bucket, s.status, s.first_seen_at
    FROM (SELECT h.error_hash, max(h.bucket) AS hour FROM app.error_metrics_hourly h
           WHERE h.organization_id = p_organization_id AND h.error_hash = ANY (p_hashes) GROUP BY h.error_hash) AS h
    JOIN app.system_errors s ON s.organization_id = p_organization_id AND s.error_hash = h.error_hash
   CROSS JOIN LATERAL (SELECT max(m.bucket) AS bucket FROM app.error_metrics m
                        WHERE m.organization_id = p_organization_id AND m.error_hash = h.error_hash
                          AND m.bucket >= h.hour AND m.bucket < h.hour + interval '1 hour'
                          AND m.bucket < (SELECT r.folded_until FROM app.error_rollup r)) AS l
   WHERE l.bucket IS NOT NULL;
  PERFORM app._error_windows_recount(p_organization_id, p_hashes);  -- (361_stats_windows.sql)
END $$;
COMMENT ON FUNCTION app.error_stats_groups_moved(uuid, text[]) IS
  'After a merge or unmerge moved folded counts between these hashes: top candidates, last active minutes and windows kept true';
