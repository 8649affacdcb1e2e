-- Lists of error groups: every order and filter is read from an index led by organization_id,
-- the filters checked on its entries, the policy's organization is an initplan (no per-row call),
-- pages never skip nor repeat, and the table keeps no index that no list or lookup reads (an
-- event of a known group writes every one of them).
BEGIN;
SELECT plan(32);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B'),
  ('00000000-0000-0000-0000-00000000000c', 'Org C'), ('00000000-0000-0000-0000-00000000000d', 'Org D');

-- == The indexes an event writes: only those a query reads ==

SELECT set_eq($$SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'app.system_errors'::regclass$$,
  ARRAY['app.system_errors_pkey', 'app.system_errors_organization_id_error_hash_key', 'app.idx_errors_org_last_seen', 'app.idx_errors_org_occurrences', 'app.idx_errors_org_first_seen',
        'app.idx_errors_org_severity_status_occurrences', 'app.idx_errors_org_id', 'app.idx_errors_org_assignee'],
  'system_errors has the indexes of the id, the capture''s upsert and the lists, no other (the message search has its own table)');

-- == 5,000 groups in A (ties in last seen and in counts), 15,000 in B, C and D ==

INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id, occurrence_count,
                               first_seen_at, last_seen_at)
SELECT lpad(g::text, 64, '0'), (ARRAY['api', 'database', 'javascript', 'auth'])[1 + g % 4]::app.error_type_enum,
       CASE WHEN g % 7 = 0 THEN 'critical' ELSE 'error' END::app.severity_enum,
       (ARRAY['investigating', 'resolved', 'new', 'new', 'new'])[1 + g % 5]::app.error_status_enum, 'group ' || g,
       CASE WHEN g <= 5000 THEN '00000000-0000-0000-0000-00000000000a'
            ELSE '00000000-0000-0000-0000-00000000000' || (ARRAY['b', 'c', 'd'])[1 + g % 3] END::uuid,
       1 + g * 7919 % 5000, now() - interval '2 days', now() - interval '3 seconds' * (g % 700)
  FROM generate_series(1, 20000) AS g;
ANALYZE app.system_errors;

CREATE FUNCTION pg_temp.plan(p_query text, p_verbose boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_plan jsonb;
BEGIN
  EXECUTE format('EXPLAIN (FORMAT JSON, VERBOSE %s) ', p_verbose::text) || p_query INTO v_plan;
  RETURN v_plan;
END $$;
-- read from the named index, no table read whole (but the one-row watermark), no per-row call
-- for the organization
CREATE FUNCTION pg_temp.served_by(p_query text, p_index text) RETURNS boolean
LANGUAGE sql AS $$
  SELECT p @? format('$.** ? (@."Index Name" == "%s")', p_index)::jsonpath
         AND NOT p @? '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" != "error_rollup")'
         AND position('current_setting' IN p::text) = 0 AND position('jwt_claim' IN p::text) = 0
    FROM pg_temp.plan(p_query) AS p
$$;
-- ... in the list's order (no sort), a filter on p_in_index (if any) checked on the index's
-- entries (an index condition, no row filter)
CREATE FUNCTION pg_temp.read_in_order(p_query text, p_index text, p_in_index text DEFAULT NULL) RETURNS boolean
LANGUAGE sql AS $$
  SELECT pg_temp.served_by(p_query, p_index)
         AND NOT p @? '$.** ? (@."Node Type" == "Sort" || @."Node Type" == "Incremental Sort")'
         AND (p_in_index IS NULL
              OR p @? format('$.** ? (@."Index Name" == "%s" && @."Index Cond" like_regex "\\m%s\\M")', p_index,
                             p_in_index)::jsonpath
                 AND NOT p @? format('$.** ? (@."Filter" like_regex "\\m%s\\M")', p_in_index)::jsonpath)
    FROM pg_temp.plan(p_query) AS p
$$;
GRANT EXECUTE ON FUNCTION pg_temp.plan(text, boolean), pg_temp.served_by(text, text), pg_temp.read_in_order(text, text, text)
  TO org_owner, system_admin;

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';

-- == Each list, as an org owner: its index in its order, the filters in the index, the organization once ==

-- (api.list_errors pages through app.error_list_page: its plans, filters included, are in
-- 365_error_list_page.test.sql)

-- the spec's and the listing views as PostgREST reads them (enum filters are index conditions)
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.system_errors ORDER BY last_seen_at DESC LIMIT 50$$,
                                'idx_errors_org_last_seen'), '/system_errors?order=last_seen_at.desc: idx_errors_org_last_seen');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.error_groups ORDER BY last_seen_at DESC, id DESC LIMIT 50$$,
                                'idx_errors_org_last_seen'), '/error_groups?order=last_seen_at.desc,id.desc: the same');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.error_groups
                                   WHERE (last_seen_at, id) < (now() - interval '1 minute', '00000000-0000-0000-0000-0000000000ff')
                                   ORDER BY last_seen_at DESC, id DESC LIMIT 50$$,
                                'idx_errors_org_last_seen', 'last_seen_at'),
  '/error_groups, the next page after (last_seen_at, id): the same index, from the cursor on');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.error_groups WHERE status = 'investigating'
                                   ORDER BY last_seen_at DESC LIMIT 50$$,
                                'idx_errors_org_last_seen', 'status'), '/error_groups?status=eq.investigating: the same');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.system_errors WHERE status = 'new' AND severity = 'critical'
                                   ORDER BY occurrence_count DESC LIMIT 50$$,
                                'idx_errors_org_severity_status_occurrences', 'severity'),
  '/system_errors new and critical by events: idx_errors_org_severity_status_occurrences, both filters in the index');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.error_groups WHERE status = 'new' AND severity = 'critical'
                                   ORDER BY occurrence_count DESC LIMIT 50$$,
                                'idx_errors_org_severity_status_occurrences', 'status'), '/error_groups the same: the same');
