-- The statistics' top errors (app._stats_top_errors) are the 10 groups with most events, ties by
-- group id, exactly as summing the minute rows ranks them: on a flat distribution (hundreds of
-- groups tie at the 10th count, so the candidates prove nothing and the ids decide) and on a
-- skewed one (a few groups far ahead: the candidates prove the top 10), for one organization and
-- for all (the same hashes in two organizations). A day, a week and a month are read from each
-- group's windows (app.error_group_windows), the other ranges from the rollups: both must agree.
BEGIN;
SELECT plan(16);

-- the reference: the top 10 of the sums of every minute row of the range
CREATE FUNCTION pg_temp.top_from_minutes(p_time_range interval, p_organization_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', t.id, 'message', left(t.message, 200), 'error_type', t.error_type, 'severity', t.severity,
           'status', t.status, 'events', t.events, 'occurrence_count', t.occurrence_count, 'last_seen_at', t.last_seen_at)
           ORDER BY t.events DESC, t.id), '[]')
    FROM (SELECT s.*, g.events
            FROM (SELECT m.organization_id, m.error_hash, sum(m.event_count) AS events FROM app.error_metrics m
                   WHERE m.bucket >= date_trunc('minute', now() - p_time_range)
                     AND (p_organization_id IS NULL OR m.organization_id = p_organization_id)
                   GROUP BY 1, 2) AS g
            JOIN app.system_errors s ON s.organization_id = g.organization_id AND s.error_hash = g.error_hash
           ORDER BY g.events DESC, s.id LIMIT 10) AS t
$$;
CREATE TEMP TABLE ranges (range) AS
VALUES (interval '37 minutes'), (interval '5 hours 13 minutes'), (interval '24 hours'), (interval '50 hours 41 minutes'),
       (interval '7 days'), (interval '30 days');
CREATE FUNCTION pg_temp.mismatches(p_organization_id uuid) RETURNS SETOF interval
LANGUAGE sql AS $$
  SELECT r.range FROM ranges r
   WHERE app.error_stats(r.range, p_organization_id) -> 'top_errors'
         IS DISTINCT FROM pg_temp.top_from_minutes(r.range, p_organization_id)
$$;
-- a day, a week and a month are answered from the windows (the other ranges: NULL, from the rollups)
CREATE FUNCTION pg_temp.from_windows() RETURNS boolean
LANGUAGE sql AS $$
  SELECT bool_and((app._stats_top_errors_windowed(date_trunc('minute', now() - r.range), NULL) IS NOT NULL)
                  = (r.range IN ('24 hours', '7 days', '30 days')))
    FROM ranges r
$$;
-- the bound of a range read from days: what no group left out of the buckets' candidates can exceed
CREATE FUNCTION pg_temp.bound(p_time_range interval) RETURNS numeric
LANGUAGE sql AS $$
  SELECT coalesce(sum(t.threshold), 0)
    FROM app._stats_segments(date_trunc('minute', now() - p_time_range), (SELECT folded_until FROM app.error_rollup), 2) AS g
    JOIN app.error_bucket_top t ON t.level = g.level AND t.bucket >= g.from_at AND t.bucket < g.to_at
   WHERE g.level > 0 AND g.sign > 0
$$;
-- the 10th and 11th groups of a range tie (the ids decide who is in)
CREATE FUNCTION pg_temp.tied_at_10th(p_time_range interval) RETURNS boolean
LANGUAGE sql AS $$
  SELECT e[10] = e[11] FROM (
    SELECT array_agg(g.events ORDER BY g.events DESC) AS e
      FROM (SELECT sum(m.event_count) AS events FROM app.error_metrics m
             WHERE m.bucket >= date_trunc('minute', now() - p_time_range) GROUP BY m.organization_id, m.error_hash) AS g) AS t
$$;

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
-- 1,000 groups in each organization, the same hashes in both
INSERT INTO app.system_errors (error_hash, error_type, severity, message, organization_id)
SELECT lpad(g::text, 64, '0'), 'api', 'error', 'group ' || g, o::uuid
  FROM generate_series(1, 1000) AS g,
       unnest(ARRAY['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b']) AS o;

-- == Flat: every group active in one short stretch with the same events ==

-- group g has 2 events in each of 3 minutes, its stretch starting (g * 5) minutes ago (up to 3.5
-- days), so every range cuts through stretches and ties hundreds of groups at 6 events; a day
-- holds more groups than its candidates, so its threshold is above 0
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, date_trunc('minute', now()) - (right(s.error_hash, 4)::integer * 5 - k) * interval '1 minute',
       s.error_hash, 2
  FROM app.system_errors s, generate_series(0, 2) AS k;
