-- Statistics read the hourly and daily rollups below the watermark and the minute rows above it,
-- and answer exactly what summing the minute rows answers: random ranges whose edges cut hours
-- and days, watermarks in the middle of hours and days, data newer than the watermark, and after
-- retention. Users of each group are folded from the events the same way.
BEGIN;
SELECT plan(29);

-- the reference: the statistics as the sum of every minute row of the range
CREATE FUNCTION pg_temp.stats_from_minutes(p_time_range interval, p_organization_id uuid)
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

SELECT setseed(0.31);
INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, first_seen_at)
SELECT lpad(g::text, 64, '0'), (ARRAY['api', 'database', 'javascript', 'auth'])[1 + g % 4]::app.error_type_enum,
       (ARRAY['info', 'warning', 'error', 'critical'])[1 + g / 4 % 4]::app.severity_enum,
       (ARRAY['new', 'investigating', 'recurring'])[1 + g % 3]::app.error_status_enum, 'group ' || g,
       (ARRAY['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b'])[1 + g % 2]::uuid,
       now() - interval '45 days' * random()
  FROM generate_series(1, 10) AS g;

-- ranges: per minute (up to 3 hours), per hour (up to 3 days) and per day (up to 40 days), each
-- ending now and starting at a random minute
CREATE TEMP TABLE ranges AS
SELECT interval '1 minute' * (1 + floor(random() * 180)) AS range FROM generate_series(1, 3)
UNION ALL SELECT interval '1 minute' * (181 + floor(random() * 4139)) FROM generate_series(1, 6)
UNION ALL SELECT interval '1 minute' * (4321 + floor(random() * 53279)) FROM generate_series(1, 8)
UNION ALL VALUES (interval '24 hours'), (interval '7 days'), (interval '30 days');

-- minute rows: sparse over 40 days, dense over the last 3 days and around every range's start
CREATE FUNCTION pg_temp.count_minutes(p_from timestamptz, p_to timestamptz, p_share float8) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
  SELECT s.organization_id, minute, s.error_hash, 1 + floor(random() * 9)::integer
    FROM app.system_errors s, generate_series(date_trunc('minute', p_from), p_to, interval '1 minute') AS minute
   WHERE random() < p_share
  ON CONFLICT DO NOTHING
$$;
SELECT pg_temp.count_minutes(now() - interval '40 days', now() - interval '3 days', 0.02);
SELECT pg_temp.count_minutes(now() - interval '3 days', now() - interval '1 minute', 0.1);
SELECT pg_temp.count_minutes(now() - r.range - interval '90 minutes', now() - r.range + interval '90 minutes', 0.3)
  FROM ranges r;
-- quiet groups: last active around the start of a range, some first seen around it too (the
-- statistics count groups by whole hours and take the hours at the edges one by one)
INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, first_seen_at)
SELECT lpad(g::text, 64, '0'), 'network', 'warning', (ARRAY['new', 'resolved'])[1 + g % 2]::app.error_status_enum,
       'quiet group ' || g, '00000000-0000-0000-0000-00000000000a',
       now() - (ARRAY[interval '24 hours', interval '7 days'])[1 + g % 2] + interval '1 minute' * (g * 7 % 60 - 30)
  FROM generate_series(11, 22) AS g;
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, date_trunc('minute', now() - r.range) + interval '1 minute' * (m - 40), s.error_hash, 2
  FROM app.system_errors s, (VALUES (interval '24 hours'), (interval '7 days')) AS r (range), generate_series(0, 80) AS m
 WHERE s.message LIKE 'quiet group %' AND random() < 0.1;

CREATE FUNCTION pg_temp.mismatches(p_organization_id uuid) RETURNS SETOF interval
LANGUAGE sql AS $$
  SELECT r.range FROM ranges r
   WHERE app.error_stats(r.range, p_organization_id) IS DISTINCT FROM pg_temp.stats_from_minutes(r.range, p_organization_id)
$$;
CREATE FUNCTION pg_temp.pieces_read(p_level integer) RETURNS bigint
LANGUAGE sql AS $$
  SELECT count(*) FROM ranges r,
         app._stats_segments(date_trunc('minute', now() - r.range), (SELECT folded_until FROM app.error_rollup),
                             CASE app._stats_bucket(r.range) WHEN '1 minute' THEN 0 WHEN '1 hour' THEN 1 ELSE 2 END) AS g
   WHERE g.level = p_level
$$;

-- == Before any fold: every range from the minute rows ==

SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'unfolded: the statistics are the sums of the minute rows');

-- == Folded up to a watermark in the middle of an hour, days ago ==

CREATE TEMP TABLE first_fold AS
SELECT app.error_rollup_fold(date_trunc('minute', now() - interval '2 days 5 hours 37 minutes')) AS summary;
SELECT is((SELECT folded_until FROM app.error_rollup), date_trunc('minute', now() - interval '2 days 5 hours 37 minutes'),
  'the fold stops at the watermark it was given');
SELECT is((SELECT (summary ->> 'minute_rows')::bigint FROM first_fold),
          (SELECT count(*) FROM app.error_metrics WHERE bucket < (SELECT folded_until FROM app.error_rollup)),
  'it folds every minute row below the watermark');
