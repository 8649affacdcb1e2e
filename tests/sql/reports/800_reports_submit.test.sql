-- Submitting a report: who may (widget key and origin, tokens), what the body must hold (each
-- refusal names its field), the honeypot, scrubbing, the widget's rate limits and the status token.
BEGIN;
SELECT plan(50);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Shop A'), ('00000000-0000-0000-0000-00000000000b', 'Shop B');
INSERT INTO app.users (id, organization_id, email, name, role) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'owner@a.test', 'Olga Owner', 'org_owner');
INSERT INTO app.projects (organization_id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'shop-a'), ('00000000-0000-0000-0000-00000000000b', 'shop-b');
SELECT (app.widget_key_set(p.id, ARRAY['https://Shop.Example.com:443/', 'http://localhost:8080']) ->> 'widget_key') AS key_a
  FROM app.projects p WHERE p.name = 'shop-a' \gset
SELECT (app.widget_key_set(p.id) ->> 'widget_key') AS key_b FROM app.projects p WHERE p.name = 'shop-b' \gset

-- == Widget keys and origins ==

SELECT is(app.widget_key_set(p.id) -> 'allowed_origins', '["http://localhost:8080", "https://shop.example.com"]'::jsonb,
          'origins are kept normalized (lower case, no default port, no slash) and kept when not given')
  FROM app.projects p WHERE p.name = 'shop-a';
SELECT ok(:'key_a' ~ '^wk_[0-9a-f]{32}$', 'a widget key is wk_ and 32 hex digits');
SELECT isnt((app.widget_key_set(p.id, NULL, true) ->> 'widget_key'), :'key_b', 'rotating gives a new key')
  FROM app.projects p WHERE p.name = 'shop-b';
SELECT (app.widget_key_set(p.id) ->> 'widget_key') AS key_b FROM app.projects p WHERE p.name = 'shop-b' \gset
SELECT throws_ok($$SELECT app.widget_key_set(p.id, ARRAY['shop.example.com']) FROM app.projects p WHERE p.name = 'shop-a'$$,
                 'QV804', NULL, 'an allowed origin must be an http(s) origin');

