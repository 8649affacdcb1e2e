-- Each group's events in the last 24 hours, 7 and 30 days (app.error_group_windows) are always
-- the sums of its minute rows in those windows before the watermark: built by a first fold, slid
-- by later ones (minutes entering and leaving), kept by a merge and an unmerge of folded counts,
-- trimmed by retention; a rebuild and a group's deletion take them along. The statistics read
-- their top errors from them (the answers themselves: 360_stats_top.test.sql).
BEGIN;
SELECT plan(13);

-- the reference: every group's minute rows in each window before the watermark, against the table
CREATE FUNCTION pg_temp.window_mismatches() RETURNS bigint
LANGUAGE sql AS $$
  WITH expected AS (
    SELECT m.organization_id, m.error_hash::text AS error_hash, w.time_range, s.id AS error_id, sum(m.event_count) AS events
      FROM app.error_metrics m
     CROSS JOIN unnest(app.stats_windows()) AS w (time_range)
      JOIN app.system_errors s ON s.organization_id = m.organization_id AND s.error_hash = m.error_hash
     WHERE m.bucket >= (SELECT r.folded_until FROM app.error_rollup r) - w.time_range
       AND m.bucket < (SELECT r.folded_until FROM app.error_rollup r)
     GROUP BY 1, 2, 3, 4
  ), kept AS (
    SELECT w.organization_id, w.error_hash::text AS error_hash, w.time_range, w.error_id, w.events::numeric AS events
      FROM app.error_group_windows w
  )
  SELECT count(*) FROM ((SELECT * FROM expected EXCEPT ALL SELECT * FROM kept)
                        UNION ALL (SELECT * FROM kept EXCEPT ALL SELECT * FROM expected)) AS d
$$;
-- the rollups emptied as app.error_rollup_rebuild() empties them, without folding yet
CREATE FUNCTION pg_temp.unfold() RETURNS void
LANGUAGE sql AS $$
  DELETE FROM app.error_metrics_hourly; DELETE FROM app.error_metrics_daily; DELETE FROM app.error_org_counts;
  DELETE FROM app.error_bucket_top; DELETE FROM app.error_group_windows;
  UPDATE app.error_group_activity SET last_bucket = '-infinity';
  UPDATE app.error_rollup SET folded_until = '-infinity', folded_at = NULL, windows_until = '-infinity';
