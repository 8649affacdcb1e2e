-- User error reports over HTTP: customers submit through the widget (anon + widget key) and read
-- their report's status by its token; org owners and staff submit with their token; org owners
-- (their organization's) and system admins (all) work the queue. Screenshots are uploaded to and
-- served by pgwarden web (POST /reports/screenshot, GET /reports/screenshots/<id>).

-- == Submitting ==

-- The body is the one unnamed json argument (as for capture_error: named arguments would refuse
-- \u0000 before our code runs; app.json_repair replaces it).
CREATE FUNCTION api.submit_report(json) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_headers json := nullif(current_setting('request.headers', true), '')::json;
  v_outcome jsonb;
  v_error jsonb;
BEGIN
  v_outcome := app.report_submit_request(v_headers ->> 'x-pgwarden-widget-key', v_headers ->> 'origin',
                                         v_headers ->> 'x-forwarded-for', NULL, app.jwt_claim('role'),
                                         app.current_org_id(), app.current_user_id(), $1::text);
  v_error := v_outcome -> 'error';
  IF v_error IS NOT NULL THEN
    PERFORM app.raise_http(v_error ->> 'code', v_error ->> 'message', v_error ->> 'details', v_error ->> 'hint',
                           (v_error ->> 'retry_after')::integer);
  END IF;
  RETURN v_outcome -> 'result';
EXCEPTION WHEN query_canceled THEN  -- the role's statement_timeout: 429, not PostgREST's 500
  PERFORM app.raise_statement_timeout();
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.submit_report(json) IS $$Submit a user error report

Post the spec's fields: title and description (required), report_type (bug, feature_request,
performance, ui_issue, data_issue, other; default bug), priority (low, medium, high, critical; default
medium), steps_to_reproduce, expected_behavior, actual_behavior, url (http/https), browser_info (an
object of at most 4 KB), screenshot_urls (at most 5 http/https URLs; those POST /reports/screenshot
answered with attach the stored screenshots), reporter_email, reporter_name; plus optional event_id
(the Sentry event the page sent last), session_id and request_id, which link the report to its error.
Customers send the project's widget key in the X-Pgwarden-Widget-Key header from a page origin the key
allows (403 otherwise); org owners and staff report with their token. (The report widget posts to
pgwarden web's POST /reports/submit?widget_key=… instead, judged by the same SQL, so that a browser's
CORS preflight is answered from the key's allowed origins.) Who reports and for which
organization comes from the key or token, never from the body. Answers {id, status, status_token,
linked, created_at}: keep status_token to read the report's status (GET /rpc/report_status?token=…).
400 names the invalid field (limits: title 500 characters, description and steps 10,000, expected and
actual behaviour 5,000); 429 with Retry-After beyond 10 reports per 10 minutes from one address (100
through one widget key); the body may hold at most 64 KB (413). Free text is scrubbed of secrets,
and its e-mail and IP addresses follow the organization's personal-data policy, before it is stored.

Errors: QV801 400 (a field invalid, named in details), QV802 400 (required field missing), QA801 401 (widget key missing or unknown), QA802 403 (page origin not allowed), QR801 429 (too many reports).

Example: curl -X POST "$API/rpc/submit_report" -H "X-Pgwarden-Widget-Key: $WIDGET_KEY" -H "Content-Type: application/json" -d '{"title": "Save does nothing", "description": "The save button does nothing", "reporter_email": "me@example.com"}'$$;
GRANT EXECUTE ON FUNCTION api.submit_report(json) TO anon, staff, org_owner, system_admin;

CREATE FUNCTION api.report_status(token text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.report_status_of(report_status.token);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.report_status(text) IS $$A report's status, for its reporter

GET /rpc/report_status?token=<status_token from submit_report>: {id, title, status, created_at,
updated_at, resolved_at}. 404 for a token that names no report.

Parameters:
- token: the status token given to the reporter (text)

Errors: QN801 404 (no report with that token).

Example: curl -X POST "$API/rpc/report_status" -H "Content-Type: application/json" -d '{"token": "r_..."}'$$;
GRANT EXECUTE ON FUNCTION api.report_status(text) TO anon, staff, org_owner, system_admin;

-- == The queue ==

CREATE VIEW api.report_queue WITH (security_invoker = true) AS
  SELECT r.id, r.organization_id, r.project_id, r.title, r.report_type, r.priority, r.status, r.reporter_type,
         r.reporter_name, r.reporter_email, r.assigned_to, a.email AS assigned_to_email, a.name AS assigned_to_name,
         r.linked_error_id, e.message AS linked_error_message, r.link_reason, r.duplicate_of,
         (SELECT count(*) FROM app.report_screenshots s WHERE s.report_id = r.id) AS screenshot_count,
         r.url, r.created_at, r.updated_at, r.resolved_at
    FROM app.user_error_reports r
    LEFT JOIN app.users a ON a.id = r.assigned_to
    LEFT JOIN app.system_errors e ON e.id = r.linked_error_id;
COMMENT ON VIEW api.report_queue IS $$The reports queue

One row per report with its assignee, linked error and screenshot count; filter with PostgREST
(status=eq.open, priority=eq.high, assigned_to=eq.<user>, report_type=eq.bug, organization_id=eq.…)
and order by created_at. Org owners and staff see their organization's reports; system admins all.$$;
GRANT SELECT ON api.report_queue TO staff, org_owner, system_admin;

CREATE VIEW api.report_history WITH (security_invoker = true) AS
  SELECT h.id, h.report_id, h.organization_id, h.change, h.from_value, h.to_value, h.note, h.changed_by, h.changed_at
    FROM app.user_error_report_history h;
COMMENT ON VIEW api.report_history IS
  'Changes to reports: status, assignee or duplicate pointer; who (changed_by), when, from, to, and the note';
GRANT SELECT ON api.report_history TO staff, org_owner, system_admin;

CREATE VIEW api.report_screenshots WITH (security_invoker = true) AS
  SELECT s.id, s.report_id, s.organization_id, s.project_id, s.source, s.media_type, s.width, s.height,
         octet_length(s.content) AS byte_size, s.uploaded_by, s.created_at
    FROM app.report_screenshots s;
COMMENT ON VIEW api.report_screenshots IS $$Screenshots of reports (without their bytes)

The image itself is served by pgwarden web at /reports/screenshots/<id> to the organization's org
owners and staff and to system admins (Authorization: Bearer <token>).$$;
GRANT SELECT ON api.report_screenshots TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.report_detail(report_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.report_detail(app.uuid_of(report_detail.report_id, 'report_id'));
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.report_detail(text) IS $$One report, whole

The report's fields with linked_error (id, message, type, severity, status, counts), screenshots
(id, media type, size; the image at pgwarden web's /reports/screenshots/<id>), duplicates (ids of
reports marked as duplicates of it) and history. 404 for a report you cannot see.

Parameters:
- report_id: the report (UUID)

Errors: QV001 400 (report_id is not a UUID, named in details), QN801 404 (report not found or not yours).

Example: curl -X POST "$API/rpc/report_detail" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"report_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.report_detail(text) TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.update_report_status(report_id text, status text, notes text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.report_status_change(app.uuid_of(update_report_status.report_id, 'report_id'), update_report_status.status, update_report_status.notes);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.update_report_status(text, text, text) IS $$Change a report's status

open, in_progress and pending_info move freely among themselves and to resolved or closed; a
resolved, closed or duplicate report is reopened with open, and a resolved one may be closed. (A
duplicate is marked with mark_report_duplicate.) Notes (at most 10,000 characters) become the
report's resolution_notes and go into its history; resolved_at is set when it leaves the queue. Org
owners for their organization, system admins for any. 404 for a report you cannot see, 409 for a
move that is not allowed.

Parameters:
- report_id: the report (UUID)
- status: open, in_progress, pending_info, resolved, closed or duplicate (text)
- notes: optional notes (text)

Errors: QV001 400 (report_id is not a UUID, named in details), QV002 400 (status missing), QV001 400 (unknown status), QV801 400 (notes too long), QN801 404 (report not found), QS801 409 (change not allowed).

Example: curl -X POST "$API/rpc/update_report_status" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"report_id": "uuid", "status": "resolved"}'$$;
GRANT EXECUTE ON FUNCTION api.update_report_status(text, text, text) TO org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.assign_report(report_id text, user_id text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.report_assign(app.uuid_of(assign_report.report_id, 'report_id'), assign_report.user_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.assign_report(text, text) IS $$Assign a report

To a user of the report's organization (user_id), or nobody (user_id null). Recorded in its history.
404 for a report you cannot see or a user of another organization.

Parameters:
- report_id: the report (UUID)
- user_id: the person to assign (UUID; omitted or null = nobody)

Errors: QV001 400 (report_id is not a UUID, named in details), QN801 404 (report not found), QN803 404 (user not in the report's organization).

Example: curl -X POST "$API/rpc/assign_report" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"report_id": "uuid", "user_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.assign_report(text, text) TO org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.mark_report_duplicate(report_id text, duplicate_of text, notes text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.report_mark_duplicate(app.uuid_of(mark_report_duplicate.report_id, 'report_id'), app.uuid_of(mark_report_duplicate.duplicate_of, 'duplicate_of'),
                                   mark_report_duplicate.notes);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.mark_report_duplicate(text, text, text) IS $$Mark a report as a duplicate

Sets its status to duplicate and duplicate_of to the original (the original's own original when that
is a duplicate too; reports that were duplicates of this one follow). 409 for itself, a report of
another organization, or a report that is a duplicate already; 404 for reports you cannot see.

Parameters:
- report_id: the duplicate report (UUID)
- duplicate_of: the original report (UUID)
- notes: optional notes (text)

Errors: QV001 400 (report_id or duplicate_of is not a UUID, named in details), QN801 404 (a report not found), QS801 409 (already a duplicate), QS802 409 (cannot be a duplicate of that report).

Example: curl -X POST "$API/rpc/mark_report_duplicate" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"report_id": "uuid", "duplicate_of": "uuid2"}'$$;
GRANT EXECUTE ON FUNCTION api.mark_report_duplicate(text, text, text) TO org_owner, system_admin;

-- == Widget keys ==

CREATE VIEW api.widget_keys WITH (security_invoker = true) AS
  SELECT w.project_id, w.organization_id, w.widget_key, w.allowed_origins, w.created_at, w.updated_at
    FROM app.project_widget_keys w;
COMMENT ON VIEW api.widget_keys IS 'The report widget''s key of each project and the page origins allowed to use it';
GRANT SELECT ON api.widget_keys TO staff, org_owner, system_admin;

CREATE FUNCTION api.set_widget_key(project_id bigint, allowed_origins text[] DEFAULT NULL, rotate boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.widget_key_set(set_widget_key.project_id, set_widget_key.allowed_origins, set_widget_key.rotate);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.set_widget_key(bigint, text[], boolean) IS $$Create, rotate or configure a project's widget key

Returns {project_id, widget_key, allowed_origins}: the key is created on first call (a new one with
rotate), the allowed origins replaced when allowed_origins is given (as browsers send them: https://shop.example.com).
Org owners for their organization's projects, system admins for any.

Parameters:
- project_id: the project (integer)
- allowed_origins: page origins allowed to post, e.g. https://example.com (array of text; omitted = unchanged)
- rotate: true for a new key (boolean, default false)

Errors: QV804 400 (an origin invalid), QN001 404 (project not found or not yours).

Example: curl -X POST "$API/rpc/set_widget_key" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"project_id": 1, "allowed_origins": ["https://example.com"]}'$$;
GRANT EXECUTE ON FUNCTION api.set_widget_key(bigint, text[], boolean) TO org_owner, system_admin;

CREATE FUNCTION api.revoke_widget_key(project_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.widget_key_revoke(revoke_widget_key.project_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.revoke_widget_key(bigint) IS $$Revoke a project's widget key

Pages that embed the key can no longer submit reports (401) until a new key is made with
set_widget_key. Returns true when the project had a key. Org owners for their organization's
projects, system admins for any; 404 for a project you cannot see.

Parameters:
- project_id: the project (integer)

Errors: QN001 404 (project not found or not yours).

Example: curl -X POST "$API/rpc/revoke_widget_key" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"project_id": 1}'$$;
GRANT EXECUTE ON FUNCTION api.revoke_widget_key(bigint) TO org_owner, system_admin;