SELECT app.error_rollup_rebuild();
-- more minutes after the watermark: one more event for a few groups of the last hours
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, date_trunc('minute', now()), s.error_hash, 1
  FROM app.system_errors s WHERE right(s.error_hash, 4)::integer % 50 = 7
ON CONFLICT DO NOTHING;

SELECT ok(pg_temp.tied_at_10th('24 hours') AND pg_temp.tied_at_10th('30 days'),
  'flat: groups tie at the 10th count of a day and of a month');
SELECT ok(pg_temp.bound('24 hours') >= (pg_temp.top_from_minutes('24 hours', NULL) -> 9 ->> 'events')::numeric,
  'flat: the candidates cannot prove the top 10 (every group of the range is summed)');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'flat: the top errors of one organization are those of the minute rows, ties by id');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(NULL)$$,
  'flat: ... and of every organization (the same hashes in two of them)');
SELECT ok(pg_temp.from_windows(), 'flat: (a day, a week and a month from the windows)');
SET LOCAL ROLE org_owner;
SELECT set_config('request.jwt.claims', '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000b"}', true);
CREATE TEMP TABLE owner_top AS SELECT api.get_error_stats('24 hours') -> 'top_errors' AS top;
RESET ROLE;
SELECT is((SELECT top FROM owner_top), pg_temp.top_from_minutes('24 hours', '00000000-0000-0000-0000-00000000000b'),
  'flat: an org owner''s top errors through the api, the same');

-- == Skewed: 20 groups far ahead of the rest ==

-- groups 1-20 get hundreds of events a minute over the last 3 days, a different number each
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, b, s.error_hash, 100 + right(s.error_hash, 4)::integer * 7
  FROM app.system_errors s, generate_series(date_trunc('minute', now()) - interval '3 days', now() - interval '1 minute', interval '7 minutes') AS b
 WHERE right(s.error_hash, 4)::integer <= 20
ON CONFLICT (organization_id, bucket, error_hash) DO UPDATE SET event_count = excluded.event_count;
SELECT app.error_rollup_rebuild();

SELECT ok((pg_temp.top_from_minutes('24 hours', NULL) -> 9 ->> 'events')::numeric > pg_temp.bound('24 hours')
           AND pg_temp.bound('24 hours') > 0,
  'skewed: the candidates prove the top 10 (its 10th has more events than the thresholds together)');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'skewed: the top errors of one organization are those of the minute rows');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(NULL)$$, 'skewed: ... and of every organization');
SELECT ok(pg_temp.from_windows(), 'skewed: (a day, a week and a month from the windows)');

-- == Minute pieces with more groups than their candidates ==

-- a range's minute pieces give candidates as a bucket does (those with most events added there,
-- the next one's events counted in the bound): with 3, most of their groups are left out, among
-- them the 40 groups counted after the watermark, and the answers stay those of the minute rows
CREATE OR REPLACE FUNCTION app.stats_top_candidates() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 3 $$;
SELECT ok((SELECT count(*) FROM app.error_metrics WHERE bucket >= (SELECT folded_until FROM app.error_rollup)) > 3
          AND pg_temp.bound('24 hours') < (pg_temp.top_from_minutes('24 hours', NULL) -> 9 ->> 'events')::numeric - 1000,
  'skewed, 3 candidates a piece: more groups after the watermark than that, the 10th far above the buckets'' bound');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'skewed, 3 candidates a piece: the top errors of one organization are those of the minute rows');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(NULL)$$, 'skewed, 3 candidates a piece: ... and of every organization');
-- five groups of few events before with the most of all after the watermark: two of them are left
-- out of its candidates, and the bound (their events) sends the count to every group
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, date_trunc('minute', now()), s.error_hash, 1000000 + right(s.error_hash, 4)::integer
  FROM app.system_errors s WHERE right(s.error_hash, 4)::integer BETWEEN 901 AND 905
ON CONFLICT (organization_id, bucket, error_hash) DO UPDATE SET event_count = excluded.event_count;
SELECT is_empty($$SELECT * FROM pg_temp.mismatches('00000000-0000-0000-0000-00000000000a')$$,
  'a piece''s groups left out of its candidates still have their place in the top errors');

-- == Fewer than 10 groups in a range ==

DELETE FROM app.error_metrics WHERE right(error_hash, 4)::integer > 3 OR organization_id = '00000000-0000-0000-0000-00000000000b';
SELECT app.error_rollup_rebuild();
SELECT is(jsonb_array_length(app.error_stats('24 hours', NULL) -> 'top_errors'), 3, 'three groups active: a top of three ...');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(NULL)$$, '... ranked as the minute rows rank them');

SELECT * FROM finish();
ROLLBACK;
