-- A page of the web app's errors list (workers/sql.py UI_ERROR_PAGE): the ids in the page's order,
-- with each group's exact count of distinct users, for the sorts last seen, first seen and events,
-- a status tab of several statuses and the text search. Every page is a range of the indexes led
-- by organization_id (db/schema/365_error_lists.sql), read per organization and merged, so a
-- system admin (no organization) pages as fast as an org owner without indexes of its own (each
-- index costs every event of a known group a write). The statuses, severity and type are key
-- columns of those indexes: checked on the entries, and a tab of five statuses is one range
-- read in order, not five pages merged.

-- Distinct users of several groups at once: the folded counts plus the new users among each
-- group's events since the watermark p_since (app.error_rollup's folded_until). The caller passes
-- it as a value known when the query is planned: the planner then sees that few events are that
-- recent and probes each group's events by the index (db/schema/350_events.sql), where the
-- watermark read inside the query leaves it to guess a third of the events (a table read per group).
CREATE OR REPLACE FUNCTION app.error_groups_users_affected(p_ids uuid[], p_since timestamptz)
RETURNS TABLE (id uuid, users_affected bigint)
LANGUAGE sql STABLE AS $$
  WITH listed AS MATERIALIZED (
    SELECT s.id, s.organization_id, s.error_hash FROM app.system_errors s WHERE s.id = ANY (p_ids)
  ), fresh AS (
    SELECT l.id, count(DISTINCT e.user_id) AS users
      FROM listed l
      JOIN app.error_events e ON e.organization_id = l.organization_id AND e.error_hash = l.error_hash
     WHERE e.received_at >= p_since AND e.user_id IS NOT NULL
       AND NOT EXISTS (SELECT FROM app.error_group_users u
                        WHERE u.organization_id = e.organization_id AND u.error_hash = e.error_hash
                          AND u.user_id = e.user_id)
     GROUP BY l.id
  )
  SELECT l.id, coalesce(c.users_affected, 0) + coalesce(f.users, 0)
    FROM listed l
    LEFT JOIN app.error_group_user_counts c ON c.organization_id = l.organization_id AND c.error_hash = l.error_hash
    LEFT JOIN fresh f ON f.id = l.id
$$;
COMMENT ON FUNCTION app.error_groups_users_affected(uuid[], timestamptz) IS
  'Distinct user ids seen in each of several error groups'' events: folded ones plus new ones since p_since (the watermark)';

