-- Parameters as text, read by app.duration and app.uuid_of: typed interval and uuid, PostgREST's
-- cast of a malformed value would answer PostgreSQL's 22007 / 22P02 before this body runs.
CREATE FUNCTION api.get_error_stats(p_time_range text DEFAULT '24 hours', p_organization_id text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_time_range interval := app.duration(coalesce(p_time_range, '24 hours'), 'p_time_range');
  v_organization_id uuid := app.uuid_of(p_organization_id, 'p_organization_id');
BEGIN
  -- org owners and staff only ever get their own organization's figures
  IF current_user IN ('staff', 'org_owner') THEN
    IF v_organization_id IS DISTINCT FROM app.current_org_id() AND v_organization_id IS NOT NULL THEN
      PERFORM app.raise_http('QA001', 'statistics of another organization', 'Field: p_organization_id.',
                             'Leave p_organization_id out, or use your own organization''s id.');
    END IF;
    v_organization_id := app.current_org_id();
  END IF;
  RETURN app.error_stats(v_time_range, v_organization_id);
EXCEPTION WHEN query_canceled THEN  -- the role's statement_timeout: 429, not PostgREST's 500
  PERFORM app.raise_statement_timeout();
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.get_error_stats(text, text) IS $$Error statistics over a time range

For one organization (org owners and staff: always their own) or, for system admins with no
p_organization_id, all of them. Returns total_events, total_errors (groups seen in the range),
new_errors (first seen in it), recurring_errors (seen in it, first seen before), regressed_errors
(status recurring), by_type and by_severity (events, by the group's type and severity), by_status
(groups), top_errors (10 by events), series (events per bucket: minutes up to 3 hours, hours up to
3 days, days beyond) and refused_events (over the rate limit).

Parameters:
- p_time_range: how far back (interval: 30s, 15m, 1h, 24h, 7d, 2w, ISO 8601 or PostgreSQL interval text; default 24 hours)
- p_organization_id: one organization (UUID; omitted = every one you may see)

Errors: QV001 400 (time range or organization id not understood, named in details with the accepted forms in the hint; or a range out of bounds), QA001 403 (organization not yours), QA042 401 (no token).

Example: curl -X POST "$API/rpc/get_error_stats" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"p_time_range": "24h"}'$$;
GRANT EXECUTE ON FUNCTION api.get_error_stats(text, text) TO staff, org_owner, system_admin;
