-- Assigning an error group to a person of its organization (or to nobody). Invoker rights: org
-- owners and staff reach only their organization's errors (RLS), so another organization's error
-- reads as not found, and they see only their organization's people to assign.

CREATE OR REPLACE FUNCTION app.error_assign(p_error_id uuid, p_assignee text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_group app.system_errors := app._error_for_update(p_error_id);
  v_before uuid := v_group.assigned_to;
  v_user uuid;
BEGIN
  IF nullif(btrim(p_assignee), '') IS NOT NULL THEN
    v_user := app.assignable_user(v_group.organization_id, p_assignee);
    IF v_user IS NULL THEN
      RAISE EXCEPTION 'user % not found', left(p_assignee, 100) USING ERRCODE = 'QN371', DETAIL = 'Field: user_id.',
        HINT = 'Assign a user of the error''s organization (by id or e-mail).';
    END IF;
  END IF;
  IF v_user IS DISTINCT FROM v_before THEN
    UPDATE app.system_errors s SET assigned_to = v_user WHERE s.id = p_error_id RETURNING * INTO v_group;
    INSERT INTO app.error_assignment_history (error_id, organization_id, from_user, to_user, changed_by)
    VALUES (p_error_id, v_group.organization_id, v_before, v_user,
            (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()));
  END IF;
  RETURN jsonb_build_object('id', v_group.id, 'assigned_to', v_group.assigned_to, 'previous_assignee', v_before);
END $$;
COMMENT ON FUNCTION app.error_assign(uuid, text) IS
  'Assign an error group to a user of its organization (id or e-mail), or unassign it (NULL); records history';
GRANT EXECUTE ON FUNCTION app.error_assign(uuid, text) TO staff, org_owner, system_admin;
