CREATE VIEW api.rate_limit_usage WITH (security_invoker = true) AS
  SELECT u.organization_id, u.minute, u.accepted, u.refused FROM app.rate_limit_usage u;
COMMENT ON VIEW api.rate_limit_usage IS $$Events accepted and refused per organization and minute

Only organizations with a limit are counted; refused > 0 marks a minute in which the limit bit.
System admins see every organization, org owners their own.$$;
GRANT SELECT ON api.rate_limit_usage TO org_owner, system_admin;

CREATE VIEW api.organization_rate_limits WITH (security_invoker = true) AS
  SELECT o.id AS organization_id, app.rate_limit_per_minute(o.id) AS per_minute,
         l.organization_id IS NOT NULL AS is_override
    FROM app.organizations o LEFT JOIN app.organization_rate_limits l ON l.organization_id = o.id;
COMMENT ON VIEW api.organization_rate_limits IS $$Each organization's effective capture limit (events per minute, 0 = unlimited)$$;
GRANT SELECT ON api.organization_rate_limits TO org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed, PostgREST's cast would answer 22P02/22007 before the body runs
CREATE FUNCTION api.set_rate_limit(organization_id text, per_minute integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.rate_limit_set(app.uuid_of(set_rate_limit.organization_id, 'organization_id'), set_rate_limit.per_minute);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.set_rate_limit(text, integer) IS $$Set an organization's capture limit (system admins)

Events per minute the organization may capture; 0 lifts the limit. Returns the new limit.

Parameters:
- organization_id: the organization (UUID)
- per_minute: events accepted per minute (integer; 0 lifts the limit)

Errors: QV001 400 (organization_id not a UUID, named in details), QV001 400 (a negative number), QN001 404 (organization not found), 403 for a role other than system_admin (not granted).

Example: curl -X POST "$API/rpc/set_rate_limit" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"organization_id": "uuid", "per_minute": 600}'$$;
GRANT EXECUTE ON FUNCTION api.set_rate_limit(text, integer) TO system_admin;
