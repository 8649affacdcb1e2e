-- What a report submission is checked against before anything is stored: who is asking (widget
-- key and page origin, or a token), what the body holds (the spec's fields, bounded), and how
-- often this client and this widget key have asked (tables in db/schema/800_reports.sql).

-- == Limits ==

-- The one place a report field's limit is written: characters of text, bytes of browser_info's
-- JSON, items of screenshot_urls. A report over a limit is refused (400), not cut: a person is
-- there to shorten it.
CREATE OR REPLACE FUNCTION app.report_limit(p_field text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p_field
    WHEN 'title' THEN 500                -- the spec's VARCHAR(500)
    WHEN 'description' THEN 10000
    WHEN 'steps_to_reproduce' THEN 10000
    WHEN 'expected_behavior' THEN 5000
    WHEN 'actual_behavior' THEN 5000
    WHEN 'url' THEN 2000                 -- the spec's VARCHAR(2000), also each screenshot URL
    WHEN 'reporter_email' THEN 255
    WHEN 'reporter_name' THEN 255
    WHEN 'browser_info' THEN 4096
    WHEN 'screenshot_urls' THEN 5
    WHEN 'session_id' THEN 100
    WHEN 'request_id' THEN 100
    WHEN 'resolution_notes' THEN 10000  -- written while working the queue
  END
$$;
COMMENT ON FUNCTION app.report_limit(text) IS
  'The limit of a report field: characters of text, bytes of browser_info JSON, items of screenshot_urls';
GRANT EXECUTE ON FUNCTION app.report_limit(text) TO org_owner, system_admin;  -- (notes are checked as them)

-- == Who is asking ==

-- An origin as browsers send it (scheme://host[:port]), lower-cased and without a default port;
-- NULL for anything else (a path, the string "null" of sandboxed pages, another scheme).
CREATE OR REPLACE FUNCTION app.origin_normal(p_origin text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(m[1]) || '://' || lower(m[2])
         || CASE WHEN m[3] IS NULL OR (lower(m[1]) = 'http' AND m[3]::integer = 80)
                      OR (lower(m[1]) = 'https' AND m[3]::integer = 443) THEN ''
                 ELSE ':' || m[3]::integer END
    FROM (SELECT regexp_match(btrim(p_origin), '^(https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?/?$', 'i') AS m) x
   WHERE m IS NOT NULL AND (m[3] IS NULL OR m[3]::integer BETWEEN 1 AND 65535)
$$;
COMMENT ON FUNCTION app.origin_normal(text) IS
  'An http(s) origin as scheme://host[:port], lower-cased, default port dropped; NULL when it is not one';
GRANT EXECUTE ON FUNCTION app.origin_normal(text) TO org_owner, system_admin;  -- (app.widget_key_set runs as them)

-- The address a widget submission is counted under. PostgREST tells SQL nothing about the socket
-- it reads, only the request's headers, so the trust assumption is: exactly one proxy in front of
-- PostgREST and pgwarden web appends the address it saw to X-Forwarded-For (nginx:
-- proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for), and its right-most entry is the
-- client. pgwarden web passes its own peer address for requests without the header. With nothing
-- in front, a client can name any address: the per-key ceiling (app.report_rate_limit.per_key)
-- is then what holds.
CREATE OR REPLACE FUNCTION app.report_client_address(p_forwarded_for text, p_peer text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    (SELECT lower(a) FROM (SELECT btrim((string_to_array(p_forwarded_for, ','))[cardinality(string_to_array(p_forwarded_for, ','))]) AS a) f
      WHERE a ~* '^[0-9a-f:.]{2,45}$'),
    (SELECT lower(btrim(p_peer)) WHERE btrim(p_peer) ~* '^[0-9a-f:.]{2,45}$'),
    'unknown')
$$;
COMMENT ON FUNCTION app.report_client_address(text, text) IS
  'The client address of a widget request: the right-most X-Forwarded-For entry, else the peer address, else unknown';

-- Whether a page of p_origin may use the widget key p_widget_key: the one decision of a key's
-- origins, asked by pgwarden web when a browser's CORS preflight names the key in its URL (the
-- preflight carries no custom header) and by app.report_caller for every submission. False for an
-- unknown key and for anything that is not an http(s) origin (the "null" of sandboxed pages).
CREATE OR REPLACE FUNCTION app.widget_origin_allowed(p_widget_key text, p_origin text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
  SELECT EXISTS (SELECT FROM app.project_widget_keys w
                  WHERE w.widget_key = lower(btrim(p_widget_key)) AND app.origin_normal(p_origin) = ANY (w.allowed_origins))
$$;
COMMENT ON FUNCTION app.widget_origin_allowed(text, text) IS
  'Whether pages of an origin may use a widget key (its allowed origins); false for an unknown key or a non-http(s) origin';
GRANT EXECUTE ON FUNCTION app.widget_origin_allowed(text, text) TO pgwarden_web;

-- The organization, project and reporter a submission (report or screenshot) is for. Anonymous
-- callers are customers and need a widget key, used from a page origin the key allows (a request
-- without Origin comes from no browser page: only the rate limit applies to it). Org owners and
-- staff report for the organization of their token (a widget key, if sent, must be one of its
-- own); system admins for the widget key's organization, or for the platform (no organization).
CREATE OR REPLACE FUNCTION app.report_caller(
  p_widget_key text, p_origin text, p_role text, p_organization_id uuid, p_user_id uuid,
  OUT organization_id uuid, OUT project_id bigint, OUT reporter_type app.reporter_type_enum,
  OUT reporter_id uuid, OUT problem jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_key text := lower(nullif(btrim(p_widget_key), ''));
  v_role text := coalesce(p_role, 'anon');
BEGIN
  IF v_key IS NOT NULL THEN
    SELECT w.organization_id, w.project_id INTO organization_id, project_id
      FROM app.project_widget_keys w WHERE w.widget_key = v_key;
    IF NOT FOUND THEN
      problem := app._capture_problem('QA801', 'X-Pgwarden-Widget-Key', 'unknown widget key',
                                      'Use the widget key of a project (pgwarden project widget-key PROJECT_ID).');
      RETURN;
    END IF;
    IF nullif(btrim(p_origin), '') IS NOT NULL AND NOT app.widget_origin_allowed(v_key, p_origin) THEN
      problem := app._capture_problem('QA802', 'Origin', format('origin %s may not use this widget key', left(p_origin, 200)),
                                      'Allow the page''s origin: pgwarden project widget-key PROJECT_ID --origin https://…');
      RETURN;
    END IF;
  END IF;
  IF v_role IN ('staff', 'org_owner') THEN
    IF p_organization_id IS NULL OR (v_key IS NOT NULL AND organization_id <> p_organization_id)
       OR NOT EXISTS (SELECT FROM app.organizations o WHERE o.id = p_organization_id) THEN
      problem := app._capture_problem('QA803', 'X-Pgwarden-Widget-Key', 'this token may not report for that organization',
                                      'Use a token with org_id of the organization, or its own widget key.');
      RETURN;
    END IF;
    organization_id := p_organization_id;
  ELSIF v_role <> 'system_admin' AND v_key IS NULL THEN
    problem := app._capture_problem('QA801', 'X-Pgwarden-Widget-Key', 'widget key missing',
                                    'Send the project''s widget key in the X-Pgwarden-Widget-Key header.');
    RETURN;
  END IF;
  reporter_type := (CASE WHEN v_role IN ('staff', 'org_owner', 'system_admin') THEN v_role ELSE 'customer' END)::app.reporter_type_enum;
  IF reporter_type <> 'customer' THEN  -- the spec's reporter_id references app.users: only a known user fits
    reporter_id := (SELECT u.id FROM app.users u WHERE u.id = p_user_id);
  END IF;
END $$;
COMMENT ON FUNCTION app.report_caller(text, text, text, uuid, uuid) IS
  'The organization, project, reporter type and reporter of a report submission (widget key + origin, or token), or a QA problem';

-- == What the body holds ==

CREATE OR REPLACE FUNCTION app._report_not_a(p_field text, p_kind text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT app._capture_problem('QV801', p_field, format('%s is not a %s', p_field, p_kind),
                              format('Send %s as a JSON %s.', p_field, p_kind))
$$;
COMMENT ON FUNCTION app._report_not_a(text, text) IS 'The QV801 problem of a report field of the wrong JSON type';

-- One text field: trimmed, NULL when absent or blank, a problem when not a string or too long.
CREATE OR REPLACE FUNCTION app._report_text(p_body jsonb, p_field text, p_required boolean,
                                            OUT value text, OUT problem jsonb)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF NOT app._capture_is(p_body -> p_field, 'string') THEN
    problem := app._report_not_a(p_field, 'string');
    RETURN;
  END IF;
  value := app._capture_text(p_body -> p_field);
  IF value IS NULL AND p_required THEN
    problem := app._capture_problem('QV802', p_field, format('%s is missing', p_field), format('Fill in %s.', p_field));
  ELSIF length(value) > app.report_limit(p_field) THEN
    problem := app._capture_problem('QV801', p_field, format('%s is too long', p_field),
                                    format('Use at most %s characters.', app.report_limit(p_field)));
  END IF;
END $$;
COMMENT ON FUNCTION app._report_text(jsonb, text, boolean) IS 'A report''s text field, trimmed and checked against its limit, or its problem';

CREATE OR REPLACE FUNCTION app._report_is_url(p_value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT p_value ~* '^https?://[^\s/?#]+[^\s]*$' AND length(p_value) <= app.report_limit('url')
$$;
COMMENT ON FUNCTION app._report_is_url(text) IS 'Whether a text is an http or https URL a report may hold';

-- The body of a submission as a report row (the fields the body may set, checked) and the honeypot,
-- or the first problem. The caller's fields (organization, reporter) are never read from the body.
CREATE OR REPLACE FUNCTION app.report_input(p_body jsonb, OUT report app.user_error_reports, OUT honeypot boolean,
                                            OUT problem jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_field text;
  v_text record;
  v_value jsonb;
BEGIN
  IF jsonb_typeof(p_body) IS DISTINCT FROM 'object' THEN
    problem := app._capture_problem('QV801', 'body', 'the body is not a JSON object', 'Post the report''s fields as one JSON object.');
    RETURN;
  END IF;
  -- a field people never see in the widget: only a program filling every input sets it
  honeypot := coalesce(app._capture_text(p_body -> 'website'), '') <> '';

  FOREACH v_field IN ARRAY ARRAY['title', 'description', 'steps_to_reproduce', 'expected_behavior', 'actual_behavior',
                                 'url', 'reporter_email', 'reporter_name', 'session_id', 'request_id'] LOOP
    v_text := app._report_text(p_body, v_field, v_field IN ('title', 'description'));
    IF v_text.problem IS NOT NULL THEN
      problem := v_text.problem;
      RETURN;
    END IF;
    report := jsonb_populate_record(report, jsonb_build_object(v_field, v_text.value));
  END LOOP;
  IF report.url IS NOT NULL AND NOT app._report_is_url(report.url) THEN
    problem := app._capture_problem('QV801', 'url', 'url is not an http or https URL', 'Send the page''s address (http:// or https://).');
    RETURN;
  END IF;
  IF report.reporter_email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' THEN
    problem := app._capture_problem('QV801', 'reporter_email', 'reporter_email is not an e-mail address',
                                    'Give an address like name@example.com, or leave it out.');
    RETURN;
  END IF;

  FOREACH v_field IN ARRAY ARRAY['report_type', 'priority'] LOOP
    v_value := p_body -> v_field;
    IF NOT app._capture_is(v_value, 'string') THEN
      problem := app._report_not_a(v_field, 'string');
      RETURN;
    END IF;
    IF app._capture_text(v_value) IS NOT NULL
       AND lower(app._capture_text(v_value)) <> ALL (CASE v_field WHEN 'report_type' THEN enum_range(NULL::app.report_type_enum)::text[]
                                                                  ELSE enum_range(NULL::app.priority_enum)::text[] END) THEN
      problem := app._capture_problem('QV801', v_field, format('unknown %s %s', v_field, left(app._capture_text(v_value), 50)),
                   format('Use one of: %s.', array_to_string(CASE v_field WHEN 'report_type' THEN enum_range(NULL::app.report_type_enum)::text[]
                                                                          ELSE enum_range(NULL::app.priority_enum)::text[] END, ', ')));
      RETURN;
    END IF;
  END LOOP;
  report.report_type := coalesce(lower(app._capture_text(p_body -> 'report_type')), 'bug')::app.report_type_enum;
  report.priority := coalesce(lower(app._capture_text(p_body -> 'priority')), 'medium')::app.priority_enum;

  v_value := p_body -> 'browser_info';
  IF NOT app._capture_is(v_value, 'object') THEN
    problem := app._report_not_a('browser_info', 'object');
    RETURN;
  ELSIF octet_length(v_value::text) > app.report_limit('browser_info') THEN
    problem := app._capture_problem('QV801', 'browser_info', 'browser_info is too large',
                                    format('Keep it under %s bytes of JSON.', app.report_limit('browser_info')));
    RETURN;
  END IF;
  report.browser_info := nullif(v_value, 'null');

  v_value := p_body -> 'screenshot_urls';
  IF NOT app._capture_is(v_value, 'array') THEN
    problem := app._report_not_a('screenshot_urls', 'array');
    RETURN;
  ELSIF jsonb_array_length(coalesce(nullif(v_value, 'null'), '[]')) > app.report_limit('screenshot_urls') THEN
    problem := app._capture_problem('QV801', 'screenshot_urls', 'too many screenshots',
                                    format('Attach at most %s.', app.report_limit('screenshot_urls')));
    RETURN;
  ELSIF EXISTS (SELECT FROM jsonb_array_elements(coalesce(nullif(v_value, 'null'), '[]')) u
                 WHERE jsonb_typeof(u) <> 'string' OR NOT app._report_is_url(u #>> '{}')) THEN
    problem := app._capture_problem('QV801', 'screenshot_urls', 'screenshot_urls holds something other than http(s) URLs',
                                    'Send the URLs POST /reports/screenshot answered with.');
    RETURN;
  END IF;
  report.screenshot_urls := nullif(ARRAY(SELECT u FROM jsonb_array_elements_text(coalesce(nullif(v_value, 'null'), '[]')) u), '{}');

  v_value := p_body -> 'event_id';
  IF NOT app._capture_is(v_value, 'string')
     OR (app._capture_text(v_value) IS NOT NULL
         AND app._capture_text(v_value) !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$') THEN
    problem := app._capture_problem('QV801', 'event_id', 'event_id is not an event id',
                                    'Send the Sentry event id (32 hex digits or a UUID), or leave it out.');
    RETURN;
  END IF;
  report.event_id := replace(app._capture_text(v_value), '-', '')::uuid;
END $$;
COMMENT ON FUNCTION app.report_input(jsonb) IS
  'A submitted body as a report row (the spec''s fields plus event_id, session_id, request_id), whether the honeypot was filled, or the first problem (QV801/QV802 naming the field)';

-- == How often ==

-- Take one submission of p_kind from the widget key's budget for this client address and from the
-- key's own, in fixed windows. A client over its budget does not use up the key's.
CREATE OR REPLACE FUNCTION app.report_rate_take(p_project_id bigint, p_kind text, p_client text, p_at timestamptz DEFAULT now())
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_limit app.report_rate_limit;
  v_window timestamptz;
  v_taken integer;
  v_retry_after integer;
BEGIN
  SELECT * INTO STRICT v_limit FROM app.report_rate_limit l WHERE l.kind = p_kind;
  v_window := to_timestamp(floor(extract(epoch FROM p_at) / v_limit.window_seconds) * v_limit.window_seconds);
  v_retry_after := greatest(1, ceil(extract(epoch FROM v_window - p_at) + v_limit.window_seconds)::integer);
  INSERT INTO app.report_rate_usage AS u (project_id, kind, client, window_start, taken)
  VALUES (p_project_id, p_kind, p_client, v_window, 1)
  ON CONFLICT (project_id, kind, client, window_start) DO UPDATE SET taken = u.taken + 1 WHERE u.taken < v_limit.per_client
  RETURNING u.taken INTO v_taken;
  IF v_taken IS NULL THEN
    RETURN app.problem('QR801', format('too many %ss from this address', p_kind),
      format('At most %s %ss per %s seconds from one address.', v_limit.per_client, p_kind, v_limit.window_seconds),
      format('Try again in %s seconds.', v_retry_after), v_retry_after);
  END IF;
  INSERT INTO app.report_rate_usage AS u (project_id, kind, client, window_start, taken)
  VALUES (p_project_id, p_kind, '*', v_window, 1)
  ON CONFLICT (project_id, kind, client, window_start) DO UPDATE SET taken = u.taken + 1 WHERE u.taken < v_limit.per_key
  RETURNING u.taken INTO v_taken;
  IF v_taken IS NULL THEN
    UPDATE app.report_rate_usage u SET taken = u.taken - 1
     WHERE (u.project_id, u.kind, u.client, u.window_start) = (p_project_id, p_kind, p_client, v_window);
    RETURN app.problem('QR801', format('too many %ss through this widget key', p_kind),
      format('At most %s %ss per %s seconds through one widget key.', v_limit.per_key, p_kind, v_limit.window_seconds),
      format('Try again in %s seconds.', v_retry_after), v_retry_after);
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.report_rate_take(bigint, text, text, timestamptz) IS
  'Count one widget submission (report or screenshot) for a key and client address; NULL, or the QR801 problem with retry_after';
