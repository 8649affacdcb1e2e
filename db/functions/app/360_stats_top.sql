-- The top errors of a range without summing every group active in it (the statistics'
-- top_errors, app.error_stats). The fold keeps, for each hourly and daily bucket, the
-- app.stats_top_candidates() groups with most events and a threshold no other group of the bucket
-- exceeds (app.error_bucket_top). The candidates of a range are those of its buckets plus every
-- group of its minute pieces; their sums are exact. A group that is no candidate has at most the
-- sum of the thresholds (it is below each bucket's threshold and absent from the minute pieces;
-- subtracted pieces only lower it). So when the 10th candidate has more than that bound, the
-- candidates' top 10 is the range's top 10, exactly; when it has not (a range of nearly equal
-- groups), the top 10 is summed over every group of the range instead. There is no error bound:
-- either answer is exact; the bound only decides which way is taken.

CREATE OR REPLACE FUNCTION app._stats_top_errors(p_start timestamptz, p_folded_until timestamptz, p_level integer,
                                                 p_organization_id uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan SET enable_mergejoin = off SET work_mem = '64MB' AS $$
DECLARE
  v_bound numeric;
  v_ids uuid[];
  v_events numeric[];
  v_top jsonb;
BEGIN
  -- 1. candidates and their exact sums; the bound no other group can exceed
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
    SELECT m.organization_id, m.error_hash, sum(g.sign * m.event_count) AS events, bool_or(g.sign > 0) AS added
      FROM segment g CROSS JOIN LATERAL (
             SELECT * FROM app.error_metrics m
              WHERE m.bucket >= g.from_at AND m.bucket < g.to_at
                AND (p_organization_id IS NULL OR m.organization_id = p_organization_id) OFFSET 0) AS m
     WHERE g.level = 0
     GROUP BY m.organization_id, m.error_hash
  ), candidate AS MATERIALIZED (
    SELECT t.organization_id, h.error_hash::text AS error_hash FROM tops t CROSS JOIN LATERAL unnest(t.error_hashes) AS h (error_hash)
    UNION
    SELECT m.organization_id, m.error_hash FROM minutes m WHERE m.added
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
  )
  SELECT array_agg(p.id ORDER BY p.events DESC, p.id), array_agg(p.events ORDER BY p.events DESC, p.id),
         (SELECT coalesce(sum(t.threshold), 0) FROM tops t)
    INTO v_ids, v_events, v_bound
    FROM (SELECT s.id, x.events
            -- (a group of the minute pieces that is no candidate was only subtracted: below 0)
            FROM (SELECT u.organization_id, u.error_hash, sum(u.events) AS events
                    FROM (SELECT r.organization_id, r.error_hash, r.events FROM rolled r
                          UNION ALL
                          SELECT m.organization_id, m.error_hash, m.events FROM minutes m) AS u
                   GROUP BY u.organization_id, u.error_hash) AS x
            JOIN app.system_errors s ON s.organization_id = x.organization_id AND s.error_hash = x.error_hash
           WHERE x.events > 0 ORDER BY x.events DESC, s.id LIMIT 10) AS p;

  -- 2. not proven by the candidates: every group of the range
  IF v_bound > 0 AND coalesce(v_events[10], 0) <= v_bound THEN
    SELECT array_agg(p.id ORDER BY p.events DESC, p.id), array_agg(p.events ORDER BY p.events DESC, p.id)
      INTO v_ids, v_events
      FROM (SELECT s.id, x.events
              FROM (SELECT c.organization_id, c.error_hash, sum(g.sign * c.event_count) AS events
                      FROM app._stats_segments(p_start, p_folded_until, p_level) AS g
                     CROSS JOIN LATERAL (SELECT * FROM app.error_counts c
                                          WHERE c.level = g.level AND c.bucket >= g.from_at AND c.bucket < g.to_at
                                            AND (p_organization_id IS NULL OR c.organization_id = p_organization_id)
                                         OFFSET 0) AS c
                     GROUP BY c.organization_id, c.error_hash) AS x
              JOIN app.system_errors s ON s.organization_id = x.organization_id AND s.error_hash = x.error_hash
             WHERE x.events > 0 ORDER BY x.events DESC, s.id LIMIT 10) AS p;
  END IF;

  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', s.id, 'message', left(s.message, 200), 'error_type', s.error_type, 'severity', s.severity,
           'status', s.status, 'events', p.events, 'occurrence_count', s.occurrence_count, 'last_seen_at', s.last_seen_at)
           ORDER BY p.rank), '[]')
    INTO v_top
    FROM unnest(v_ids, v_events) WITH ORDINALITY AS p (id, events, rank)
    JOIN app.system_errors s ON s.id = p.id;
  RETURN v_top;
END $$;
COMMENT ON FUNCTION app._stats_top_errors(timestamptz, timestamptz, integer, uuid) IS
  'The 10 groups with most events from p_start on (exact: from the buckets'' top candidates when they prove it, else from every group)';
GRANT EXECUTE ON FUNCTION app._stats_top_errors(timestamptz, timestamptz, integer, uuid) TO staff, org_owner, system_admin;

-- Merging and unmerging (db/functions/app/305_grouping_groups.sql) move folded counts between
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
END $$;
COMMENT ON FUNCTION app.error_stats_groups_moved(uuid, text[]) IS
  'After a merge or unmerge moved folded counts between these hashes: top candidates and last active minutes kept true';
