-- Events per hour of a few groups (the list's sparklines, an error's page, its events of the last
-- 24 hours) are the sums of the minute rows, whether the hours are folded into the hourly rollup,
-- partly folded (a watermark in the middle of an hour) or not at all; another organization's
-- groups count nothing.
BEGIN;
SELECT plan(7);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, occurrence_count)
SELECT 'h' || n, 'runtime', 'error', 'new', 'group ' || n, o, 1
  FROM generate_series(1, 3) n, (VALUES ('00000000-0000-0000-0000-00000000000a'::uuid),
                                         ('00000000-0000-0000-0000-00000000000b'::uuid)) AS orgs (o);
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
SELECT s.organization_id, minute, s.error_hash, 1 + floor(random() * 9)::integer
  FROM app.system_errors s,
       generate_series(date_trunc('minute', now() - interval '30 hours'), now(), interval '1 minute') AS minute
 WHERE random() < 0.3;

-- the reference: the minute rows summed per UTC hour
CREATE FUNCTION pg_temp.mismatches(p_hours integer) RETURNS SETOF text
LANGUAGE sql AS $$
  WITH expected AS (
    SELECT m.organization_id, m.error_hash::text AS error_hash,
           app.stats_bucket_start(interval '1 hour', m.bucket) AS bucket, sum(m.event_count)::bigint AS events
      FROM app.error_metrics m
     WHERE m.organization_id = '00000000-0000-0000-0000-00000000000a' AND m.error_hash IN ('h1', 'h2')
       AND m.bucket >= app.stats_bucket_start(interval '1 hour', now()) - make_interval(hours => p_hours - 1)
     GROUP BY 1, 2, 3
  ), got AS (
    SELECT * FROM app.error_hourly_counts(ARRAY['00000000-0000-0000-0000-00000000000a'::uuid,
                                                '00000000-0000-0000-0000-00000000000a'],
                                          ARRAY['h1', 'h2'], p_hours)
  )
  SELECT format('%s %s %s', coalesce(e.error_hash, g.error_hash), coalesce(e.bucket, g.bucket),
                coalesce(e.events, 0) - coalesce(g.events, 0))
    FROM expected e FULL JOIN got g USING (organization_id, error_hash, bucket)
   WHERE e.events IS DISTINCT FROM g.events
$$;

SELECT is_empty($$SELECT * FROM pg_temp.mismatches(24)$$, 'unfolded: the minute rows per hour');
SELECT app.error_rollup_fold(date_trunc('minute', now() - interval '5 hours 23 minutes'));
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(24)$$, 'folded to the middle of an hour: the same counts');
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(168)$$, 'and over a week');
SELECT app.error_rollup_fold(date_trunc('minute', now() - interval '1 minute'));
SELECT is_empty($$SELECT * FROM pg_temp.mismatches(24)$$, 'folded to a minute ago: the same counts');
SELECT is((SELECT count(DISTINCT bucket)::integer FROM app.error_hourly_counts(ARRAY['00000000-0000-0000-0000-00000000000a'::uuid],
                                                                               ARRAY['h1'], 3)) <= 3, true,
  'only the hours asked for');

SELECT is((app.error_detail((SELECT id FROM app.system_errors WHERE error_hash = 'h3'
                                AND organization_id = '00000000-0000-0000-0000-00000000000a')) ->> 'events_last_24h')::bigint,
          (SELECT sum(event_count)::bigint FROM app.error_metrics WHERE error_hash = 'h3'
              AND organization_id = '00000000-0000-0000-0000-00000000000a' AND bucket >= now() - interval '24 hours'),
  'an error''s events of the last 24 hours are its minute rows of the last 24 hours, exactly');

SET LOCAL ROLE org_owner;
SELECT set_config('request.jwt.claims', '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000b"}', true);
SELECT is_empty($$SELECT * FROM api.error_hourly_counts(ARRAY['00000000-0000-0000-0000-00000000000a'::uuid], ARRAY['h1'])$$,
  'another organization''s groups count nothing');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