-- the one decision a CORS preflight is answered by (the key in the URL, the page's Origin)
SELECT ok(app.widget_origin_allowed(:'key_a', 'https://shop.example.com'), 'an allowed origin may use the key');
SELECT ok(app.widget_origin_allowed(upper(:'key_a'), 'HTTPS://SHOP.EXAMPLE.COM:443'),
          '... compared as normalized (case, default port)');
SELECT ok(NOT app.widget_origin_allowed(:'key_a', 'https://shop.example.com.evil.net'), 'another origin may not');
SELECT ok(NOT app.widget_origin_allowed(:'key_a', 'null'), 'nor a sandboxed page (Origin: null)');
SELECT ok(NOT app.widget_origin_allowed(:'key_b', 'https://shop.example.com'), 'nor any page a key does not allow');
SELECT ok(NOT app.widget_origin_allowed('wk_' || repeat('0', 32), 'https://shop.example.com')
          AND NOT app.widget_origin_allowed(NULL, 'https://shop.example.com')
          AND NOT app.widget_origin_allowed(:'key_a', NULL), 'an unknown or absent key, or no origin, is no');

SELECT is((app.report_caller(:'key_a', 'https://shop.example.com', 'anon', NULL, NULL)).reporter_type::text, 'customer',
          'a widget key from an allowed origin reports as a customer');
SELECT is((app.report_caller(:'key_a', NULL, NULL, NULL, NULL)).organization_id, '00000000-0000-0000-0000-00000000000a'::uuid,
          '... of the key''s organization; without Origin (no browser page) the key alone counts');
SELECT is((app.report_caller(:'key_a', 'https://evil.example.net', 'anon', NULL, NULL)).problem ->> 'code', 'QA802',
          'another origin may not use the key');
SELECT is((app.report_caller(:'key_a', 'null', 'anon', NULL, NULL)).problem ->> 'code', 'QA802',
          'nor may a sandboxed page (Origin: null)');
SELECT is((app.report_caller(:'key_b', 'https://shop.example.com', 'anon', NULL, NULL)).problem ->> 'code', 'QA802',
          'a key without allowed origins refuses every page');
SELECT is((app.report_caller(NULL, NULL, 'anon', NULL, NULL)).problem ->> 'code', 'QA801', 'anonymous callers need a key');
SELECT is((app.report_caller('wk_' || repeat('0', 32), NULL, 'anon', NULL, NULL)).problem ->> 'code', 'QA801',
          'an unknown key is refused');
SELECT is((app.report_caller(NULL, NULL, 'org_owner', '00000000-0000-0000-0000-00000000000a',
                             '00000000-0000-0000-0000-0000000000a1')).reporter_id, '00000000-0000-0000-0000-0000000000a1'::uuid,
          'an org owner reports for the token''s organization as themselves');
SELECT is((app.report_caller(:'key_b', NULL, 'staff', '00000000-0000-0000-0000-00000000000a', NULL)).problem ->> 'code', 'QA803',
          'a token may not report through another organization''s key');
SELECT is((app.report_caller(NULL, NULL, 'system_admin', NULL, NULL)).organization_id, NULL,
          'a system admin without a key reports for the platform');

-- == The body ==

CREATE FUNCTION pg_temp.problem(p_body jsonb) RETURNS text
LANGUAGE sql AS $$ SELECT (r.problem ->> 'code') || ' ' || (r.problem ->> 'details') FROM app.report_input(p_body) r $$;

SELECT is(pg_temp.problem('{"title": "x", "description": "y"}'), NULL, 'a title and a description make a report');
SELECT is(pg_temp.problem('[1]'), 'QV801 Field: body.', 'the body is a JSON object');
SELECT is(pg_temp.problem('{"description": "y"}'), 'QV802 Field: title.', 'the title is required');
SELECT is(pg_temp.problem('{"title": "x", "description": "   "}'), 'QV802 Field: description.', 'a blank description is missing');
SELECT is(pg_temp.problem(jsonb_build_object('title', repeat('t', 501), 'description', 'y')), 'QV801 Field: title.',
          'a title over 500 characters is refused');
SELECT is(pg_temp.problem('{"title": 5, "description": "y"}'), 'QV801 Field: title.', 'text fields are strings');
SELECT is(pg_temp.problem('{"title": "x", "description": "y", "url": "javascript:alert(1)"}'), 'QV801 Field: url.',
          'the page URL is http or https');
SELECT is(pg_temp.problem('{"title": "x", "description": "y", "reporter_email": "jane at example"}'),
          'QV801 Field: reporter_email.', 'an e-mail address has its shape');
SELECT is(pg_temp.problem('{"title": "x", "description": "y", "report_type": "complaint"}'), 'QV801 Field: report_type.',
          'report_type is one of the spec''s');
SELECT is(pg_temp.problem('{"title": "x", "description": "y", "priority": "urgent"}'), 'QV801 Field: priority.',
          'priority is one of the spec''s');
SELECT is(pg_temp.problem('{"title": "x", "description": "y", "browser_info": "Chrome"}'), 'QV801 Field: browser_info.',
          'browser_info is an object');
SELECT is(pg_temp.problem(jsonb_build_object('title', 'x', 'description', 'y', 'browser_info',
                                             jsonb_build_object('userAgent', repeat('u', 5000)))),
          'QV801 Field: browser_info.', '... of bounded size');
SELECT is(pg_temp.problem(jsonb_build_object('title', 'x', 'description', 'y', 'screenshot_urls',
                                             (SELECT jsonb_agg('https://s.test/' || n) FROM generate_series(1, 6) n))),
          'QV801 Field: screenshot_urls.', 'at most 5 screenshots');
SELECT is(pg_temp.problem('{"title": "x", "description": "y", "screenshot_urls": ["file:///etc/passwd"]}'),
          'QV801 Field: screenshot_urls.', 'screenshot URLs are http or https');
SELECT is(pg_temp.problem('{"title": "x", "description": "y", "event_id": "not-an-id"}'), 'QV801 Field: event_id.',
          'event_id is a Sentry event id');

-- == Storing ==

SELECT app.report_submit('00000000-0000-0000-0000-00000000000a', NULL, 'org_owner', '00000000-0000-0000-0000-0000000000a1',
  '{"title": "Export fails", "description": "Clicking export with password=hunter2 shows an error",
    "url": "https://app.test/export?token=abc123&page=2", "browser_info": {"authorization": "Bearer xyz", "language": "de"},
    "report_type": "DATA_ISSUE", "priority": "high"}', 'unknown') -> 'result' AS owned \gset
SELECT results_eq($$SELECT reporter_type::text, reporter_email::text, reporter_name::text, report_type::text, priority::text,
                           status::text FROM app.user_error_reports WHERE title = 'Export fails'$$,
  $$VALUES ('org_owner', 'owner@a.test', 'Olga Owner', 'data_issue', 'high', 'open')$$,
  'an org owner''s report carries their type, and their e-mail and name when the body gives none');
SELECT results_eq($$SELECT description, url::text, browser_info FROM app.user_error_reports WHERE title = 'Export fails'$$,
  $$VALUES ('Clicking export with password=[Filtered] shows an error', 'https://app.test/export?token=[Filtered]&page=2',
            '{"authorization": "[Filtered]", "language": "de"}'::jsonb)$$,
  'free text, the URL and browser_info are scrubbed with the ingest''s rules');
SELECT is(app.report_status_of(:'owned'::jsonb ->> 'status_token') ->> 'status', 'open', 'the status token reads the report''s status');
SELECT throws_ok($$SELECT app.report_status_of(repeat('0', 48))$$, 'QN801', NULL, 'a token that names no report is not found');
SELECT is((SELECT status_token_hash FROM app.user_error_reports WHERE title = 'Export fails'),
          sha256(convert_to(:'owned'::jsonb ->> 'status_token', 'UTF8')), 'only the token''s hash is kept');

SELECT is(app.report_submit('00000000-0000-0000-0000-00000000000a', p.id, 'customer', NULL,
            '{"title": "Buy now", "description": "win", "website": "http://spam.test"}', '203.0.113.7') -> 'result' ->> 'status',
          'open', 'a filled honeypot is answered like a report')
  FROM app.projects p WHERE p.name = 'shop-a';
SELECT is((SELECT count(*)::int FROM app.user_error_reports WHERE title = 'Buy now'), 0, '... and stored nowhere');

-- a submission as it arrived over HTTP (api.submit_report, pgwarden web's POST /reports/submit)
SELECT is(app.report_submit_request(:'key_a', 'https://evil.example.net', NULL, '127.0.0.1', NULL, NULL, NULL, '{}')
            -> 'error' ->> 'http_status', '403', 'a submission from another origin is refused with its HTTP status');
SELECT is(app.report_submit_request(:'key_b', NULL, NULL, '127.0.0.1', NULL, NULL, NULL,
                                    json_build_object('title', 'Big', 'description', repeat('d', 65536))::text)
            -> 'error' ->> 'code', 'QV003', 'a body over 64 KB (the limit PostgREST''s hook applies) is refused');
SELECT is(app.report_submit_request(:'key_b', NULL, '203.0.113.5', '127.0.0.1', NULL, NULL, NULL,
                                    '{"title": "Through the web", "description": "d\u0000"}') -> 'result' ->> 'status',
          'open', 'otherwise it is stored as app.report_submit stores it');

-- == Rate limits ==

UPDATE app.report_rate_limit SET per_client = 1, per_key = 3 WHERE kind = 'report';
CREATE FUNCTION pg_temp.submit(p_client text) RETURNS text
LANGUAGE sql AS $$
  SELECT coalesce(r -> 'error' ->> 'code', 'stored') FROM app.projects p,
         app.report_submit(p.organization_id, p.id, 'customer', NULL, '{"title": "t", "description": "d"}', p_client) r
   WHERE p.name = 'shop-a'
$$;
SELECT is(pg_temp.submit('198.51.100.1'), 'stored', 'a first report from an address is taken (the honeypot counted once)');
SELECT is(pg_temp.submit('198.51.100.1'), 'QR801', 'one address gets per_client reports per window');
SELECT is(pg_temp.submit('198.51.100.2'), 'stored', 'another address has its own budget');
SELECT is(pg_temp.submit('198.51.100.3'), 'QR801', 'and the widget key as a whole has a ceiling');
SELECT is(app.report_client_address('203.0.113.9, 10.0.0.1', '127.0.0.1'), '10.0.0.1',
          'the client is the right-most X-Forwarded-For entry (what the one trusted proxy saw)');

SELECT * FROM finish();
ROLLBACK;