SELECT is_empty($$
  SELECT h.bucket FROM app.error_metrics_hourly h
   WHERE h.event_count <> (SELECT sum(m.event_count) FROM app.error_metrics m
                            WHERE m.organization_id = h.organization_id AND m.error_hash = h.error_hash
                              AND m.bucket >= h.bucket AND m.bucket < h.bucket + interval '1 hour'
                              AND m.bucket < (SELECT folded_until FROM app.error_rollup))$$,
  'an hour row is the sum of its minutes below the watermark');
SELECT is_empty($$
  SELECT d.bucket FROM app.error_metrics_daily d
   WHERE d.event_count <> (SELECT sum(m.event_count) FROM app.error_metrics m
                            WHERE m.organization_id = d.organization_id AND m.error_hash = d.error_hash
                              AND m.bucket >= d.bucket AND m.bucket < d.bucket + interval '1 day'
                              AND m.bucket < (SELECT folded_until FROM app.error_rollup))$$,
  'a day row is the sum of its minutes below the watermark');
SELECT ok(pg_temp.pieces_read(2) > 0 AND pg_temp.pieces_read(1) > 0, 'long ranges are read from days and hours');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'folded: each range gives the same answer as its minute rows (organization A)');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000b')$$,
  '... and organization B');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(NULL)$$, '... and all organizations');

-- == Newer than the watermark: more minutes, and captures in the current minute ==

SELECT pg_temp.count_minutes(now() - interval '2 days 5 hours 37 minutes', now() - interval '1 minute', 0.2);
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL,
  '[{"message": "group 2", "error_type": "database"}, {"message": "just now", "error_type": "api"}]');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'data newer than the watermark is counted from its minute rows');

SELECT app.error_rollup_fold(now() - interval '3 hours 11 minutes');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'folded again, to a watermark three hours ago: the same answers (organization A)');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(NULL)$$, '... and all organizations');
SELECT set_eq($$SELECT organization_id, hour, events, groups FROM reporting.errors_per_hour$$,
  $$SELECT organization_id, date_trunc('hour', bucket, 'UTC'), sum(event_count)::bigint, count(DISTINCT error_hash)
      FROM app.error_metrics GROUP BY 1, 2$$,
  'reporting''s errors per hour, from the rollups and the minutes after the watermark, are those of the minute rows');
SELECT set_eq($$SELECT organization_id, day, events, groups FROM reporting.errors_per_day$$,
  $$SELECT organization_id, date_trunc('day', bucket, 'UTC'), sum(event_count)::bigint, count(DISTINCT error_hash)
      FROM app.error_metrics GROUP BY 1, 2$$,
  '... and per day');

CREATE TEMP TABLE latest_fold AS SELECT app.error_rollup_fold() AS summary;
SELECT ok((SELECT folded_until FROM app.error_rollup) <= date_trunc('minute', now()),
  'a fold never passes the minute the folding transaction started in (it may still count into it)');
SELECT is((SELECT app.error_rollup_fold() ->> 'minute_rows'), '0', 'folding again right away finds nothing new');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000b')$$,
  'folded up to now: the same answers');

-- == Retention prunes minutes, hours and days at the same UTC day ==

UPDATE app.retention_setting SET metrics = '20 days';
SELECT app.retention_run();
SELECT is((SELECT min(bucket) FROM app.error_metrics_daily) >= app.stats_bucket_start('1 day', now() - interval '20 days')
          AND (SELECT min(bucket) FROM app.error_metrics) >= app.stats_bucket_start('1 day', now() - interval '20 days'),
  true, 'counts of days past the retention are gone from minutes and rollups alike');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(NULL)$$,
  'after retention every range still gives the sum of the minute rows left');

-- == Triage after the fold: status and first seen are the groups' own ==

UPDATE app.system_errors s
   SET status = (ARRAY['investigating', 'recurring', 'ignored'])[1 + n % 3]::app.error_status_enum,
       first_seen_at = now() - (ARRAY[interval '24 hours', interval '7 days'])[1 + n % 2] + interval '1 minute' * (n % 5 - 2)
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM app.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000a') AS t
 WHERE s.id = t.id AND t.n % 2 = 0;
SET LOCAL ROLE org_owner;  -- (an owner's triage through PostgREST: the same)
SELECT set_config('request.jwt.claims', '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}', true);
UPDATE app.system_errors SET status = 'resolved', resolved_at = now() WHERE message IN ('group 2', 'quiet group 12');
RESET ROLE;
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'groups triaged, or first seen earlier, after their minutes were folded: counted by their status and first seen now');

-- == Merges move folded counts: the statistics follow ==

-- by type and by severity count an event under the type and severity of the group it was folded
-- in (a merge does not move it between them); everything else is as the minute rows say
CREATE FUNCTION pg_temp.mismatches_but_breakdowns(p_organization_id uuid) RETURNS SETOF interval
LANGUAGE sql AS $$
  SELECT r.range FROM ranges r
   WHERE app.error_stats(r.range, p_organization_id) - 'by_type' - 'by_severity'
         IS DISTINCT FROM pg_temp.stats_from_minutes(r.range, p_organization_id) - 'by_type' - 'by_severity'
