CREATE FUNCTION api.list_errors(
  sort text DEFAULT 'last_seen', status text DEFAULT NULL, severity text DEFAULT NULL, error_type text DEFAULT NULL,
  organization_id text DEFAULT NULL, after_id text DEFAULT NULL, after_last_seen_at text DEFAULT NULL,
  after_occurrence_count integer DEFAULT NULL, after_users_affected integer DEFAULT NULL, max_results integer DEFAULT 50,
  assigned_to text DEFAULT NULL, environment text DEFAULT NULL, release text DEFAULT NULL)
RETURNS SETOF api.error_groups
LANGUAGE plpgsql STABLE
-- planned for the filters given: the unused ones drop out and the right index is chosen
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  -- ids and the time cursor as text, read by app.uuid_of and app.moment: typed, PostgREST's cast
  -- would answer 22P02 / 22007 before this body runs
  v_organization_id uuid := app.uuid_of(list_errors.organization_id, 'organization_id');
  v_after_id uuid := app.uuid_of(list_errors.after_id, 'after_id');
  v_after_last_seen_at timestamptz := app.moment(list_errors.after_last_seen_at, 'after_last_seen_at');
  v_sort text := app._enum_value(list_errors.sort, ARRAY['last_seen', 'events', 'users'], 'sort');
  v_filter record := app.error_list_filter(list_errors.status, list_errors.severity, list_errors.error_type,
                                           list_errors.assigned_to);
  v_status app.error_status_enum := v_filter.status;
  v_severity app.severity_enum := v_filter.severity;
  v_error_type app.error_type_enum := v_filter.error_type;
  v_limit integer := least(greatest(coalesce(list_errors.max_results, 50), 1), 500);
  v_cursor_field text := CASE coalesce(v_sort, 'last_seen') WHEN 'last_seen' THEN 'after_last_seen_at'
                                                          WHEN 'events' THEN 'after_occurrence_count'
                                                          ELSE 'after_users_affected' END;
  v_unassigned boolean := v_filter.unassigned;
  v_assigned_to uuid := v_filter.assigned_to;
BEGIN
  IF v_after_id IS NOT NULL AND (CASE v_cursor_field WHEN 'after_last_seen_at' THEN v_after_last_seen_at IS NULL
                                                   WHEN 'after_occurrence_count' THEN after_occurrence_count IS NULL
                                                   ELSE after_users_affected IS NULL END) THEN
    RAISE EXCEPTION '% is missing', v_cursor_field USING ERRCODE = 'QV002', DETAIL = format('Field: %s.', v_cursor_field),
      HINT = format('Send the last row''s id as after_id and its %s as %s.', substr(v_cursor_field, 7), v_cursor_field);
  END IF;
  IF list_errors.environment IS NOT NULL OR list_errors.release IS NOT NULL THEN
    -- the groups seen in that environment and release (db/functions/app/376_releases.sql)
    RETURN QUERY
    SELECT g.* FROM app.error_list_seen_in(v_organization_id, v_status, v_severity, v_error_type,
                                           v_assigned_to, v_unassigned, list_errors.environment, list_errors.release,
                                           coalesce(v_sort, 'last_seen'), v_after_last_seen_at,
                                           coalesce(after_occurrence_count, after_users_affected), v_after_id, v_limit) AS l
      JOIN api.error_groups g ON g.id = l.id
     ORDER BY l.ordinal;
  ELSE  -- every sort as the web app pages it (app.error_list_page): each organization's range of its
        -- index in order (an admin's too), the page's users counted at once
    RETURN QUERY
    SELECT g.id, g.organization_id, g.error_hash, g.error_type, g.severity, g.status, g.message, g.component,
           g.file_path, g.url, g.occurrence_count, g.first_seen_at, g.last_seen_at, g.resolved_at, g.resolved_by,
           g.ai_suggestion, g.ai_analyzed_at, g.assigned_to, l.users_affected, g.resolved_in_release, g.suspect_release
      FROM app.error_list_page(coalesce(v_sort, 'last_seen'), CASE WHEN v_status IS NOT NULL THEN ARRAY[v_status::text] END,
                               list_errors.severity, list_errors.error_type, list_errors.organization_id,
                               list_errors.assigned_to, NULL,
                               CASE coalesce(v_sort, 'last_seen') WHEN 'last_seen' THEN v_after_last_seen_at::text
                                                                  WHEN 'events' THEN after_occurrence_count::text
                                                                  ELSE after_users_affected::text END,
                               list_errors.after_id, v_limit) WITH ORDINALITY AS l (id, users_affected, ordinal)
      JOIN api.error_groups g ON g.id = l.id
     ORDER BY l.ordinal;
  END IF;
EXCEPTION WHEN query_canceled THEN  -- the role's statement_timeout: 429, not PostgREST's 500
  PERFORM app.raise_statement_timeout();
END $$;
COMMENT ON FUNCTION api.list_errors(text, text, text, text, text, text, text, integer, integer, integer, text, text, text) IS $$List error groups a page at a time, fast at any size

sort: last_seen (newest first, the default), events (most occurrences first) or users (most distinct
users first, groups without users last). Filters: status, severity, error_type, assigned_to (me,
nobody or a user's id), environment and release (groups with an event of them) and, for system admins, organization_id (org owners and staff only ever see their organization). Keyset
pagination: for the next page send the last row's id as after_id together with its sort value,
after_last_seen_at (sort last_seen), after_occurrence_count (events) or after_users_affected (users);
pages never skip or repeat a row that did not change in between. max_results: 1 to 500 (50).

Parameters:
- sort: last_seen, events or users (text, default last_seen)
- status: only this status, e.g. new or resolved (text)
- severity: only this severity: debug, info, warning, error or critical (text)
- error_type: only this error type (text)
- organization_id: only this organization (UUID)
- after_id: keyset cursor, the last row's id of the previous page (UUID)
- after_last_seen_at: cursor for sort=last_seen, the last row's last_seen_at (timestamptz, ISO 8601)
- after_occurrence_count: cursor for sort=events (integer)
- after_users_affected: cursor for sort=users (integer)
- max_results: page size (integer, default 50)
- assigned_to: me, nobody or a user's id (text)
- environment: only groups seen in this environment, e.g. production (text)
- release: only groups seen in this release, e.g. shop@1.4.3 (text)

Errors: QV001 400 (unknown sort, status, severity or assigned_to; organization_id, after_id or after_last_seen_at not understood, named in details), QV002 400 (a cursor without after_id), QA042 401 (no token).

Example: curl -X POST "$API/rpc/list_errors" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"status": "new", "max_results": 20}'$$;
GRANT EXECUTE ON FUNCTION api.list_errors(text, text, text, text, text, text, text, integer, integer, integer, text, text, text)
  TO staff, org_owner, system_admin;
