-- Working the reports queue: status (allowed moves: app.report_status_transition), assignee,
-- duplicate pointer; a history row per change. Invoker rights: org owners reach only their
-- organization's reports (RLS), so another organization's report reads as not found; staff read
-- but do not work the queue (no UPDATE); the command line runs as the superuser.

-- What a report the caller cannot see (or that does not exist) answers: p_field names the argument.
CREATE OR REPLACE FUNCTION app._report_not_found(p_report_id uuid, p_field text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE EXCEPTION 'report % not found', p_report_id USING ERRCODE = 'QN801',
    DETAIL = format('Field: %s.', p_field), HINT = 'Use the id of a report of your organization.';
END $$;
COMMENT ON FUNCTION app._report_not_found(uuid, text) IS 'Raise QN801 for a report the caller cannot see';

-- The report to change, locked; QN801 when the caller cannot see it.
CREATE OR REPLACE FUNCTION app._report_for_update(p_report_id uuid) RETURNS app.user_error_reports
LANGUAGE plpgsql AS $$
DECLARE
  v_report app.user_error_reports;
BEGIN
  SELECT * INTO v_report FROM app.user_error_reports r WHERE r.id = p_report_id FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM app._report_not_found(p_report_id, 'report_id');
  END IF;
  RETURN v_report;
END $$;
COMMENT ON FUNCTION app._report_for_update(uuid) IS 'Lock a report the caller may work on; QN801 if it cannot see it';

-- The user making a change, when the request names one that exists (NULL on the command line).
CREATE OR REPLACE FUNCTION app._report_actor() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()
$$;
COMMENT ON FUNCTION app._report_actor() IS 'The users row of the caller, or NULL';

CREATE OR REPLACE FUNCTION app._report_history_add(p_report app.user_error_reports, p_change text, p_from text,
                                                   p_to text, p_note text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO app.user_error_report_history (report_id, organization_id, change, from_value, to_value, note, changed_by)
  VALUES (p_report.id, p_report.organization_id, p_change, p_from, p_to, nullif(btrim(p_note), ''), app._report_actor())
$$;
COMMENT ON FUNCTION app._report_history_add(app.user_error_reports, text, text, text, text) IS 'Record one change of a report';

-- Notes given with a change, trimmed (NULL when blank); QV801 over their limit.
CREATE OR REPLACE FUNCTION app._report_notes(p_notes text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF length(p_notes) > app.report_limit('resolution_notes') THEN
    RAISE EXCEPTION 'notes are too long' USING ERRCODE = 'QV801', DETAIL = 'Field: notes.',
      HINT = format('Use at most %s characters.', app.report_limit('resolution_notes'));
  END IF;
  RETURN nullif(btrim(p_notes), '');
END $$;
COMMENT ON FUNCTION app._report_notes(text) IS 'Notes of a report change, trimmed, NULL when blank; QV801 when too long';

-- The one place a status is entered: resolved_at is when the report left the queue (resolved,
-- closed or duplicate), cleared on reopening; notes, when given, become its resolution_notes.
CREATE OR REPLACE FUNCTION app._report_move(p_report app.user_error_reports, p_to app.report_status_enum,
                                            p_duplicate_of uuid, p_notes text) RETURNS app.user_error_reports
LANGUAGE plpgsql AS $$
DECLARE
  v_report app.user_error_reports;
BEGIN
  IF NOT EXISTS (SELECT FROM app.report_status_transition t
                  WHERE t.from_status = coalesce(p_report.status, 'open') AND t.to_status = p_to) THEN
    RAISE EXCEPTION 'cannot change report status from % to %', coalesce(p_report.status, 'open'), p_to
      USING ERRCODE = 'QS801', DETAIL = format('Report %s is %s.', p_report.id, coalesce(p_report.status, 'open')),
      HINT = 'Reopen it first (status open); a resolved report may also be closed.';
  END IF;
  UPDATE app.user_error_reports r
     SET status = p_to, duplicate_of = p_duplicate_of,
         resolved_at = CASE WHEN p_to IN ('resolved', 'closed', 'duplicate') THEN now() END,
         resolution_notes = coalesce(nullif(btrim(p_notes), ''), r.resolution_notes)
   WHERE r.id = p_report.id
  RETURNING * INTO v_report;
  -- the note as stored on the report: cleaned by its trigger like all of a report's text
  PERFORM app._report_history_add(v_report, 'status', coalesce(p_report.status, 'open')::text, p_to::text,
                                  CASE WHEN nullif(btrim(p_notes), '') IS NOT NULL THEN v_report.resolution_notes END);
  IF p_report.duplicate_of IS DISTINCT FROM p_duplicate_of THEN
    PERFORM app._report_history_add(v_report, 'duplicate_of', p_report.duplicate_of::text, p_duplicate_of::text, NULL);
  END IF;
  RETURN v_report;
END $$;
COMMENT ON FUNCTION app._report_move(app.user_error_reports, app.report_status_enum, uuid, text) IS
  'Move a report to a status the transitions allow (QS801 if not), with its duplicate pointer, resolved_at and notes; records history';

-- What the queue answers with after a change.
CREATE OR REPLACE FUNCTION app._report_answer(p_report app.user_error_reports, p_previous_status app.report_status_enum)
RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('id', p_report.id, 'status', p_report.status, 'previous_status', p_previous_status,
                            'assigned_to', p_report.assigned_to, 'duplicate_of', p_report.duplicate_of,
                            'resolved_at', p_report.resolved_at, 'resolution_notes', p_report.resolution_notes)
$$;
COMMENT ON FUNCTION app._report_answer(app.user_error_reports, app.report_status_enum) IS 'A report''s workflow fields after a change';

CREATE OR REPLACE FUNCTION app.report_status_change(p_report_id uuid, p_status text, p_notes text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_to app.report_status_enum :=
    app._enum_value(p_status, enum_range(NULL::app.report_status_enum)::text[], 'status')::app.report_status_enum;
  v_report app.user_error_reports;
  v_from app.report_status_enum;
  v_notes text;
BEGIN
  IF v_to IS NULL THEN
    RAISE EXCEPTION 'status is missing' USING ERRCODE = 'QV002', DETAIL = 'Field: status.',
      HINT = 'Give the new status, e.g. in_progress or resolved.';
  END IF;
  v_notes := app._report_notes(p_notes);
  v_report := app._report_for_update(p_report_id);
  v_from := coalesce(v_report.status, 'open');
  IF v_to = 'duplicate' THEN
    RAISE EXCEPTION 'a duplicate needs its original' USING ERRCODE = 'QS801', DETAIL = 'Field: status.',
      HINT = 'Mark it with pgwarden reports duplicate ID OF_ID (api.mark_report_duplicate).';
  END IF;
  IF v_from <> v_to THEN
    v_report := app._report_move(v_report, v_to, NULL, v_notes);
  ELSIF v_notes IS NOT NULL THEN  -- the same status with new notes
    UPDATE app.user_error_reports r SET resolution_notes = v_notes WHERE r.id = p_report_id RETURNING * INTO v_report;
  END IF;
  RETURN app._report_answer(v_report, v_from);
END $$;
COMMENT ON FUNCTION app.report_status_change(uuid, text, text) IS
  'Move a report to another status (open, in_progress, pending_info, resolved, closed) if allowed; notes become resolution_notes';

-- p_assignee: a user id or e-mail address of the report's organization (or a system admin); NULL
-- or '' unassigns.
CREATE OR REPLACE FUNCTION app.report_assign(p_report_id uuid, p_assignee text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_report app.user_error_reports := app._report_for_update(p_report_id);
  v_user uuid;
  v_before uuid := v_report.assigned_to;
BEGIN
  IF nullif(btrim(p_assignee), '') IS NOT NULL THEN
    v_user := app.assignable_user(v_report.organization_id, p_assignee);
    IF v_user IS NULL THEN
      RAISE EXCEPTION 'user % not found', left(p_assignee, 100) USING ERRCODE = 'QN803', DETAIL = 'Field: user_id.',
        HINT = 'Assign a user of the report''s organization (by id or e-mail).';
    END IF;
  END IF;
  IF v_user IS DISTINCT FROM v_before THEN
    UPDATE app.user_error_reports r SET assigned_to = v_user WHERE r.id = p_report_id RETURNING * INTO v_report;
    PERFORM app._report_history_add(v_report, 'assigned_to', v_before::text, v_user::text, NULL);
  END IF;
  RETURN app._report_answer(v_report, v_report.status);
END $$;
COMMENT ON FUNCTION app.report_assign(uuid, text) IS 'Assign a report to a user of its organization (id or e-mail), or unassign it (NULL)';

-- A duplicate points at the original of its original: chains never form, and a report can be a
-- duplicate of neither itself nor a report of another organization.
CREATE OR REPLACE FUNCTION app.report_mark_duplicate(p_report_id uuid, p_original_id uuid, p_notes text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_report app.user_error_reports := app._report_for_update(p_report_id);
  v_from app.report_status_enum := coalesce(v_report.status, 'open');
  v_original app.user_error_reports;
BEGIN
  SELECT * INTO v_original FROM app.user_error_reports r WHERE r.id = p_original_id;
  IF NOT FOUND THEN
    PERFORM app._report_not_found(p_original_id, 'duplicate_of');
  END IF;
  IF v_original.status = 'duplicate' AND v_original.duplicate_of IS NOT NULL THEN
    SELECT * INTO v_original FROM app.user_error_reports r WHERE r.id = v_original.duplicate_of;
  END IF;
  IF v_original.id = v_report.id OR v_original.organization_id IS DISTINCT FROM v_report.organization_id THEN
    RAISE EXCEPTION 'report cannot be a duplicate of %', p_original_id USING ERRCODE = 'QS802',
      DETAIL = 'Field: duplicate_of.', HINT = 'Point at another report of the same organization.';
  END IF;
  IF v_from = 'duplicate' THEN
    RAISE EXCEPTION 'report is already a duplicate' USING ERRCODE = 'QS801',
      DETAIL = format('Report %s is a duplicate of %s.', v_report.id, v_report.duplicate_of),
      HINT = 'Reopen it first (status open).';
  END IF;
  v_report := app._report_move(v_report, 'duplicate', v_original.id, app._report_notes(p_notes));
  -- its own duplicates now point at the original too
  UPDATE app.user_error_reports r SET duplicate_of = v_original.id WHERE r.duplicate_of = v_report.id;
  RETURN app._report_answer(v_report, v_from);
END $$;
COMMENT ON FUNCTION app.report_mark_duplicate(uuid, uuid, text) IS
  'Mark a report as a duplicate of another of its organization (pointing at the original''s original); records history';

-- == Reading the queue ==

CREATE OR REPLACE FUNCTION app.report_list(p_status text DEFAULT NULL, p_organization_id uuid DEFAULT NULL,
                                           p_limit integer DEFAULT 50)
RETURNS TABLE (id uuid, organization_id uuid, status app.report_status_enum, priority app.priority_enum,
               report_type app.report_type_enum, reporter_type app.reporter_type_enum, assigned_to uuid,
               linked_error_id uuid, created_at timestamptz, title text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_status text := app._enum_value(p_status, enum_range(NULL::app.report_status_enum)::text[], 'status');
BEGIN
  RETURN QUERY
  SELECT r.id, r.organization_id, r.status, r.priority, r.report_type, r.reporter_type, r.assigned_to,
         r.linked_error_id, r.created_at, r.title::text
    FROM app.user_error_reports r
   WHERE (v_status IS NULL OR r.status = v_status::app.report_status_enum)
     AND (p_organization_id IS NULL OR r.organization_id = p_organization_id)
   ORDER BY r.created_at DESC, r.id
   LIMIT greatest(coalesce(p_limit, 50), 1);
END $$;
COMMENT ON FUNCTION app.report_list(text, uuid, integer) IS 'Reports filtered by status and organization, newest first';

CREATE OR REPLACE FUNCTION app.report_detail(p_report_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_report app.user_error_reports;
BEGIN
  SELECT * INTO v_report FROM app.user_error_reports r WHERE r.id = p_report_id;
  IF NOT FOUND THEN
    PERFORM app._report_not_found(p_report_id, 'report_id');
  END IF;
  RETURN (to_jsonb(v_report) - 'status_token_hash') || jsonb_build_object(
    'linked_error', (SELECT jsonb_build_object('id', s.id, 'message', s.message, 'error_type', s.error_type,
                                               'severity', s.severity, 'status', s.status,
                                               'occurrence_count', s.occurrence_count, 'last_seen_at', s.last_seen_at)
                       FROM app.system_errors s WHERE s.id = v_report.linked_error_id),
    'screenshots', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'media_type', s.media_type, 'width', s.width,
                                                                 'height', s.height, 'byte_size', octet_length(s.content),
                                                                 'source', s.source, 'created_at', s.created_at)
                                              ORDER BY s.created_at, s.id), '[]')
                      FROM app.report_screenshots s WHERE s.report_id = v_report.id),
    'duplicates', (SELECT coalesce(jsonb_agg(d.id ORDER BY d.created_at), '[]')
                     FROM app.user_error_reports d WHERE d.duplicate_of = v_report.id),
    'history', (SELECT coalesce(jsonb_agg(jsonb_build_object('change', h.change, 'from', h.from_value, 'to', h.to_value,
                                                             'note', h.note, 'changed_by', h.changed_by,
                                                             'changed_at', h.changed_at) ORDER BY h.id), '[]')
                  FROM app.user_error_report_history h WHERE h.report_id = v_report.id));
END $$;
COMMENT ON FUNCTION app.report_detail(uuid) IS
  'One report with its linked error, screenshots (without their bytes), duplicates and history';

GRANT EXECUTE ON FUNCTION app._report_not_found(uuid, text) TO staff, org_owner, system_admin;
GRANT EXECUTE ON FUNCTION app._report_for_update(uuid), app._report_actor(), app._report_notes(text),
  app._report_history_add(app.user_error_reports, text, text, text, text),
  app._report_move(app.user_error_reports, app.report_status_enum, uuid, text),
  app._report_answer(app.user_error_reports, app.report_status_enum),
  app.report_status_change(uuid, text, text), app.report_assign(uuid, text), app.report_mark_duplicate(uuid, uuid, text)
  TO org_owner, system_admin;
GRANT EXECUTE ON FUNCTION app.report_list(text, uuid, integer), app.report_detail(uuid)
  TO staff, org_owner, system_admin;