-- read whole (no limit), a severity and a status are the start of a range: only their entries are
-- read (an index scan in order, or a bitmap and a sort of those rows when the table is small)
SELECT ok(pg_temp.served_by($$SELECT * FROM api.system_errors WHERE status = 'new' AND severity = 'critical'
                              ORDER BY occurrence_count DESC$$, 'idx_errors_org_severity_status_occurrences')
          AND pg_temp.plan($$SELECT * FROM api.system_errors WHERE status = 'new' AND severity = 'critical'
                             ORDER BY occurrence_count DESC$$)
              @? '$.** ? (@."Index Name" == "idx_errors_org_severity_status_occurrences"
                          && @."Index Cond" like_regex "\\(organization_id = \\$0\\) AND \\(severity = .*\\) AND \\(status = ")',
  '/system_errors new and critical by events, every row: a range of idx_errors_org_severity_status_occurrences');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.system_errors ORDER BY occurrence_count DESC, id DESC LIMIT 50$$,
                                'idx_errors_org_occurrences'), '/system_errors most events: idx_errors_org_occurrences');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.error_groups WHERE severity = 'critical' ORDER BY last_seen_at DESC LIMIT 50$$,
                                'idx_errors_org_last_seen', 'severity'), '/error_groups?severity=eq.critical, newest: idx_errors_org_last_seen');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.error_groups WHERE error_type = 'auth' ORDER BY last_seen_at DESC LIMIT 50$$,
                                'idx_errors_org_last_seen', 'error_type'), '/error_groups?error_type=eq.auth, newest: the same');
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.error_groups WHERE error_type = 'auth'
                                   ORDER BY first_seen_at DESC, id DESC LIMIT 50$$,
                                'idx_errors_org_first_seen', 'error_type'), '/error_groups by first seen: idx_errors_org_first_seen');
SELECT ok(pg_temp.plan($$SELECT * FROM api.error_groups ORDER BY last_seen_at DESC LIMIT 50$$, true)::text
          !~ 'error_group_users_(affected|count)',
  '/error_groups counts users affected inlined in the plan, no function execution per row');
SELECT ok(pg_temp.served_by($$SELECT * FROM api.error_groups WHERE id = '00000000-0000-0000-0000-0000000000ff'$$,
                            'system_errors_pkey')
          OR pg_temp.served_by($$SELECT * FROM api.error_groups WHERE id = '00000000-0000-0000-0000-0000000000ff'$$,
                               'idx_errors_org_id'),
  'one group by id: a unique probe (its primary key or (organization_id, id))');
