-- error_id as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 first
CREATE FUNCTION api.update_error_status(error_id text, status text, note text DEFAULT NULL,
                                        in_next_release boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.error_status_change(app.uuid_of(update_error_status.error_id, 'error_id'), update_error_status.status,
                                 update_error_status.note, coalesce(update_error_status.in_next_release, false));
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.update_error_status(text, text, text, boolean) IS $$Change an error's status

Work on an open error (new, investigating, identified, fixing, recurring) by moving it to
investigating, identified, fixing, resolved or ignored; reopen a resolved or ignored error with
status new; resolved <-> ignored is allowed too. recurring is set only by a new event on a resolved
error. The same status again changes nothing. Resolving sets resolved_at and resolved_by (your user).
With in_next_release (status resolved only) the error is resolved in the next release: the
organization's current release is recorded (resolved_in_release), and only an event of a newer
release makes it recurring; late events of that release or older ones leave it resolved. Releases
are ordered by semver when both parse, else by when each was first seen (an event or a deploy).
The note goes into the status history. 404 for an error you cannot see, 409 for a transition that is
not allowed.

Parameters:
- error_id: the error group (UUID)
- status: new, investigating, identified, fixing, resolved or ignored (text)
- note: optional note for the status history (text)
- in_next_release: resolve in the next release (boolean, default false; status resolved only)

Errors: QV002 400 (status missing), QV001 400 (unknown status, error_id not a UUID, or in_next_release without resolved), QN001 404 (error not found or not yours), QS001 409 (transition not allowed), QSR01 409 (in_next_release, but no release is known yet).

Example: curl -X POST "$API/rpc/update_error_status" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"error_id": "uuid", "status": "resolved", "note": "fixed in 1.4.2"}'$$;
GRANT EXECUTE ON FUNCTION api.update_error_status(text, text, text, boolean) TO staff, org_owner, system_admin;

CREATE VIEW api.error_status_history WITH (security_invoker = true) AS
  SELECT h.id, h.error_id, h.organization_id, h.from_status, h.to_status, h.note, h.changed_by, h.changed_at
    FROM app.error_status_history h;
COMMENT ON VIEW api.error_status_history IS 'Status changes of error groups: by people (with note) and by ingest (regressions)';
GRANT SELECT ON api.error_status_history TO staff, org_owner, system_admin;
