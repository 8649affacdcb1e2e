-- Storing a submitted report: checked (app.report_input), counted against the widget's limits,
-- linked to its error, stored (cleaned by its insert trigger, db/triggers/800_reports.sql, which
-- also raises new_user_report alerts: db/triggers/700_alerts.sql), its screenshots claimed, and a
-- status token handed out.

-- == What is stored of a report ==

-- The personal-data policy a report follows: its organization's (db/functions/app/315_personal_data*.sql).
-- A platform report (a system admin's, no organization) has none: it is scrubbed only.
CREATE OR REPLACE FUNCTION app.report_policy(p_organization_id uuid) RETURNS app.personal_data_policy
LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN p_organization_id IS NOT NULL THEN app.personal_data_policy_of(p_organization_id) END
$$;
COMMENT ON FUNCTION app.report_policy(uuid) IS 'The personal-data policy of a report''s organization (NULL for a platform report)';

-- A report's text as stored, as capture stores an event's: secrets scrubbed first (app.scrub_url
-- for a URL, else app.scrub_text), then e-mail and IP addresses kept, hashed or dropped by the
-- policy (app.personal_data_text); cut to p_limit characters (NULL: no limit) when a token or
-- [Filtered] made it longer than its column. Applying it twice changes nothing.
CREATE OR REPLACE FUNCTION app.report_stored_text(p_policy app.personal_data_policy, p_text text,
                                                  p_limit integer DEFAULT NULL, p_is_url boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_text text;
BEGIN
  IF p_text IS NULL OR p_text = '' THEN
    RETURN p_text;
  END IF;
  v_text := CASE WHEN p_is_url THEN app.scrub_url(p_text) ELSE app.scrub_text(p_text) END;
  IF p_policy.organization_id IS NOT NULL THEN
    v_text := app.personal_data_text(p_policy, v_text);
  END IF;
  RETURN app._capture_trim(v_text, p_limit);
END $$;
COMMENT ON FUNCTION app.report_stored_text(app.personal_data_policy, text, integer, boolean) IS
  'A report''s text or URL scrubbed, then its personal data kept, hashed or dropped by the policy, cut to p_limit';

CREATE OR REPLACE FUNCTION app.report_stored_json(p_policy app.personal_data_policy, p_value jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_value jsonb;
BEGIN
  IF p_value IS NULL THEN
    RETURN NULL;
  END IF;
  v_value := app.scrub_jsonb(p_value);
  RETURN CASE WHEN p_policy.organization_id IS NULL THEN v_value ELSE app.personal_data_jsonb(p_policy, v_value) END;
END $$;
COMMENT ON FUNCTION app.report_stored_json(app.personal_data_policy, jsonb) IS
  'A report''s browser_info scrubbed, then its personal data kept, hashed or dropped by the policy';

-- The screenshot ids a report's screenshot_urls name (URLs pgwarden web answered an upload with).
CREATE OR REPLACE FUNCTION app.report_screenshot_ids(p_urls text[]) RETURNS uuid[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT (regexp_match(u, '/reports/screenshots/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$'))[1]::uuid)
                    FILTER (WHERE u ~ '/reports/screenshots/[0-9a-f-]{36}$'), '{}')
    FROM unnest(p_urls) u
$$;
COMMENT ON FUNCTION app.report_screenshot_ids(text[]) IS 'The ids of pgwarden screenshots among a report''s screenshot URLs';

-- A status token: handed to the reporter once; only its SHA-256 is kept.
CREATE OR REPLACE FUNCTION app.report_status_token_hash(p_token text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to(p_token, 'UTF8'))
$$;
COMMENT ON FUNCTION app.report_status_token_hash(text) IS 'The stored form of a report''s status token (SHA-256)';

-- The caller comes from app.report_caller; p_client is the client address (app.report_client_address).
-- Returns {result: {id, status, status_token, linked, created_at}} or {error: {code, message,
-- details, hint[, retry_after]}}.
CREATE OR REPLACE FUNCTION app.report_submit(
  p_organization_id uuid, p_project_id bigint, p_reporter_type app.reporter_type_enum, p_reporter_id uuid,
  p_body jsonb, p_client text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_input record;
  v_report app.user_error_reports;
  v_limited jsonb;
  v_link record;
  v_token text := encode(gen_random_bytes(24), 'hex');
  v_policy app.personal_data_policy;
BEGIN
  v_input := app.report_input(p_body);
  IF v_input.problem IS NOT NULL THEN
    RETURN jsonb_build_object('error', v_input.problem);
  END IF;
  -- widget submissions (customers) are counted; people with a token are not
  IF p_reporter_type = 'customer' AND p_project_id IS NOT NULL THEN
    v_limited := app.report_rate_take(p_project_id, 'report', p_client);
    IF v_limited IS NOT NULL THEN
      RETURN jsonb_build_object('error', v_limited);
    END IF;
  END IF;
  IF v_input.honeypot THEN  -- answered like a report, stored nowhere
    RETURN jsonb_build_object('result', jsonb_build_object('id', gen_random_uuid(), 'status', 'open', 'status_token', v_token,
                                                           'linked', false, 'created_at', now()));
  END IF;

  v_report := v_input.report;
  -- the report's context as it will be stored, as its error's was: what the rules compare
  v_policy := app.report_policy(p_organization_id);
  v_link := app.report_link_find(p_organization_id, v_report.event_id,
                                 app.report_stored_text(v_policy, v_report.session_id, app.report_limit('session_id')),
                                 app.report_stored_text(v_policy, v_report.request_id, app.report_limit('request_id')),
                                 app.report_stored_text(v_policy, v_report.url, app.report_limit('url'), true), now());
  INSERT INTO app.user_error_reports (
    report_type, priority, reporter_type, reporter_id, reporter_email, reporter_name, organization_id,
    title, description, steps_to_reproduce, expected_behavior, actual_behavior, url, browser_info, screenshot_urls,
    linked_error_id, project_id, event_id, session_id, request_id, link_reason, status_token_hash)
  SELECT v_report.report_type, v_report.priority, p_reporter_type, p_reporter_id,
         coalesce(v_report.reporter_email, u.email), coalesce(v_report.reporter_name, u.name), p_organization_id,
         v_report.title, v_report.description, v_report.steps_to_reproduce, v_report.expected_behavior,
         v_report.actual_behavior, v_report.url, v_report.browser_info, v_report.screenshot_urls,
         v_link.error_id, p_project_id, v_report.event_id, v_report.session_id, v_report.request_id, v_link.reason,
         app.report_status_token_hash(v_token)
    FROM (SELECT) AS one
    LEFT JOIN app.users u ON u.id = p_reporter_id
  RETURNING * INTO v_report;

  -- the screenshots it names, uploaded for the same organization and not claimed yet
  UPDATE app.report_screenshots s SET report_id = v_report.id
   WHERE s.id = ANY (app.report_screenshot_ids(v_report.screenshot_urls)) AND s.report_id IS NULL
     AND s.organization_id IS NOT DISTINCT FROM v_report.organization_id;

  RETURN jsonb_build_object('result', jsonb_build_object(
    'id', v_report.id, 'status', v_report.status, 'status_token', v_token,
    'linked', v_report.linked_error_id IS NOT NULL, 'created_at', v_report.created_at));
END $$;
COMMENT ON FUNCTION app.report_submit(uuid, bigint, app.reporter_type_enum, uuid, jsonb, text) IS
  'Check, count, link and store one report; {result: {id, status, status_token, linked, created_at}} or {error}';

-- A submission as it arrived over HTTP, through PostgREST (api.submit_report, from its headers) or
-- pgwarden web (POST /reports/submit, the widget's way: the key in the URL so a browser's preflight
-- can be answered per key): the caller, the body's size (the same limit PostgREST's pre-request
-- hook applies), then app.report_submit. Problems carry their HTTP status for pgwarden web.
CREATE OR REPLACE FUNCTION app.report_submit_request(
  p_widget_key text, p_origin text, p_forwarded_for text, p_peer text, p_role text, p_organization_id uuid,
  p_user_id uuid, p_body text)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_caller record;
  v_outcome jsonb;
  v_limit integer := app.request_body_limit('/rpc/submit_report');
BEGIN
  v_caller := app.report_caller(p_widget_key, p_origin, p_role, p_organization_id, p_user_id);
  IF v_caller.problem IS NOT NULL THEN
    v_outcome := jsonb_build_object('error', v_caller.problem);
  ELSIF octet_length(p_body) > v_limit THEN
    v_outcome := jsonb_build_object('error', app._capture_problem('QV003', 'body', 'request body too large',
                                                                  format('Send at most %s bytes.', v_limit)));
  ELSE
    v_outcome := app.report_submit(v_caller.organization_id, v_caller.project_id, v_caller.reporter_type,
                                   v_caller.reporter_id, (app.json_repair(p_body)).document,
                                   app.report_client_address(p_forwarded_for, p_peer));
  END IF;
  IF v_outcome ? 'error' THEN
    RETURN jsonb_build_object('error', app.problem(v_outcome -> 'error' ->> 'code', v_outcome -> 'error' ->> 'message',
                                                   v_outcome -> 'error' ->> 'details', v_outcome -> 'error' ->> 'hint',
                                                   (v_outcome -> 'error' ->> 'retry_after')::integer));
  END IF;
  RETURN v_outcome;
END $$;
COMMENT ON FUNCTION app.report_submit_request(text, text, text, text, text, uuid, uuid, text) IS
  'One report submission as it arrived (widget key and Origin, or a token''s role, organization and user; the client address; the body): {result} or {error} with its http_status';
GRANT EXECUTE ON FUNCTION app.report_submit_request(text, text, text, text, text, uuid, uuid, text) TO pgwarden_web;

-- What a reporter may see of their own report, by its status token.
CREATE OR REPLACE FUNCTION app.report_status_of(p_token text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_status jsonb;
BEGIN
  SELECT jsonb_build_object('id', r.id, 'title', r.title, 'status', r.status, 'created_at', r.created_at,
                            'updated_at', r.updated_at, 'resolved_at', r.resolved_at)
    INTO v_status
    FROM app.user_error_reports r
   WHERE r.status_token_hash = app.report_status_token_hash(btrim(p_token)) AND p_token ~ '^\s*[0-9a-f]{48}\s*$';
  IF v_status IS NULL THEN
    RAISE EXCEPTION 'report not found' USING ERRCODE = 'QN801', DETAIL = 'Field: token.',
      HINT = 'Use the status_token the submission answered with.';
  END IF;
  RETURN v_status;
END $$;
COMMENT ON FUNCTION app.report_status_of(text) IS 'A report''s status as its reporter sees it (by status token): id, title, status, times';
GRANT EXECUTE ON FUNCTION app.report_status_of(text) TO anon, staff, org_owner, system_admin;
