-- Lists of error groups in the orders the API and the dashboard offer, each read from an index
-- led by organization_id (db/schema/365_error_lists.sql), with keyset pagination: a page starts
-- after the sort value and id of the previous page's last row. SQL functions the planner inlines
-- into the calling query (so EXPLAIN shows the real plan). Invoker rights: RLS limits org owners
-- and staff to their organization.

-- == Users affected ==

-- Distinct user ids among a group's events: those folded so far (app.error_group_users) plus the
-- new ones among its events since the watermark, so the count is exact and current without
-- reading the group's history. A one-row table function so a view joins it LATERAL: PostgreSQL
-- inlines it into the query (subqueries run per row as sub-plans), where the scalar function below,
-- holding subqueries, is never inlined and costs a function execution per row.
CREATE OR REPLACE FUNCTION app.error_group_users_count(p_organization_id uuid, p_error_hash text)
RETURNS TABLE (users_affected bigint)
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT c.users_affected FROM app.error_group_user_counts c
                    WHERE c.organization_id = p_organization_id AND c.error_hash = p_error_hash), 0)
       + (SELECT count(DISTINCT e.user_id) FROM app.error_events e
           WHERE e.organization_id = p_organization_id AND e.error_hash = p_error_hash
             AND e.received_at >= (SELECT r.folded_until FROM app.error_rollup r) AND e.user_id IS NOT NULL
             AND NOT EXISTS (SELECT FROM app.error_group_users u
                              WHERE u.organization_id = e.organization_id AND u.error_hash = e.error_hash
                                AND u.user_id = e.user_id))
$$;
COMMENT ON FUNCTION app.error_group_users_count(uuid, text) IS
  'Distinct user ids seen in an error group''s events, as one row (join it LATERAL: it is inlined)';

CREATE OR REPLACE FUNCTION app.error_group_users_affected(p_organization_id uuid, p_error_hash text) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT u.users_affected FROM app.error_group_users_count(p_organization_id, p_error_hash) AS u
$$;
COMMENT ON FUNCTION app.error_group_users_affected(uuid, text) IS
  'Distinct user ids seen in an error group''s events (folded ones plus new ones since the watermark)';

-- == The filters every list offers ==

-- NULL: any. Inlined into the list's query, so the filters are index conditions. The assignee:
-- p_assigned_to a person, or p_unassigned for nobody (api.list_errors' assigned_to).
-- (their forms before the assignee)
DROP FUNCTION IF EXISTS app._error_list_match(app.system_errors, uuid, app.error_status_enum, app.severity_enum, app.error_type_enum),
  app.error_list_newest(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, timestamptz, uuid, integer),
  app.error_list_most_events(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, integer, uuid, integer),
  app.error_list_most_users(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, bigint, uuid, integer),
  app.error_list_without_users(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, integer);
-- The filters as a list takes them (text): each value checked (QV001 naming the field), the
-- assignee read as me (the caller), nobody, or a person's id. api.list_errors and the web app's
-- list pages (workers/sql.py UI_ERROR_PAGE, UI_ERROR_PAGES_SEEN_IN) both read them here.
CREATE OR REPLACE FUNCTION app.error_list_filter(
  p_status text, p_severity text, p_error_type text, p_assigned_to text,
  OUT status app.error_status_enum, OUT severity app.severity_enum, OUT error_type app.error_type_enum,
  OUT assigned_to uuid, OUT unassigned boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  status := app._enum_value(p_status, enum_range(NULL::app.error_status_enum)::text[], 'status')::app.error_status_enum;
  severity := app._enum_value(p_severity, enum_range(NULL::app.severity_enum)::text[], 'severity')::app.severity_enum;
  error_type := app._enum_value(p_error_type, enum_range(NULL::app.error_type_enum)::text[], 'error_type')
                  ::app.error_type_enum;
  unassigned := lower(btrim(p_assigned_to)) = 'nobody';
  IF lower(btrim(p_assigned_to)) = 'me' THEN
    assigned_to := app.current_user_id();
  ELSIF NOT coalesce(unassigned, true) THEN
    assigned_to := app.uuid_of(p_assigned_to, 'assigned_to');  -- (QV001 naming assigned_to)
  END IF;
END $$;
COMMENT ON FUNCTION app.error_list_filter(text, text, text, text) IS
  'A list''s filters given as text, checked (QV001): status, severity, error_type and the assignee (me, nobody or an id)';

-- Whether a group (its columns) passes the filters; inlined, so the filters are index conditions.
CREATE OR REPLACE FUNCTION app.error_list_matches(
  p_group_organization_id uuid, p_group_status app.error_status_enum, p_group_severity app.severity_enum,
  p_group_error_type app.error_type_enum, p_group_assigned_to uuid,
  p_organization_id uuid, p_status app.error_status_enum, p_severity app.severity_enum,
  p_error_type app.error_type_enum, p_assigned_to uuid, p_unassigned boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT (p_organization_id IS NULL OR p_group_organization_id = p_organization_id)
     AND (p_status IS NULL OR p_group_status = p_status)
     AND (p_severity IS NULL OR p_group_severity = p_severity)
     AND (p_error_type IS NULL OR p_group_error_type = p_error_type)
     AND (p_assigned_to IS NULL OR p_group_assigned_to = p_assigned_to)
     AND (p_unassigned IS NOT TRUE OR p_group_assigned_to IS NULL)
$$;
COMMENT ON FUNCTION app.error_list_matches(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean) IS
  'Whether an error group''s organization, status, severity, type and assignee pass a list''s filters (NULL: any)';

CREATE OR REPLACE FUNCTION app._error_list_match(
  p_group app.system_errors, p_organization_id uuid, p_status app.error_status_enum, p_severity app.severity_enum,
  p_error_type app.error_type_enum, p_assigned_to uuid, p_unassigned boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT app.error_list_matches((p_group).organization_id, (p_group).status, (p_group).severity, (p_group).error_type,
                                (p_group).assigned_to, p_organization_id, p_status, p_severity, p_error_type,
                                p_assigned_to, p_unassigned)
$$;
COMMENT ON FUNCTION app._error_list_match(app.system_errors, uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean) IS
  'Whether an error group passes a list''s filters (organization, status, severity, type, assignee; NULL: any)';

-- == Every sort's pages: app.error_list_page (db/functions/app/365_error_list_page.sql) ==

-- (the forms of each sort before every list was paged there)
DROP FUNCTION IF EXISTS
  app.error_list_newest(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean, timestamptz, uuid, integer),
  app.error_list_most_events(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean, integer, uuid, integer),
  app.error_list_most_users(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean, bigint, uuid, integer),
  app.error_list_without_users(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean, uuid, integer);

GRANT EXECUTE ON FUNCTION app.error_group_users_count(uuid, text), app.error_group_users_affected(uuid, text),
  app.error_list_filter(text, text, text, text),
  app.error_list_matches(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, uuid,
                         app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean),
  app._error_list_match(app.system_errors, uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean)
  TO staff, org_owner, system_admin;
