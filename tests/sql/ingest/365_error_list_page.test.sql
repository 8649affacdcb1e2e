-- The web app's errors list (app.error_list_page): every sort, a tab of several statuses, the
-- filters and the text search page through the groups in order, ties by id, never skipping nor
-- repeating, for an org owner and a system admin (who also sees the groups of no organization);
-- each page is a range of the org-led list indexes read in order (no table read, no sort of the
-- whole), and the users of a page are counted at once, their recent events probed by the index.
BEGIN;
SELECT plan(36);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');

-- 600 groups in A, 600 in B, 30 of no organization: every status, ties in each sort value
INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, occurrence_count,
                               first_seen_at, last_seen_at)
SELECT lpad(g::text, 64, '0'), (ARRAY['api', 'database', 'javascript', 'auth'])[1 + g % 4]::app.error_type_enum,
       CASE WHEN g % 7 = 0 THEN 'critical' ELSE 'error' END::app.severity_enum,
       (enum_range(NULL::app.error_status_enum))[1 + g % 7], 'group ' || g,
       CASE WHEN g <= 600 THEN '00000000-0000-0000-0000-00000000000a'::uuid
            WHEN g <= 1200 THEN '00000000-0000-0000-0000-00000000000b'::uuid END,
       1 + g * 7919 % 40, now() - interval '1 hour' * (g % 90), now() - interval '3 seconds' * (g % 70)
  FROM generate_series(1, 1230) AS g;
INSERT INTO app.error_messages (error_id, organization_id, message)
SELECT s.id, s.organization_id, s.message FROM app.system_errors s WHERE s.organization_id IS NOT NULL
ON CONFLICT DO NOTHING;
-- users: 40 groups of A folded an hour ago, some of them with more users now, one only now
INSERT INTO app.error_events (received_at, organization_id, error_hash, error_type, message, user_id)
SELECT now() - interval '1 hour', '00000000-0000-0000-0000-00000000000a', lpad(g::text, 64, '0'), 'api', 'm', 'user ' || u
  FROM generate_series(1, 40) AS g, generate_series(1, 1 + g % 9) AS u;
SELECT app.error_rollup_rebuild();
INSERT INTO app.error_events (organization_id, error_hash, error_type, message, user_id)
SELECT '00000000-0000-0000-0000-00000000000a', lpad(g::text, 64, '0'), 'api', 'm', 'user ' || u
  FROM generate_series(1, 40, 3) AS g, generate_series(1, g % 13) AS u;
INSERT INTO app.error_events (organization_id, error_hash, error_type, message, user_id)
VALUES ('00000000-0000-0000-0000-00000000000a', lpad('41', 64, '0'), 'api', 'm', 'only now');
ANALYZE app.system_errors, app.error_messages;

-- every page of a list, each started after the previous page's last (sort value, id)
CREATE FUNCTION pg_temp.pages(p_sort text, p_statuses text[], p_severity text, p_q text, p_size integer)
RETURNS uuid[] LANGUAGE plpgsql AS $$
DECLARE
  v_all uuid[] := '{}';
  v_page record;
  v_after_id uuid;
  v_after_value text;
  v_count integer;
BEGIN
  LOOP
    v_count := 0;
    FOR v_page IN SELECT p.id, p.users_affected, s.last_seen_at, s.first_seen_at, s.occurrence_count
                    FROM app.error_list_page(p_sort, p_statuses, p_severity, NULL, NULL, NULL, p_q, v_after_value,
                                             v_after_id::text, p_size) WITH ORDINALITY AS p (id, users_affected, n)
                    JOIN app.system_errors s ON s.id = p.id ORDER BY p.n LOOP
      v_all := v_all || v_page.id;
      v_count := v_count + 1;
      v_after_id := v_page.id;
      v_after_value := CASE p_sort WHEN 'last_seen' THEN v_page.last_seen_at::text
                                   WHEN 'first_seen' THEN v_page.first_seen_at::text
                                   WHEN 'events' THEN v_page.occurrence_count::text
                                   ELSE v_page.users_affected::text END;
    END LOOP;
    EXIT WHEN v_count < p_size;
  END LOOP;
  RETURN v_all;
