-- When grouping is wrong: merge groups, unmerge a hash, see why; and a grouping upgrade keeps
-- existing groups (a version 1 group takes the events its version 2 hash finds no group for).
BEGIN;
SELECT plan(30);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Shop'), ('00000000-0000-0000-0000-00000000000b', 'Other');
SELECT app.rate_limit_set(o, 0) FROM unnest(ARRAY['00000000-0000-0000-0000-00000000000a',
                                                  '00000000-0000-0000-0000-00000000000b']::uuid[]) AS o;

CREATE FUNCTION pg_temp.capture(p_message text, p_org text DEFAULT 'a') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT c.result FROM app.capture_batch(('00000000-0000-0000-0000-00000000000' || p_org)::uuid, NULL,
                                         jsonb_build_array(jsonb_build_object('error_type', 'api', 'message', p_message))) c
$$;
CREATE TEMP TABLE g AS SELECT
  pg_temp.capture('Payment provider timed out') AS timeout,
  pg_temp.capture('Payment provider answered 502') AS bad_gateway,
  pg_temp.capture('Payment provider refused the card') AS unavailable,
  pg_temp.capture('Payment provider timed out', 'b') AS other_org;
SELECT pg_temp.capture('Payment provider answered 502') FROM generate_series(1, 2);  -- 3 events of bad_gateway

-- == Merge ==

SELECT throws_ok(format('SELECT app.error_groups_merge(%L, ARRAY[%L]::uuid[])', timeout ->> 'id', timeout ->> 'id'), 'QVG02', NULL,
  'a group is not merged into itself') FROM g;
SELECT throws_ok(format('SELECT app.error_groups_merge(%L, ARRAY[]::uuid[])', timeout ->> 'id'), 'QVG02', NULL,
  'a merge needs a source') FROM g;
SELECT throws_ok(format('SELECT app.error_groups_merge(%L, ARRAY[%L]::uuid[])', timeout ->> 'id', other_org ->> 'id'), 'QSG01', NULL,
  'groups of two organizations are not merged') FROM g;
SELECT throws_ok(format('SELECT app.error_groups_merge(%L, ARRAY[%L]::uuid[])', timeout ->> 'id', gen_random_uuid()), 'QN001', NULL,
  'a source that does not exist is not found') FROM g;

-- what the rollup fold would have made of the source's earlier events: an hour, a day, two users
INSERT INTO app.error_metrics_hourly (organization_id, bucket, error_hash, event_count)
SELECT '00000000-0000-0000-0000-00000000000a', '2026-01-01 10:00+00', h.error_hash, h.n
  FROM g, LATERAL (VALUES (g.timeout ->> 'error_hash', 5), (g.bad_gateway ->> 'error_hash', 7)) AS h (error_hash, n);
INSERT INTO app.error_metrics_daily (organization_id, bucket, error_hash, event_count)
SELECT '00000000-0000-0000-0000-00000000000a', '2026-01-01 00:00+00', bad_gateway ->> 'error_hash', 7 FROM g;
INSERT INTO app.error_group_users (organization_id, error_hash, user_id)
SELECT '00000000-0000-0000-0000-00000000000a', u.error_hash, u.user_id
  FROM g, LATERAL (VALUES (g.timeout ->> 'error_hash', 'u-1'), (g.bad_gateway ->> 'error_hash', 'u-1'),
                          (g.bad_gateway ->> 'error_hash', 'u-2')) AS u (error_hash, user_id);

CREATE TEMP TABLE merged AS SELECT app.error_groups_merge((timeout ->> 'id')::uuid, ARRAY[bad_gateway ->> 'id']::uuid[], 'one outage') AS result FROM g;
SELECT is((SELECT (result ->> 'occurrence_count')::int FROM merged), 4, 'the target counts the merged group''s occurrences');
SELECT is((SELECT (result ->> 'events_moved')::int FROM merged), 3, 'and holds its events');
SELECT is((SELECT count(*)::int FROM app.error_events e, g
            WHERE e.organization_id = '00000000-0000-0000-0000-00000000000a' AND e.error_hash = g.timeout ->> 'error_hash'), 4,
  'the events now carry the target''s hash');
SELECT is((SELECT count(*)::int FROM app.error_events e, g WHERE e.grouping_hash = g.bad_gateway ->> 'error_hash'), 3,
  'and remember their own');
SELECT is((SELECT sum(m.event_count)::int FROM app.error_metrics m, g
            WHERE m.organization_id = '00000000-0000-0000-0000-00000000000a' AND m.error_hash = g.timeout ->> 'error_hash'), 4,
  'the per-minute counts moved with them');
SELECT is((SELECT array_agg(h.event_count ORDER BY h.bucket) FROM app.error_metrics_hourly h, g WHERE h.error_hash = g.timeout ->> 'error_hash')
          || (SELECT array_agg(d.event_count) FROM app.error_metrics_daily d, g WHERE d.error_hash = g.timeout ->> 'error_hash'),
  ARRAY[12, 7]::bigint[], 'so did the hourly and daily counts');
SELECT is((SELECT users_affected FROM app.error_group_user_counts c, g WHERE c.error_hash = g.timeout ->> 'error_hash'), 2,
  'and the users, each counted once');