-- Whether a group s passes the filters, as text for a page's statement: $1 statuses, $2-$5
-- app.error_list_filter's, $9 the text searched, as a plain semi-join (beside an OR, it could only
-- be checked on every entry read).
CREATE OR REPLACE FUNCTION app._error_list_page_matches(p_search boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT '($1 IS NULL OR s.status = ANY ($1)) AND app.error_list_matches(s.organization_id, s.status, s.severity,'
         ' s.error_type, s.assigned_to, NULL, NULL, $2, $3, $4, $5)'
         || CASE WHEN p_search THEN ' AND s.id IN (SELECT m FROM app.error_ids_matching($9) AS m)' ELSE '' END
$$;
COMMENT ON FUNCTION app._error_list_page_matches(boolean) IS
  'The filters of an errors list page as a condition on a group s (app.error_list_page''s statements)';

-- One organization's range of a page in the order of p_column (last_seen_at, first_seen_at or
-- occurrence_count, of type p_type), {org} to be replaced by the condition naming it: $1 statuses,
-- $2-$5 app.error_list_filter's severity, type, assignee and unassigned, $6 and $7 the cursor's id
-- and sort value, $8 the page size, $9 the text searched (when p_search), $10 the organization.
CREATE OR REPLACE FUNCTION app._error_list_page_range(p_column text, p_type text, p_search boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('SELECT s.id, s.%1$I AS sort_value FROM app.system_errors s WHERE {org} AND %3$s'
                ' AND ($6 IS NULL OR (s.%1$I, s.id) < ($7::%2$s, $6)) ORDER BY s.%1$I DESC, s.id DESC LIMIT $8',
                p_column, p_type, app._error_list_page_matches(p_search))
$$;
COMMENT ON FUNCTION app._error_list_page_range(text, text, boolean) IS
  'One organization''s range of an errors list page, as text with {org} for its condition (the page statements)';

-- The statement of a page ($1-$10 as above) for one organization (an org owner's, or the one
-- named): each organization's page (and that of the groups of none) is a range of its index in
-- order, merged; with a search, the groups whose message matches (the trigram index,
-- app.error_ids_matching) in the page's order. Its own function so the tests can EXPLAIN it
-- (tests/sql/ingest/365_error_list_page.test.sql).
CREATE OR REPLACE FUNCTION app._error_list_page_statement(p_column text, p_type text, p_search boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_search
    THEN 'SELECT p.id FROM (' || replace(v.page, '{org}', '($10 IS NULL OR s.organization_id = $10)')
         || ') AS p ORDER BY p.sort_value DESC, p.id DESC'
    ELSE 'SELECT p.id FROM (SELECT p.* FROM app.organizations o CROSS JOIN LATERAL ('
         || replace(v.page, '{org}', 's.organization_id = o.id') || ') AS p WHERE $10 IS NULL OR o.id = $10'
         || ' UNION ALL (' || replace(v.page, '{org}', 's.organization_id IS NULL AND $10 IS NULL') || ')) AS p'
         || ' ORDER BY p.sort_value DESC, p.id DESC LIMIT $8' END
    FROM (SELECT app._error_list_page_range(p_column, p_type, p_search) AS page) AS v
$$;
COMMENT ON FUNCTION app._error_list_page_statement(text, text, boolean) IS
  'The statement of an errors list page in one order, for one organization or a search (app.error_list_page runs it)';

-- The statement of a system admin's page over every organization ($1-$9 as above, no search):
-- only the organizations whose first row reaches the page are read a page of. The page's rows are
-- at least the $8-th best of the organizations' first rows (that many rows are), so an
-- organization whose first row is below it has none there: with a thousand organizations that is
-- a thousand one-entry reads and a few pages, not a thousand pages sorted (about 40 ms to 10 at
-- 100,000 groups). An organization's first row is read by its page's own statement under LIMIT 1, so the
-- planner may pick a range that checks the statuses on more of its entries.
CREATE OR REPLACE FUNCTION app._error_list_merged_statement(p_column text, p_type text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'WITH firsts AS MATERIALIZED (SELECT o.id AS organization_id, p.sort_value, p.id FROM app.organizations o'
         || ' CROSS JOIN LATERAL (SELECT q.* FROM (' || replace(v.page, '{org}', 's.organization_id = o.id')
         || ') AS q ORDER BY q.sort_value DESC, q.id DESC LIMIT 1) AS p),'
         || ' cutoff AS MATERIALIZED (SELECT f.sort_value, f.id FROM firsts f'
         || ' ORDER BY f.sort_value DESC, f.id DESC OFFSET $8 - 1 LIMIT 1)'
         || ' SELECT p.id FROM (SELECT p.* FROM firsts f CROSS JOIN LATERAL ('
         || replace(v.page, '{org}', 's.organization_id = f.organization_id') || ') AS p'
         || ' WHERE NOT EXISTS (SELECT FROM cutoff c WHERE (f.sort_value, f.id) < (c.sort_value, c.id))'
         || ' UNION ALL (' || replace(v.page, '{org}', 's.organization_id IS NULL') || ')) AS p'
         || ' ORDER BY p.sort_value DESC, p.id DESC LIMIT $8'
    FROM (SELECT app._error_list_page_range(p_column, p_type, false) AS page) AS v
$$;
COMMENT ON FUNCTION app._error_list_merged_statement(text, text) IS
  'The statement of a system admin''s errors list page over every organization (app.error_list_page runs it)';

-- The statements of a page by most users ($1-$10 as above, $11 the watermark): 'candidates', the
-- first groups by folded count among those without events since the watermark together with
-- every group with such events (whose count may have grown), to be counted exactly; 'tail', the
-- groups without users, newest id first (after the id $6), which follow those with users.
CREATE OR REPLACE FUNCTION app._error_list_users_statement(p_part text, p_search boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format(CASE p_part
    WHEN 'candidates' THEN
      'WITH recent AS MATERIALIZED (SELECT DISTINCT m.organization_id, m.error_hash'
      ' FROM app.error_metrics m WHERE m.bucket >= $11 AND ($10 IS NULL OR m.organization_id = $10))'
      ' (SELECT c.error_id FROM app.error_group_user_counts c'
      ' WHERE ($10 IS NULL OR c.organization_id = $10) AND ($6 IS NULL OR (c.users_affected, c.error_id) < ($7::bigint, $6))'
      ' AND NOT EXISTS (SELECT FROM recent r WHERE r.organization_id = c.organization_id AND r.error_hash = c.error_hash)'
      ' AND EXISTS (SELECT FROM app.system_errors s WHERE s.id = c.error_id AND %1$s)'
      ' ORDER BY c.users_affected DESC, c.error_id DESC LIMIT $8)'
      ' UNION SELECT s.id FROM recent r JOIN app.system_errors s'
      ' ON s.organization_id = r.organization_id AND s.error_hash = r.error_hash WHERE %1$s'
    WHEN 'tail' THEN
      'SELECT s.id FROM app.system_errors s WHERE ($10 IS NULL OR s.organization_id = $10) AND %1$s'
      ' AND ($6 IS NULL OR s.id < $6)'
      ' AND NOT EXISTS (SELECT FROM app.error_group_user_counts c'
      ' WHERE c.organization_id = s.organization_id AND c.error_hash = s.error_hash AND c.users_affected > 0)'
      ' AND NOT EXISTS (SELECT FROM app.error_events e WHERE e.organization_id = s.organization_id'
      ' AND e.error_hash = s.error_hash AND e.received_at >= $11 AND e.user_id IS NOT NULL)'
      ' ORDER BY s.id DESC LIMIT $8' END, app._error_list_page_matches(p_search))
$$;
COMMENT ON FUNCTION app._error_list_users_statement(text, boolean) IS
  'The statements of an errors list page by most users: candidates to count, then the groups without users';

-- p_sort: last_seen, first_seen, events or users; p_statuses: any of them (NULL: all); the other filters
-- as api.list_errors takes them (app.error_list_filter: QV001). Keyset: after the previous
-- page's last (sort value, id). Planned for the values given (EXECUTE), so unused filters drop out.
CREATE OR REPLACE FUNCTION app.error_list_page(
  p_sort text, p_statuses text[], p_severity text, p_error_type text, p_organization_id text, p_assigned_to text,
  p_q text, p_after_value text, p_after_id text, p_limit integer)
RETURNS TABLE (id uuid, users_affected bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_filter record := app.error_list_filter(NULL, p_severity, p_error_type, p_assigned_to);
  v_statuses app.error_status_enum[] := CASE WHEN p_statuses IS NOT NULL THEN ARRAY(
    SELECT app._enum_value(s, enum_range(NULL::app.error_status_enum)::text[], 'status')::app.error_status_enum
      FROM unnest(p_statuses) AS s) END;
  v_sort text := app._enum_value(coalesce(p_sort, 'last_seen'), ARRAY['last_seen', 'first_seen', 'events', 'users'],
                                 'sort');
  v_column text := CASE v_sort WHEN 'last_seen' THEN 'last_seen_at' WHEN 'first_seen' THEN 'first_seen_at'
                               ELSE 'occurrence_count' END;
  v_type text := CASE v_sort WHEN 'events' THEN 'integer' WHEN 'users' THEN 'bigint' ELSE 'timestamptz' END;
  v_organization_id uuid := app.uuid_of(p_organization_id, 'organization_id');
  v_after_id uuid := app.uuid_of(p_after_id, 'after_id');
  v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 501);
  v_since timestamptz := (SELECT r.folded_until FROM app.error_rollup r);
  v_matches text := app._error_list_page_matches(p_q IS NOT NULL);
  v_page text;
  v_ids uuid[] := '{}'::uuid[];
  v_tail uuid[];
  v_candidates uuid[];
BEGIN
  IF v_after_id IS NOT NULL AND (CASE WHEN v_type = 'timestamptz' THEN app.moment(p_after_value, 'after') IS NULL
                                      WHEN coalesce(p_after_value, '') !~ '^[0-9]{1,18}$' THEN true
                                      -- (events are an integer column: a larger cursor would fail its cast)
                                      WHEN v_type = 'integer' THEN p_after_value::numeric > 2147483647
                                      ELSE false END) THEN
    RAISE EXCEPTION 'the page''s cursor holds no % value', v_sort USING ERRCODE = 'QV001', DETAIL = 'Field: after.',
      HINT = 'Send the last row''s sort value with its id (the page''s next link does).';
  END IF;
  IF v_sort = 'users' THEN
    -- the candidates counted exactly, all at once (app._error_list_users_statement)
    IF v_after_id IS NULL OR p_after_value::bigint > 0 THEN
      EXECUTE 'SELECT ARRAY(' || app._error_list_users_statement('candidates', p_q IS NOT NULL) || ')' INTO v_candidates
        USING v_statuses, v_filter.severity, v_filter.error_type, v_filter.assigned_to, v_filter.unassigned,
              v_after_id, p_after_value, v_limit, p_q, v_organization_id, v_since;
      -- (the candidates as a value, so the count is inlined and planned for the watermark's value)
      EXECUTE 'SELECT ARRAY(SELECT u.id FROM app.error_groups_users_affected($1, $2) AS u'
              ' WHERE u.users_affected > 0 AND ($3 IS NULL OR (u.users_affected, u.id) < ($4::bigint, $3))'
              ' ORDER BY u.users_affected DESC, u.id DESC LIMIT $5)' INTO v_ids
        USING v_candidates, v_since, v_after_id, p_after_value, v_limit;
    END IF;
    IF cardinality(v_ids) < v_limit THEN  -- then the groups without users, newest id first
      EXECUTE 'SELECT ARRAY(' || app._error_list_users_statement('tail', p_q IS NOT NULL) || ')' INTO v_tail
        USING v_statuses, v_filter.severity, v_filter.error_type, v_filter.assigned_to, v_filter.unassigned,
              CASE WHEN v_after_id IS NOT NULL AND p_after_value::bigint = 0 THEN v_after_id END, NULL,
              v_limit - cardinality(v_ids), p_q, v_organization_id, v_since;
      v_ids := v_ids || v_tail;
    END IF;
  ELSE
    v_page := CASE WHEN p_q IS NULL AND v_organization_id IS NULL AND app.current_org_id() IS NULL
                   THEN app._error_list_merged_statement(v_column, v_type)  -- (a system admin's, over every organization)
                   ELSE app._error_list_page_statement(v_column, v_type, p_q IS NOT NULL) END;
    EXECUTE 'SELECT ARRAY(' || v_page || ')' INTO v_ids  -- (in the page's order)
      USING v_statuses, v_filter.severity, v_filter.error_type, v_filter.assigned_to, v_filter.unassigned,
            v_after_id, p_after_value, v_limit, p_q, v_organization_id;
  END IF;
  RETURN QUERY EXECUTE
    'SELECT l.id, u.users_affected FROM unnest($1) WITH ORDINALITY AS l (id, ordinal)'
    ' JOIN app.error_groups_users_affected($1, $2) AS u ON u.id = l.id ORDER BY l.ordinal'
    USING v_ids, v_since;
END $$;
COMMENT ON FUNCTION app.error_list_page(text, text[], text, text, text, text, text, text, text, integer) IS
  'A page of the errors list (ids in order, with their users): last_seen, first_seen, events or users, several statuses, text search';

GRANT EXECUTE ON FUNCTION app.error_groups_users_affected(uuid[], timestamptz), app._error_list_page_matches(boolean),
  app._error_list_page_range(text, text, boolean), app._error_list_page_statement(text, text, boolean),
  app._error_list_merged_statement(text, text), app._error_list_users_statement(text, boolean),
  app.error_list_page(text, text[], text, text, text, text, text, text, text, integer) TO staff, org_owner, system_admin;