$$;

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
-- 200 groups in each organization, the same hashes in both; group g has (g % 7 + 1) events every
-- 3 x (g % 13 + 1) hours and 2 minutes over the last 40 days, so every window holds and cuts many
-- (and some groups have none in the last day but the current minute's, after the watermark)
INSERT INTO app.system_errors (error_hash, error_type, severity, message, organization_id)
SELECT lpad(g::text, 64, '0'), 'api', 'error', 'group ' || g, o::uuid
  FROM generate_series(1, 200) AS g,
       unnest(ARRAY['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b']) AS o;
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, date_trunc('minute', now()) - k * ((right(s.error_hash, 3)::integer % 13 + 1) * interval '3 hours' + interval '2 minutes'),
       s.error_hash, right(s.error_hash, 3)::integer % 7 + 1
  FROM app.system_errors s, generate_series(0, 1000) AS k
 WHERE k * ((right(s.error_hash, 3)::integer % 13 + 1) * 180 + 2) < 40 * 24 * 60;

-- and two groups of events (five each, 7 hours apart) that a merge and an unmerge will move
INSERT INTO app.error_events (received_at, organization_id, error_hash, error_type, message)
SELECT now() - k * interval '7 hours', '00000000-0000-0000-0000-00000000000a', h, 'api', 'unmerged later'
  FROM generate_series(1, 5) AS k, unnest(ARRAY[lpad('1998', 64, '0'), lpad('1999', 64, '0')]) AS h;

-- == Built, then slid ==

SELECT pg_temp.unfold();
SELECT app.error_rollup_fold(now() - interval '50 hours 17 minutes');
SELECT is(pg_temp.window_mismatches(), 0::bigint, 'a first fold counts every group''s windows');
SELECT app.error_rollup_fold(now() - interval '20 hours 3 minutes');
SELECT app.error_rollup_fold(now() - interval '19 hours 58 minutes');
SELECT app.error_rollup_fold();
SELECT is(pg_temp.window_mismatches(), 0::bigint,
  'later folds slide them: the minutes entering added, those leaving (hours and days of them) taken out');
SELECT ok((SELECT count(*) FROM app.error_group_windows WHERE time_range = '24 hours') BETWEEN 10 AND 399,
  '... a day''s window holds some groups, not all (the others have no row there)');
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT is((SELECT array_agg(DISTINCT organization_id::text) FROM app.error_group_windows),
          ARRAY['00000000-0000-0000-0000-00000000000a'], 'an org owner reads the windows of their organization only');
RESET ROLE;
SELECT ok(app._stats_top_errors_windowed(date_trunc('minute', now() - interval '24 hours'), NULL) IS NOT NULL
          AND app._stats_top_errors_windowed(date_trunc('minute', now() - interval '30 days'), NULL) IS NOT NULL
          AND app._stats_top_errors_windowed(date_trunc('minute', now() - interval '5 hours'), NULL) IS NULL,
  'the top errors of 24 hours and 30 days are read from the windows, of 5 hours not');

-- == Counts moved or deleted ==

SELECT app.error_groups_merge(s.id, ARRAY(SELECT x.id FROM app.system_errors x WHERE x.organization_id = s.organization_id
                                             AND right(x.error_hash, 3)::integer BETWEEN 2 AND 4))
  FROM app.system_errors s WHERE s.organization_id = '00000000-0000-0000-0000-00000000000a' AND right(s.error_hash, 3) = '001';
SELECT is(pg_temp.window_mismatches(), 0::bigint, 'a merge moves the sources'' windows into the target''s');

-- an unmerge moves the hash's events (and so their minutes) back out into a group of their own
-- (organization a: the org owner's claims above still hold)
SELECT app.error_groups_merge(t.id, ARRAY[s.id])
  FROM app.system_errors t, app.system_errors s WHERE t.error_hash = lpad('1998', 64, '0') AND s.error_hash = lpad('1999', 64, '0');
SELECT app.error_group_unmerge(t.id, lpad('1999', 64, '0')) FROM app.system_errors t WHERE t.error_hash = lpad('1998', 64, '0');
SELECT is((SELECT array_agg(w.events ORDER BY w.error_hash) FROM app.error_group_windows w
            WHERE w.error_hash IN (lpad('1998', 64, '0'), lpad('1999', 64, '0')) AND w.time_range = '7 days'),
          ARRAY[5, 5]::bigint[], 'an unmerge takes the hash''s events out of the group''s windows into its own group''s');
SELECT is(pg_temp.window_mismatches(), 0::bigint, '... as the minute rows count them');

UPDATE app.retention_setting SET metrics = '3 days';
SELECT app.retention_run();
SELECT is(pg_temp.window_mismatches(), 0::bigint, 'retention: the windows give up the days it deletes');
SELECT ok(EXISTS (SELECT FROM app.error_group_windows WHERE time_range = '720 hours')
          AND NOT EXISTS (SELECT FROM app.error_metrics WHERE bucket < now() - interval '5 days'),
  '... (days were deleted, and the 30-day window kept what is left)');

DELETE FROM app.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000b' AND right(error_hash, 3)::integer <= 100;
SELECT is((SELECT count(*) FROM app.error_group_windows
            WHERE organization_id = '00000000-0000-0000-0000-00000000000b' AND right(error_hash, 3)::integer <= 100),
          0::bigint, 'a deleted group takes its windows along');

SELECT app.error_rollup_rebuild();
SELECT is(pg_temp.window_mismatches(), 0::bigint, 'a rebuild counts them afresh');
SELECT is((SELECT windows_until = folded_until FROM app.error_rollup), true, '... up to the watermark');

SELECT * FROM finish();
ROLLBACK;
