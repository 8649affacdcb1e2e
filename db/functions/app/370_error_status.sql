-- Changing an error's status (allowed transitions: app.error_status_transition). Invoker
-- rights: org owners and staff can only reach their organization's errors (RLS), so another
-- organization's error reads as not found.

-- Lock an error group the caller may work on (RLS: their organization's); QN001 if they cannot see it.
CREATE OR REPLACE FUNCTION app._error_for_update(p_error_id uuid) RETURNS app.system_errors
LANGUAGE plpgsql AS $$
DECLARE
  v_group app.system_errors;
BEGIN
  SELECT * INTO v_group FROM app.system_errors s WHERE s.id = p_error_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'error % not found', p_error_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: error_id.', HINT = 'Use the id of an error of your organization.';
  END IF;
  RETURN v_group;
END $$;
COMMENT ON FUNCTION app._error_for_update(uuid) IS 'Lock an error group the caller may change; QN001 if it cannot see it';
GRANT EXECUTE ON FUNCTION app._error_for_update(uuid) TO staff, org_owner, system_admin;

-- p_in_next_release (status resolved only): resolved in the next release, recording the
-- organization's current release (app.release_current); then only an event of a newer release
-- regresses it (db/triggers/350_events.sql), stragglers of that release or older ones do not.
DROP FUNCTION IF EXISTS app.error_status_change(uuid, text, text);  -- (before resolving in the next release)
CREATE OR REPLACE FUNCTION app.error_status_change(p_error_id uuid, p_status text, p_note text DEFAULT NULL,
                                                   p_in_next_release boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_to app.error_status_enum :=
    app._enum_value(p_status, enum_range(NULL::app.error_status_enum)::text[], 'status')::app.error_status_enum;
  v_from app.error_status_enum;
  v_user_id uuid := (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id());
  v_group app.system_errors;
  v_release text;
BEGIN
  IF v_to IS NULL THEN
    RAISE EXCEPTION 'status is missing' USING ERRCODE = 'QV002', DETAIL = 'Field: status.',
      HINT = 'Give the new status, e.g. resolved.';
  END IF;
  IF p_in_next_release AND v_to <> 'resolved' THEN
    RAISE EXCEPTION 'only resolved can wait for the next release' USING ERRCODE = 'QV001', DETAIL = 'Field: in_next_release.',
      HINT = 'Send status resolved with in_next_release, or leave in_next_release out.';
  END IF;
  v_group := app._error_for_update(p_error_id);
  v_from := v_group.status;
  IF p_in_next_release THEN
    v_release := app.release_current(v_group.organization_id);
    IF v_release IS NULL THEN
      RAISE EXCEPTION 'no release is known for this organization' USING ERRCODE = 'QSR01',
        DETAIL = format('Error %s: no event or deploy of its organization names a release.', p_error_id),
        HINT = 'Send the release with your events (the SDK''s release option) or record a deploy (pgwarden deploy); or resolve it plainly.';
    END IF;
  END IF;
  IF v_from IS DISTINCT FROM v_to OR v_release IS DISTINCT FROM v_group.resolved_in_release THEN
    IF v_from IS DISTINCT FROM v_to  -- (resolved again, in the next release or plainly, is no transition)
       AND NOT EXISTS (SELECT FROM app.error_status_transition t WHERE t.from_status = v_from AND t.to_status = v_to) THEN
      RAISE EXCEPTION 'cannot change status from % to %', v_from, v_to USING ERRCODE = 'QS001',
        DETAIL = format('Error %s is %s.', p_error_id, v_from),
        HINT = CASE WHEN v_to = 'recurring' THEN 'Only a new event makes a resolved error recurring.'
                    ELSE 'Reopen it first (status new), or resolve or ignore it.' END;
    END IF;
    UPDATE app.system_errors s
       SET status = v_to,
           resolved_at = CASE WHEN v_to = 'resolved' THEN now() END,
           resolved_by = CASE WHEN v_to = 'resolved' THEN v_user_id END,
           resolved_in_release = v_release
     WHERE s.id = p_error_id
    RETURNING * INTO v_group;
    INSERT INTO app.error_status_history (error_id, organization_id, from_status, to_status, note, changed_by)
    VALUES (p_error_id, v_group.organization_id, v_from, v_to,
            nullif(concat_ws(' ', p_note, CASE WHEN v_release IS NOT NULL THEN format('(in the release after %s)', v_release) END), ''),
            v_user_id);
  END IF;
  RETURN jsonb_build_object('id', v_group.id, 'status', v_group.status, 'previous_status', v_from,
                            'resolved_at', v_group.resolved_at, 'resolved_by', v_group.resolved_by,
                            'resolved_in_release', v_group.resolved_in_release);
END $$;
COMMENT ON FUNCTION app.error_status_change(uuid, text, text, boolean) IS
  'Move an error group to a new status if the transition is allowed (QS001 if not, QN001 if unseen), or resolve it in the next release (QSR01 without a release); records history';
GRANT EXECUTE ON FUNCTION app.error_status_change(uuid, text, text, boolean) TO staff, org_owner, system_admin;
