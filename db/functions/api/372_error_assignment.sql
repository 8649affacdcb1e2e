-- ids as text, read by app.uuid_of and app.assignable_user: typed uuid, PostgREST's cast would answer 22P02 first
CREATE FUNCTION api.assign_error(error_id text, user_id text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.error_assign(app.uuid_of(assign_error.error_id, 'error_id'), assign_error.user_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.assign_error(text, text) IS $$Assign an error to a person, or to nobody

user_id: a user of the error's organization (or a system admin); NULL unassigns. The same assignee
again changes nothing; every change is kept in /error_assignment_history with who made it. Returns
{id, assigned_to, previous_assignee}. 404 for an error you cannot see or a user not of its organization.

Parameters:
- error_id: the error group (UUID)
- user_id: the person to assign (UUID or e-mail address; omitted or null = nobody)

Errors: QV001 400 (error_id is not a UUID), QN001 404 (error not found), QN371 404 (user not in the error's organization).

Example: curl -X POST "$API/rpc/assign_error" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"error_id": "uuid", "user_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.assign_error(text, text) TO staff, org_owner, system_admin;

CREATE VIEW api.error_assignment_history WITH (security_invoker = true) AS
  SELECT h.id, h.error_id, h.organization_id, h.from_user, h.to_user, h.changed_by, h.changed_at
    FROM app.error_assignment_history h;
COMMENT ON VIEW api.error_assignment_history IS 'Who error groups were assigned to, and by whom';
GRANT SELECT ON api.error_assignment_history TO staff, org_owner, system_admin;