SELECT is((SELECT count(*)::int FROM app.system_errors s, g WHERE s.id = (g.bad_gateway ->> 'id')::uuid), 0, 'the merged group is gone');
SELECT is((SELECT note FROM app.error_status_history h, g WHERE h.error_id = (g.timeout ->> 'id')::uuid),
  format('merged %s: one outage', (SELECT bad_gateway ->> 'id' FROM g)), 'the target''s history notes the merge');

CREATE TEMP TABLE after_merge AS SELECT pg_temp.capture('Payment provider answered 502') AS result;
SELECT is((SELECT result ->> 'id' FROM after_merge), (SELECT timeout ->> 'id' FROM g),
  'the next event of the merged group joins the target');
SELECT is((SELECT (result ->> 'occurrence_count')::int FROM after_merge), 5, 'and is counted there');
SELECT is((SELECT grouping_hash FROM app.error_events e ORDER BY e.received_at DESC, e.ctid DESC LIMIT 1),
          (SELECT bad_gateway ->> 'error_hash' FROM g)::varchar, 'keeping its own hash');

-- == Why ==

CREATE TEMP TABLE why AS SELECT app.error_grouping_explain((timeout ->> 'id')::uuid) AS result FROM g;
SELECT is((SELECT result #> '{event,components}' FROM why), '[["type", "api"], ["message", "Payment provider answered <int>"]]',
  'why: the components of the latest event''s hash');
SELECT is((SELECT result #>> '{event,variant}' FROM why), 'message', 'why: it grouped by its message');
SELECT is((SELECT result #>> '{event,joined_by}' FROM why), 'merge', 'why: it joined by a merge');
SELECT is((SELECT jsonb_path_query_array(result, '$.other_hashes[*].hash') FROM why), (SELECT jsonb_build_array(bad_gateway -> 'error_hash') FROM g),
  'why: the merged hash points at the group');

-- == Unmerge ==

SELECT throws_ok(format('SELECT app.error_group_unmerge(%L, %L)', timeout ->> 'id', timeout ->> 'error_hash'), 'QSG02', NULL,
  'a group''s own hash is not merged into it') FROM g;
CREATE TEMP TABLE unmerged AS SELECT app.error_group_unmerge((timeout ->> 'id')::uuid, bad_gateway ->> 'error_hash') AS result FROM g;
SELECT is((SELECT (result ->> 'events_moved')::int FROM unmerged), 4, 'unmerge moves the events that came with the hash');
SELECT is((SELECT occurrence_count FROM app.system_errors s, unmerged u WHERE s.id = (u.result ->> 'new_error_id')::uuid), 4,
  'into a group of their own');
SELECT is((SELECT occurrence_count FROM app.system_errors s, g WHERE s.id = (g.timeout ->> 'id')::uuid), 1,
  'the group keeps its own');
SELECT is(pg_temp.capture('Payment provider answered 502') ->> 'id', (SELECT result ->> 'new_error_id' FROM unmerged),
  'the hash''s next event joins its own group again');

-- == Who may ==

GRANT SELECT ON g TO staff;
SET LOCAL ROLE staff;
SELECT set_config('request.jwt.claims', '{"role": "staff", "org_id": "00000000-0000-0000-0000-00000000000b"}', true);
SELECT throws_ok(format('SELECT app.error_groups_merge(%L, ARRAY[%L]::uuid[])', timeout ->> 'id', unavailable ->> 'id'), 'QN001', NULL,
  'staff of another organization cannot merge the groups (they are not found)') FROM g;
SELECT throws_ok(format('SELECT app.error_grouping_explain(%L)', timeout ->> 'id'), 'QN001', NULL,
  'nor see why they group') FROM g;
SELECT set_config('request.jwt.claims', '{"role": "staff", "org_id": "00000000-0000-0000-0000-00000000000a"}', true);
SELECT is((app.error_groups_merge((timeout ->> 'id')::uuid, ARRAY[(unavailable ->> 'id')::uuid]) ->> 'events_moved')::int, 1,
  'staff of the organization can') FROM g;
RESET ROLE;

-- == A grouping upgrade keeps the groups version 1 made ==

-- a browser error whose version 1 hash (a native frame counted) is not its version 2 hash
CREATE TEMP TABLE upgrade AS SELECT
  '[{"error_type": "javascript", "message": "TypeError: x is undefined", "frames": [
     {"filename": "[native code]", "function": "forEach", "in_app": true},
     {"filename": "https://shop.example.com/app.js", "function": "onPay", "lineno": 2, "in_app": true}]}]'::jsonb AS events;
INSERT INTO app.system_errors (error_hash, error_type, message, organization_id, grouping_version, occurrence_count)
SELECT app.error_hash_v1('javascript', 'TypeError: x is undefined', app.grouping_frame_components_v1(events -> 0 -> 'frames')),
       'javascript', 'TypeError: x is undefined', '00000000-0000-0000-0000-00000000000a', 1, 7
  FROM upgrade;
UPDATE app.grouping_config SET transition_until = now() + interval '1 day';
SELECT is((SELECT c.result ->> 'occurrence_count' FROM upgrade u, app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, u.events) c),
  '8', 'during the transition, an event of a version 1 group joins it although its hash changed');
UPDATE app.grouping_config SET transition_until = now() - interval '1 day';
SELECT is((SELECT c.result ->> 'occurrence_count' FROM upgrade u, app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, u.events) c),
  '9', 'after it, too: its new hash was remembered');

SELECT * FROM finish();
ROLLBACK;