RESET ROLE;

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT ok(pg_temp.read_in_order($$SELECT * FROM api.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000b'
                                   ORDER BY last_seen_at DESC LIMIT 50$$,
                                'idx_errors_org_last_seen'),
  'a system admin''s /system_errors?organization_id=eq.<id>, newest: the same index');
RESET ROLE;

-- == Pages never skip nor repeat ==

CREATE FUNCTION pg_temp.all_pages(p_sort text, p_status text, p_page integer, p_assigned text DEFAULT NULL)
RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[] := '{}';
  v_last api.error_groups;
  v_rows integer;
BEGIN
  LOOP
    v_rows := 0;
    FOR v_last IN SELECT * FROM api.list_errors(sort => p_sort, status => p_status, max_results => p_page,
                                                 after_id => v_last.id::text, after_last_seen_at => v_last.last_seen_at::text,
                                                 after_occurrence_count => v_last.occurrence_count,
                                                 after_users_affected => v_last.users_affected::integer,
                                                 assigned_to => p_assigned) LOOP
      v_ids := v_ids || v_last.id;
      v_rows := v_rows + 1;
    END LOOP;
    EXIT WHEN v_rows < p_page;
  END LOOP;
  RETURN v_ids;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.all_pages(text, text, integer, text) TO org_owner;

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT is(pg_temp.all_pages('last_seen', NULL, 97),
          (SELECT array_agg(id ORDER BY last_seen_at DESC, id DESC) FROM app.system_errors),
  'newest first, page by page: every group of the organization once, by (last_seen_at, id)');
SELECT is(pg_temp.all_pages('events', NULL, 101),
          (SELECT array_agg(id ORDER BY occurrence_count DESC, id DESC) FROM app.system_errors),
  'most events first, page by page: by (occurrence_count, id)');
SELECT is(pg_temp.all_pages('last_seen', 'investigating', 7),
          (SELECT array_agg(id ORDER BY last_seen_at DESC, id DESC) FROM app.system_errors WHERE status = 'investigating'),
  'a filtered list pages the same way');
SELECT is((SELECT count(*)::int FROM api.list_errors()), 50, 'a page holds 50 groups unless asked otherwise');
SELECT is((SELECT count(*)::int FROM api.list_errors(organization_id => '00000000-0000-0000-0000-00000000000b')), 0,
  'an org owner naming another organization sees nothing of it');
SELECT throws_ok($$SELECT * FROM api.list_errors(sort => 'oldest')$$, 'QV001', NULL, 'an unknown sort is invalid');
SELECT throws_ok($$SELECT * FROM api.list_errors(status => 'open')$$, 'QV001', NULL, 'so is an unknown status');
SELECT throws_ok($$SELECT * FROM api.list_errors(after_id => '00000000-0000-0000-0000-0000000000ff')$$, 'QV002', NULL,
  'a cursor without the sort value of its row is incomplete');
RESET ROLE;

-- == Assigned to: me, nobody or a person, in every order ==

INSERT INTO app.users (id, organization_id, email, role) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'owner@a.test', 'org_owner'),
  ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-00000000000a', 'staff@a.test', 'staff');
UPDATE app.system_errors SET assigned_to = CASE WHEN error_hash::numeric % 10 = 0 THEN '00000000-0000-0000-0000-0000000000a1'
                                                ELSE '00000000-0000-0000-0000-0000000000a2' END::uuid
 WHERE organization_id = '00000000-0000-0000-0000-00000000000a' AND error_hash::numeric % 10 IN (0, 1);
ANALYZE app.system_errors;
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims =
  '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a1"}';
SELECT is(pg_temp.all_pages('last_seen', NULL, 37, 'me'),
          (SELECT array_agg(id ORDER BY last_seen_at DESC, id DESC) FROM app.system_errors
            WHERE assigned_to = '00000000-0000-0000-0000-0000000000a1'),
  'assigned to me: the caller''s groups, page by page');
