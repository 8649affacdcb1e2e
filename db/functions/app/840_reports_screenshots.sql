-- Screenshots (app.report_screenshots). pgwarden web reads the upload and checks it is an image
-- (magic bytes and decoded dimensions, with Pillow: workers/web/screenshots.py), then calls these
-- with what it verified: the caller's widget key and origin, or the role, organization and user of
-- the token it verified. Who may store and read decides here.

-- The caller as pgwarden web verified it; problems carry their HTTP status.
CREATE OR REPLACE FUNCTION app.report_screenshot_store(
  p_widget_key text, p_origin text, p_forwarded_for text, p_peer text, p_role text, p_organization_id uuid,
  p_user_id uuid, p_media_type text, p_width integer, p_height integer, p_content bytea)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_caller record;
  v_problem jsonb;
  v_id uuid;
BEGIN
  v_caller := app.report_caller(p_widget_key, p_origin, p_role, p_organization_id, p_user_id);
  v_problem := v_caller.problem;
  IF v_problem IS NULL AND v_caller.reporter_type = 'customer' THEN
    v_problem := app.report_rate_take(v_caller.project_id, 'screenshot', app.report_client_address(p_forwarded_for, p_peer));
  END IF;
  IF v_problem IS NOT NULL THEN
    RETURN jsonb_build_object('error', app.problem(v_problem ->> 'code', v_problem ->> 'message', v_problem ->> 'details',
                                                   v_problem ->> 'hint', (v_problem ->> 'retry_after')::integer));
  END IF;
  INSERT INTO app.report_screenshots (organization_id, project_id, source, media_type, width, height, content, uploaded_by)
  VALUES (v_caller.organization_id, v_caller.project_id, 'upload', p_media_type, p_width, p_height, p_content,
          v_caller.reporter_id)
  RETURNING id INTO v_id;
  RETURN jsonb_build_object('id', v_id);
END $$;
COMMENT ON FUNCTION app.report_screenshot_store(text, text, text, text, text, uuid, uuid, text, integer, integer, bytea) IS
  'Store a checked screenshot for the caller (widget key + origin, rate-limited; or a verified token): {id} or {error}';
GRANT EXECUTE ON FUNCTION app.report_screenshot_store(text, text, text, text, text, uuid, uuid, text, integer, integer, bytea)
  TO pgwarden_web;

-- A screenshot for a verified token: system admins any, org owners and staff their
-- organization's; nothing otherwise (answered as not found, whoever asks).
CREATE OR REPLACE FUNCTION app.report_screenshot_fetch(p_screenshot_id uuid, p_role text, p_organization_id uuid)
RETURNS TABLE (media_type text, content bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
  SELECT s.media_type, s.content FROM app.report_screenshots s
   WHERE s.id = p_screenshot_id
     AND (p_role = 'system_admin' OR (p_role IN ('org_owner', 'staff') AND s.organization_id = p_organization_id))
$$;
COMMENT ON FUNCTION app.report_screenshot_fetch(uuid, text, uuid) IS
  'A screenshot''s media type and bytes for a verified caller of its organization (or a system admin); no row otherwise';
GRANT EXECUTE ON FUNCTION app.report_screenshot_fetch(uuid, text, uuid) TO pgwarden_web;

-- Every ten minutes (pg_cron): screenshots no report claimed within a day, and spent rate windows.
CREATE OR REPLACE FUNCTION app.reports_prune() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_screenshots integer;
  v_windows integer;
BEGIN
  DELETE FROM app.report_screenshots s WHERE s.report_id IS NULL AND s.created_at < now() - interval '1 day';
  GET DIAGNOSTICS v_screenshots = ROW_COUNT;
  DELETE FROM app.report_rate_usage u
   WHERE u.window_start < now() - make_interval(secs => (SELECT max(l.window_seconds) FROM app.report_rate_limit l));
  GET DIAGNOSTICS v_windows = ROW_COUNT;
  RETURN jsonb_build_object('unclaimed_screenshots', v_screenshots, 'rate_windows', v_windows);
END $$;
COMMENT ON FUNCTION app.reports_prune() IS 'Delete screenshots no report claimed within a day and spent widget rate windows';

-- == Widget keys ==

-- Create a project's widget key (or a new one with p_rotate) and, when p_origins is given, replace
-- its allowed origins (each normalized; QV804 names one that is not an http(s) origin).
-- Invoker rights: org owners see (RLS) and write their organization's projects' keys only.
CREATE OR REPLACE FUNCTION app.widget_key_set(p_project_id bigint, p_origins text[] DEFAULT NULL, p_rotate boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_key app.project_widget_keys;
  v_organization_id uuid;
  v_bad text;
  v_origins text[];
BEGIN
  SELECT p.organization_id INTO v_organization_id FROM app.projects p WHERE p.id = p_project_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'project % not found', p_project_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: project_id.', HINT = 'Use the id of a project of your organization.';
  END IF;
  SELECT o INTO v_bad FROM unnest(p_origins) o WHERE app.origin_normal(o) IS NULL LIMIT 1;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'not an origin: %', left(v_bad, 200) USING ERRCODE = 'QV804', DETAIL = 'Field: allowed_origins.',
      HINT = 'Give origins as the browser sends them: https://shop.example.com or http://localhost:8080.';
  END IF;
  v_origins := ARRAY(SELECT DISTINCT app.origin_normal(o) FROM unnest(p_origins) o ORDER BY 1);
  INSERT INTO app.project_widget_keys AS w (project_id, organization_id, allowed_origins)
  VALUES (p_project_id, v_organization_id, coalesce(v_origins, '{}'))
  ON CONFLICT ON CONSTRAINT project_widget_keys_pkey DO UPDATE
     SET allowed_origins = CASE WHEN p_origins IS NULL THEN w.allowed_origins ELSE excluded.allowed_origins END,
         widget_key = CASE WHEN p_rotate THEN excluded.widget_key ELSE w.widget_key END,
         updated_at = now()
  RETURNING * INTO v_key;
  RETURN jsonb_build_object('project_id', v_key.project_id, 'widget_key', v_key.widget_key,
                            'allowed_origins', to_jsonb(v_key.allowed_origins));
END $$;
COMMENT ON FUNCTION app.widget_key_set(bigint, text[], boolean) IS
  'A project''s widget key, created on first use or rotated, and its allowed origins (replaced when given): {project_id, widget_key, allowed_origins}';

-- Revoke a project's widget key: pages that embed it can no longer report (QA801) until a new key
-- is made (app.widget_key_set). Invoker rights, as app.widget_key_set.
CREATE OR REPLACE FUNCTION app.widget_key_revoke(p_project_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM app.projects p WHERE p.id = p_project_id) THEN
    RAISE EXCEPTION 'project % not found', p_project_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: project_id.', HINT = 'Use the id of a project of your organization.';
  END IF;
  DELETE FROM app.project_widget_keys w WHERE w.project_id = p_project_id;
  RETURN FOUND;
END $$;
COMMENT ON FUNCTION app.widget_key_revoke(bigint) IS 'Delete a project''s widget key; true when it had one';
GRANT EXECUTE ON FUNCTION app.widget_key_set(bigint, text[], boolean), app.widget_key_revoke(bigint) TO org_owner, system_admin;