END $$;
-- the same list read plainly from api.error_groups (exact users, per row)
CREATE FUNCTION pg_temp.expected(p_sort text, p_statuses text[], p_severity text, p_q text) RETURNS uuid[]
LANGUAGE sql AS $$
  SELECT coalesce(array_agg(g.id ORDER BY CASE p_sort WHEN 'last_seen' THEN extract(epoch FROM g.last_seen_at)
                                                      WHEN 'first_seen' THEN extract(epoch FROM g.first_seen_at)
                                                      WHEN 'events' THEN g.occurrence_count
                                                      ELSE g.users_affected END DESC, g.id DESC), '{}')
    FROM api.error_groups g
   WHERE (p_statuses IS NULL OR g.status::text = ANY (p_statuses)) AND (p_severity IS NULL OR g.severity::text = p_severity)
     -- (the search reads app.error_messages, which holds the groups of an organization)
     AND (p_q IS NULL OR g.message ILIKE '%' || p_q || '%' AND g.organization_id IS NOT NULL)
$$;
-- the plan of a page's statement for these statuses, as the caller's page runs it: one organization's
-- (app._error_list_page_statement), or a system admin's over all of them (app._error_list_merged_statement)
CREATE FUNCTION pg_temp.page_plan(p_column text, p_type text, p_statuses app.error_status_enum[],
                                   p_severity app.severity_enum DEFAULT NULL, p_error_type app.error_type_enum DEFAULT NULL,
                                   p_assigned_to uuid DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_plan jsonb;
BEGIN
  EXECUTE 'PREPARE page_statement (app.error_status_enum[], app.severity_enum, app.error_type_enum, uuid, boolean,'
          ' uuid, text, integer, text, uuid) AS '
          || CASE WHEN app.current_org_id() IS NULL THEN app._error_list_merged_statement(p_column, p_type)
                  ELSE app._error_list_page_statement(p_column, p_type, false) END;
  EXECUTE format('EXPLAIN (FORMAT JSON) EXECUTE page_statement(%L, %L, %L, %L, NULL, NULL, NULL, 51, NULL, NULL)',
                 p_statuses, p_severity, p_error_type, p_assigned_to) INTO v_plan;
  DEALLOCATE page_statement;
  RETURN v_plan;
END $$;
-- the plan of a most-users statement (app._error_list_users_statement): 'candidates' or 'tail'
CREATE FUNCTION pg_temp.users_statement_plan(p_part text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_plan jsonb;
BEGIN
  EXECUTE 'PREPARE users_statement (app.error_status_enum[], app.severity_enum, app.error_type_enum, uuid, boolean,'
          ' uuid, text, integer, text, uuid, timestamptz) AS ' || app._error_list_users_statement(p_part, false);
  EXECUTE format('EXPLAIN (FORMAT JSON) EXECUTE users_statement(NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51, NULL,'
                 ' NULL, %L)', (SELECT r.folded_until FROM app.error_rollup r)) INTO v_plan;
  DEALLOCATE users_statement;
  RETURN v_plan;
END $$;
-- the executed plan of a page's statement, first page of 23 rows, no filter
CREATE FUNCTION pg_temp.analyzed(p_statement text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_plan jsonb;
BEGIN
  EXECUTE 'PREPARE analyzed_statement (app.error_status_enum[], app.severity_enum, app.error_type_enum, uuid, boolean,'
          ' uuid, text, integer, text, uuid) AS ' || p_statement;
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE analyzed_statement(NULL, NULL, NULL, NULL, NULL, NULL, NULL, 23, NULL, NULL)'
    INTO v_plan;
  DEALLOCATE analyzed_statement;
  RETURN v_plan;
END $$;
-- read from the named index by organization (only its entries: an index-only scan), no table read whole
CREATE FUNCTION pg_temp.ranges_of(p_plan jsonb, p_index text) RETURNS boolean
LANGUAGE sql AS $$
  SELECT p_plan @? format('$.** ? (@."Node Type" == "Index Only Scan" && @."Index Name" == "%s"'
                          ' && @."Index Cond" like_regex "organization_id = o.id")', p_index)::jsonpath
         AND NOT p_plan @? '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" == "system_errors")'
         AND NOT p_plan @? '$.** ? (@."Node Type" == "Bitmap Heap Scan" && @."Relation Name" == "system_errors")'
$$;
CREATE TEMP TABLE open_tab AS SELECT ARRAY['new', 'investigating', 'identified', 'fixing', 'recurring'] AS statuses;
GRANT SELECT ON open_tab TO org_owner, system_admin;
GRANT EXECUTE ON FUNCTION pg_temp.pages(text, text[], text, text, integer), pg_temp.expected(text, text[], text, text),
  pg_temp.page_plan(text, text, app.error_status_enum[], app.severity_enum, app.error_type_enum, uuid),
  pg_temp.ranges_of(jsonb, text), pg_temp.analyzed(text),
  pg_temp.users_statement_plan(text) TO org_owner, system_admin;

-- == As an org owner: their organization's groups ==

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT is(pg_temp.pages('last_seen', (SELECT statuses FROM open_tab), NULL, NULL, 37),
          pg_temp.expected('last_seen', (SELECT statuses FROM open_tab), NULL, NULL),
  'the open tab (five statuses), last seen first, page by page: every group once, ties by id');
SELECT is(pg_temp.pages('first_seen', (SELECT statuses FROM open_tab), NULL, NULL, 37),
          pg_temp.expected('first_seen', (SELECT statuses FROM open_tab), NULL, NULL), '... first seen');
SELECT is(pg_temp.pages('events', NULL, 'critical', NULL, 11), pg_temp.expected('events', NULL, 'critical', NULL),
  'all statuses, most events first, one severity');
SELECT is(pg_temp.pages('users', NULL, NULL, NULL, 29), pg_temp.expected('users', NULL, NULL, NULL),
  'most users first (folded users and those since), then the groups without users by id');
SELECT is(pg_temp.pages('users', (SELECT statuses FROM open_tab), NULL, NULL, 29),
          pg_temp.expected('users', (SELECT statuses FROM open_tab), NULL, NULL), '... of the open tab');
SELECT is(pg_temp.pages('first_seen', ARRAY['resolved'], NULL, 'group 1', 5),
          pg_temp.expected('first_seen', ARRAY['resolved'], NULL, 'group 1'), 'the text search, with a status');
SELECT is_empty($$SELECT p.id FROM app.error_list_page('last_seen', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 200) AS p
                    JOIN api.error_groups g ON g.id = p.id WHERE g.users_affected <> p.users_affected$$,
  'each row''s users, counted for the page at once, are api.error_groups'' exact count');
SELECT is((SELECT count(*) FROM app.error_list_page('last_seen', NULL, NULL, NULL, '00000000-0000-0000-0000-00000000000b',
                                                    NULL, NULL, NULL, NULL, 50)), 0::bigint,
  'another organization''s groups are not theirs to list');
SELECT ok(pg_temp.ranges_of(pg_temp.page_plan('last_seen_at', 'timestamptz', (SELECT statuses::app.error_status_enum[] FROM open_tab)),
                            'idx_errors_org_last_seen'),
  'the open tab is one range of idx_errors_org_last_seen, the statuses checked on its entries');
SELECT ok(pg_temp.ranges_of(pg_temp.page_plan('first_seen_at', 'timestamptz', NULL), 'idx_errors_org_first_seen'),
  'first seen: idx_errors_org_first_seen');
SELECT ok(pg_temp.ranges_of(pg_temp.page_plan('occurrence_count', 'integer', NULL), 'idx_errors_org_occurrences'),
  'events: idx_errors_org_occurrences');
SELECT ok(p @? '$.** ? (@."Index Name" like_regex "^idx_errors_org_" && @."Index Cond" like_regex "organization_id = o.id")'
          AND NOT p @? '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" == "system_errors")',
  'newest by status, severity and type (api.list_errors'' filters): ranges of an index led by the organization')
  FROM pg_temp.page_plan('last_seen_at', 'timestamptz', '{investigating}', 'critical', 'auth') AS p;
SELECT ok(pg_temp.ranges_of(pg_temp.page_plan('occurrence_count', 'integer', '{new}', 'critical'),
                            'idx_errors_org_severity_status_occurrences'),
  'most events, new and critical: idx_errors_org_severity_status_occurrences, a range of both');
SELECT ok(pg_temp.page_plan('last_seen_at', 'timestamptz', NULL, NULL, NULL, '00000000-0000-0000-0000-0000000000a1')
            @? '$.** ? (@."Index Name" == "idx_errors_org_assignee")',
  'a person''s groups: idx_errors_org_assignee');
SELECT ok((SELECT p @? '$.** ? (@."Index Name" == "idx_errors_org_id")'
                   AND NOT p @? '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" == "system_errors")'
              FROM pg_temp.users_statement_plan('tail') AS p),
  'most users, the groups without users: idx_errors_org_id in order');
SELECT throws_ok($$SELECT * FROM app.error_list_page('oldest', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 50)$$,
  'QV001', NULL, 'an unknown sort is invalid');
SELECT throws_ok($$SELECT * FROM app.error_list_page('last_seen', ARRAY['new', 'open'], NULL, NULL, NULL, NULL, NULL, NULL,
                                                     NULL, 50)$$, 'QV001', NULL, 'so is an unknown status among them');
SELECT throws_ok($$SELECT * FROM app.error_list_page('last_seen', NULL, 'loud', NULL, NULL, NULL, NULL, NULL, NULL, 50)$$,
  'QV001', NULL, 'and an unknown severity (the filters of api.list_errors)');
SELECT throws_ok($$SELECT * FROM app.error_list_page('events', NULL, NULL, NULL, NULL, NULL, NULL, 'many',
                                                     '00000000-0000-0000-0000-0000000000ff', 50)$$,
  'QV001', NULL, 'a cursor whose value is not of the sort''s type is invalid');
SELECT throws_ok($$SELECT * FROM app.error_list_page('users', NULL, NULL, NULL, NULL, NULL, NULL, 'many',
                                                     '00000000-0000-0000-0000-0000000000ff', 50)$$,
  'QV001', NULL, '... by users too');
SELECT throws_ok($$SELECT * FROM app.error_list_page('events', NULL, NULL, NULL, NULL, NULL, NULL, '9999999999',
                                                     '00000000-0000-0000-0000-0000000000ff', 50)$$,
  'QV001', NULL, '... and an events cursor past the integers events are counted in');
RESET ROLE;

-- == As a system admin: every organization's groups and those of none ==

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT is(pg_temp.pages('last_seen', (SELECT statuses FROM open_tab), NULL, NULL, 97),
          pg_temp.expected('last_seen', (SELECT statuses FROM open_tab), NULL, NULL),
  'admin: the open tab, every organization''s groups and those of none, merged in order');
SELECT is(pg_temp.pages('first_seen', NULL, NULL, NULL, 97), pg_temp.expected('first_seen', NULL, NULL, NULL),
  'admin: first seen');
SELECT is(pg_temp.pages('events', ARRAY['ignored'], 'critical', NULL, 7),
          pg_temp.expected('events', ARRAY['ignored'], 'critical', NULL), 'admin: most events, filtered');
SELECT is(pg_temp.pages('users', NULL, NULL, NULL, 97), pg_temp.expected('users', NULL, NULL, NULL),
  'admin: most users');
SELECT is(pg_temp.pages('last_seen', NULL, NULL, 'group 12', 9), pg_temp.expected('last_seen', NULL, NULL, 'group 12'),
  'admin: the text search');
SELECT is((SELECT array_agg(p.id) FROM app.error_list_page('last_seen', NULL, NULL, NULL, '00000000-0000-0000-0000-00000000000b',
                                                           NULL, NULL, NULL, NULL, 200) AS p),
          (SELECT array_agg(s.id) FROM (SELECT s.id FROM app.system_errors s
                                         WHERE s.organization_id = '00000000-0000-0000-0000-00000000000b'
                                         ORDER BY s.last_seen_at DESC, s.id DESC LIMIT 200) AS s),
  'admin: one organization');
SELECT ok(pg_temp.ranges_of(pg_temp.page_plan('last_seen_at', 'timestamptz', (SELECT statuses::app.error_status_enum[] FROM open_tab)),
                            'idx_errors_org_last_seen'),
  'admin: each organization''s range of idx_errors_org_last_seen (no index of its own)');
SELECT ok(pg_temp.ranges_of(pg_temp.page_plan('first_seen_at', 'timestamptz', NULL), 'idx_errors_org_first_seen'),
  'admin: first seen, idx_errors_org_first_seen');
SELECT ok(pg_temp.ranges_of(pg_temp.page_plan('occurrence_count', 'integer', NULL), 'idx_errors_org_occurrences'),
  'admin: events, idx_errors_org_occurrences');
RESET ROLE;

-- == A system admin's pages over many organizations: only those that reach the page are read ==

SAVEPOINT many_organizations;
-- 120 more organizations of 1 to 12 groups each, their sort values interleaved with A's and B's
INSERT INTO app.organizations (id, name)
SELECT ('00000000-0000-0000-0001-' || lpad(o::text, 12, '0'))::uuid, 'Org ' || o FROM generate_series(1, 120) AS o;
INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, occurrence_count,
                               first_seen_at, last_seen_at)
SELECT lpad((100000 + o * 100 + g)::text, 64, '0'), 'api', CASE WHEN g % 3 = 0 THEN 'critical' ELSE 'error' END::app.severity_enum,
       (enum_range(NULL::app.error_status_enum))[1 + (o + g) % 7], 'group ' || o || '.' || g,
       ('00000000-0000-0000-0001-' || lpad(o::text, 12, '0'))::uuid, 1 + (o * 31 + g * 7) % 40,
       now() - interval '1 hour' * ((o * 13 + g) % 90), now() - interval '3 seconds' * ((o * 17 + g * 5) % 70)
  FROM generate_series(1, 120) AS o, generate_series(1, 1 + o % 12) AS g;
ANALYZE app.organizations, app.system_errors;
SET LOCAL ROLE system_admin;
SELECT is(pg_temp.pages('last_seen', (SELECT statuses FROM open_tab), NULL, NULL, 23),
          pg_temp.expected('last_seen', (SELECT statuses FROM open_tab), NULL, NULL),
  'admin, 122 organizations: the open tab, page by page, every group once in order');
SELECT is(pg_temp.pages('events', NULL, 'critical', NULL, 17), pg_temp.expected('events', NULL, 'critical', NULL),
  '... most events, one severity (ties across organizations by id)');
SELECT ok((SELECT sum((p #>> '{}')::int) FROM jsonb_path_query(plan, 'strict $.** ? (@."Index Cond" like_regex "= f.organization_id").
                                                                       "Actual Loops"') AS p) <= 23,
  '... a page is read only of the organizations whose first row reaches it')
  FROM (SELECT app._error_list_merged_statement('last_seen_at', 'timestamptz') AS statement) AS v,
       LATERAL (SELECT pg_temp.analyzed(v.statement)) AS a (plan);
RESET ROLE;
ROLLBACK TO SAVEPOINT many_organizations;

-- == Most users, when groups with users are many: the rank index ==

SAVEPOINT many_users;
INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, occurrence_count)
SELECT lpad(g::text, 64, '0'), 'api', 'error', 'new', 'group ' || g, '00000000-0000-0000-0000-00000000000a', 1 + g % 977
  FROM generate_series(2001, 12000) AS g;
INSERT INTO app.error_group_user_counts (organization_id, error_hash, error_id, users_affected)
SELECT s.organization_id, s.error_hash, s.id, 1 + s.occurrence_count % 50 FROM app.system_errors s
 WHERE s.organization_id IS NOT NULL
ON CONFLICT DO NOTHING;
UPDATE app.error_rollup SET folded_until = now() + interval '1 minute';  -- nothing recent to add
ANALYZE app.system_errors, app.error_group_user_counts;
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT ok((SELECT p @? '$.** ? (@."Index Name" == "idx_error_group_user_counts_rank")'
              FROM pg_temp.users_statement_plan('candidates') AS p),
  'most users, the candidates: idx_error_group_user_counts_rank');
RESET ROLE;
ROLLBACK TO SAVEPOINT many_users;

-- == The users of a page: the recent events probed by the index, however skewed the events are ==

-- 2,000 events of one group (the statistics then say any group holds them all), all of them
-- folded (as on the benchmark's data, bench/web_pages.py): read inside the query, the watermark
-- would leave the planner to guess a third of them recent, a partition read per group
INSERT INTO app.error_events (received_at, organization_id, error_hash, error_type, message)
SELECT now() - interval '2 hours' - n * interval '1 second', '00000000-0000-0000-0000-00000000000b',
       lpad('700', 64, '0'), 'api', 'm'
  FROM generate_series(1, 2000) AS n;
ANALYZE app.error_events;
UPDATE app.error_rollup SET folded_until = now() + interval '1 minute';
CREATE FUNCTION pg_temp.users_plan() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_plan jsonb;
BEGIN
  -- as app.error_list_page runs it: the page's ids and the watermark as values
  EXECUTE format('EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM app.error_groups_users_affected(%L, %L)',
                 (SELECT array_agg(s.id) FROM (SELECT s.id FROM app.system_errors s ORDER BY s.last_seen_at DESC LIMIT 50) AS s),
                 (SELECT r.folded_until FROM app.error_rollup r)) INTO v_plan;
  RETURN v_plan;
END $$;
SELECT ok(NOT p @? '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" like_regex "^error_events" && @."Actual Loops" > 1)',
  'the users of 50 groups: their events since the watermark read once for the page, no partition read per group')
  FROM pg_temp.users_plan() AS p;

-- one rule, two shapes: a page's users at once (app.error_groups_users_affected) are each group's
-- own count (app.error_group_users_count, what api.error_groups shows per row)
SELECT set_eq(
  $$SELECT m.id, m.users_affected FROM app.error_groups_users_affected(ARRAY(SELECT s.id FROM app.system_errors s),
                                                                        (SELECT r.folded_until FROM app.error_rollup r)) m$$,
  $$SELECT s.id, c.users_affected FROM app.system_errors s, app.error_group_users_count(s.organization_id, s.error_hash) c$$,
  'the users of a page counted at once are each group''s own count (folded, folded and since, only since, none)');

SELECT * FROM finish();
ROLLBACK;