SELECT is(pg_temp.all_pages('events', 'new', 101, 'nobody'),
          (SELECT array_agg(id ORDER BY occurrence_count DESC, id DESC) FROM app.system_errors
            WHERE assigned_to IS NULL AND status = 'new'),
  'assigned to nobody: the unassigned groups, with the other filters');
SELECT is(pg_temp.all_pages('users', NULL, 23, '00000000-0000-0000-0000-0000000000a2'),
          (SELECT array_agg(id ORDER BY id DESC) FROM app.system_errors
            WHERE assigned_to = '00000000-0000-0000-0000-0000000000a2'),
  'assigned to a person: that person''s groups (without users yet: by id)');
SELECT throws_ok($$SELECT * FROM api.list_errors(assigned_to => 'someone')$$, 'QV001', NULL,
  'an assignee that is neither me, nobody nor an id is invalid');
RESET ROLE;

-- == Most users: folded counts plus the users since the watermark ==

-- 60 groups get users an hour ago (folded), some of them more users now (not folded yet)
INSERT INTO app.error_events (received_at, organization_id, error_hash, error_type, message, user_id)
SELECT now() - interval '1 hour', '00000000-0000-0000-0000-00000000000a', lpad(g::text, 64, '0'), 'api', 'm', 'user ' || u
  FROM generate_series(1, 60) AS g, generate_series(1, 1 + g % 9) AS u;
SELECT app.error_rollup_rebuild();
INSERT INTO app.error_events (organization_id, error_hash, error_type, message, user_id)
SELECT '00000000-0000-0000-0000-00000000000a', lpad(g::text, 64, '0'), 'api', 'm', 'user ' || u
  FROM generate_series(1, 60, 4) AS g, generate_series(1, g % 13) AS u;
INSERT INTO app.error_events (organization_id, error_hash, error_type, message, user_id)
VALUES ('00000000-0000-0000-0000-00000000000a', lpad('61', 64, '0'), 'api', 'm', 'only now');
CREATE TEMP TABLE users_truth AS
SELECT s.id, count(DISTINCT e.user_id) AS users, s.status
  FROM app.system_errors s JOIN app.error_events e ON e.organization_id = s.organization_id AND e.error_hash = s.error_hash
 WHERE e.user_id IS NOT NULL GROUP BY s.id, s.status;
GRANT SELECT ON users_truth TO org_owner;

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT is_empty($$SELECT g.id FROM api.error_groups g JOIN users_truth t ON t.id = g.id WHERE g.users_affected <> t.users$$,
  'users affected are exact: folded users plus new ones');
SELECT is(pg_temp.all_pages('users', NULL, 50),
          (SELECT array_agg(s.id ORDER BY coalesce(t.users, 0) DESC, s.id DESC)
             FROM app.system_errors s LEFT JOIN users_truth t ON t.id = s.id),
  'most users first, page by page: every group once by (users_affected, id), newer users included, '
  'the groups without users last');
SELECT is(pg_temp.all_pages('users', 'new', 40),
          (SELECT array_agg(id ORDER BY users DESC, id DESC) FROM users_truth WHERE status = 'new')
          || (SELECT array_agg(s.id ORDER BY s.id DESC) FROM app.system_errors s
               WHERE s.status = 'new' AND NOT EXISTS (SELECT FROM users_truth t WHERE t.id = s.id)),
  '... and filtered');
RESET ROLE;

-- (the plans of most users: tests/sql/ingest/365_error_list_page.test.sql)

-- == Statistics, as an org owner: no per-row call for the organization either ==

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT ok(position('current_setting' IN pg_temp.plan($$SELECT * FROM app.error_metrics_hourly WHERE bucket >= now() - interval '1 day'$$)::text) = 0
          AND position('current_setting' IN pg_temp.plan($$SELECT * FROM app.error_metrics WHERE bucket >= now() - interval '1 hour'$$)::text) = 0,
  'the counts the statistics read are filtered by an initplan');
SELECT ok(pg_temp.served_by($$SELECT * FROM app.error_metrics_daily WHERE bucket >= now() - interval '7 days'$$,
                            'error_metrics_daily_pkey'), 'days of one organization: its primary key');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