$$;
SELECT app.error_groups_merge((SELECT id FROM app.system_errors WHERE message = 'group 4'),
                              ARRAY(SELECT id FROM app.system_errors WHERE message IN ('group 6', 'group 10')));
SELECT is_empty($$SELECT * FROM pg_temp.mismatches_but_breakdowns('00000000-0000-0000-0000-00000000000a')$$,
  'after a merge: totals, groups and top errors are those of the minute rows (the merged group first)');
SELECT is_empty($$
  SELECT r.range FROM ranges r, app.error_stats(r.range, '00000000-0000-0000-0000-00000000000a') AS st (s)
   WHERE (SELECT sum(v::bigint) FROM jsonb_each_text(s -> 'by_type') AS t (k, v)) IS DISTINCT FROM nullif((s ->> 'total_events')::numeric, 0)
      OR (SELECT sum(v::bigint) FROM jsonb_each_text(s -> 'by_severity') AS t (k, v)) IS DISTINCT FROM nullif((s ->> 'total_events')::numeric, 0)$$,
  '... and by type and by severity still add up to the events');
SELECT app.error_rollup_fold();
SELECT is_empty($$SELECT * FROM pg_temp.mismatches_but_breakdowns(NULL)$$, '... also once folded again');

-- == Top errors from a few candidates per bucket ==

-- 3 candidates an hour and a day instead of 100: thresholds above 0 everywhere, so the top 10 is
-- either proven from the candidates or summed over every group of the range
CREATE OR REPLACE FUNCTION app.stats_top_candidates() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 3 $$;
SELECT app.error_rollup_rebuild();
SELECT is_empty($$SELECT * FROM pg_temp.mismatches_but_breakdowns(NULL)$$,
  'with 3 candidates per bucket the top errors are still exact, proven by the thresholds or summed over every group');

-- == A backfill below the watermark (app.demo_backfill's way) ==

-- minutes of days ago written now for a new organization, then added to the rollups and its
-- groups' windows counted afresh: the statistics read them like folded minutes
INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000c', 'Org C');
INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, first_seen_at)
SELECT lpad('c' || g, 64, '0'), 'javascript', 'error', 'new', 'backfilled group ' || g,
       '00000000-0000-0000-0000-00000000000c', now() - interval '8 days'
  FROM generate_series(1, 3) AS g;
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, minute, s.error_hash, 1 + floor(random() * 5)::integer
  FROM app.system_errors s,
       generate_series(date_trunc('minute', now() - interval '6 days 3 hours'), now() - interval '5 days', interval '7 minutes') AS minute
 WHERE s.organization_id = '00000000-0000-0000-0000-00000000000c';
SELECT ok((SELECT folded_until FROM app.error_rollup) > now() - interval '5 days', 'the backfilled minutes are below the watermark');
SELECT app.error_rollup_add_minutes(now() - interval '7 days', (SELECT folded_until FROM app.error_rollup),
                                    '00000000-0000-0000-0000-00000000000c'),
       app._error_windows_recount('00000000-0000-0000-0000-00000000000c', NULL);
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000c')
                  UNION ALL SELECT * FROM pg_temp.mismatches_but_breakdowns(NULL)$$,
  'minutes backfilled below the watermark and added to the rollups: every range gives the sum of the minute rows');

-- == Users per group ==

INSERT INTO app.error_events (organization_id, error_hash, error_type, message, user_id)
SELECT '00000000-0000-0000-0000-00000000000a', repeat('u', 64), 'api', 'users', u
  FROM unnest(ARRAY['ann', 'bob', 'ann', 'cy']) AS u;
SELECT is((SELECT users_affected FROM api.error_groups WHERE error_hash = repeat('u', 64)), 3::bigint,
  'users affected, not folded yet: counted from the events since the watermark');
-- events of two hours ago: a backfill below the watermark, so the rollups are rebuilt
INSERT INTO app.error_events (received_at, organization_id, error_hash, error_type, message, user_id)
SELECT now() - interval '2 hours', '00000000-0000-0000-0000-00000000000a', repeat('v', 64), 'api', 'users', u
  FROM unnest(ARRAY['ann', 'bob', 'ann', 'cy']) AS u;
SELECT app.error_rollup_rebuild();
SELECT is((SELECT users_affected FROM app.error_group_user_counts WHERE error_hash = repeat('v', 64)), 3,
  'the fold counts each user of a group once');
INSERT INTO app.error_events (organization_id, error_hash, error_type, message, user_id)
SELECT '00000000-0000-0000-0000-00000000000a', repeat('v', 64), 'api', 'users', u FROM unnest(ARRAY['bob', 'dee']) AS u;
SELECT is((SELECT users_affected FROM api.error_groups WHERE error_hash = repeat('v', 64)), 4::bigint,
  'folded users plus the new ones since the watermark: exact and current');

SELECT * FROM finish();
ROLLBACK;
