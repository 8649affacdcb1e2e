-- What leaves for an AI provider: app.personal_data_strip removes e-mail and IP addresses (and hash
-- tokens of them), phone numbers, home directories' user names and the known values of the people
-- concerned, and leaves dates, versions and line numbers alone; a prompt's URL has no query values
-- or fragment; app.ai_prompt fills the spec's template from the group alone (no metadata, no
-- organization name), stripped with the values of its events' people, and offers similar errors of
-- its own organization only.
BEGIN;
SELECT plan(22);

-- == The second pass ==
SELECT is(app.personal_data_strip('mail ann.lee@example.com or ANN.LEE%40EXAMPLE.COM'), 'mail [email] or [email]',
  'e-mail addresses are removed, percent-encoded too');
SELECT is(app.personal_data_strip('from 203.0.113.7 via 2001:db8::7 and ::ffff:198.51.100.2'), 'from [ip] via [ip] and ::ffff:[ip]',
  'IPv4, IPv6 and IPv4-mapped addresses are removed');
SELECT is(app.personal_data_strip('user [email:0123456789ab] at [ip:abcdef012345] is [user:00aa11bb22cc]'),
  'user [email] at [ip] is [user]', 'the hash tokens of the hash policy become their kind (a token is a stable identifier)');
SELECT is(app.personal_data_strip('call +1 555 010 1234, (555) 013-4321, +44 20 7946 0000 or 030 12345678'),
  'call [phone], [phone], [phone] or [phone]', 'phone numbers are removed, international and national');
SELECT is(app.personal_data_strip('on 2024-01-15 12:30:45 in v1.22.3 at app.js:1024:17, order 12345, took 1500 ms'),
  'on 2024-01-15 12:30:45 in v1.22.3 at app.js:1024:17, order 12345, took 1500 ms',
  'dates, times, versions, line and column numbers and short numbers stay');
SELECT is(app.personal_data_strip(E'File "/home/ann/app/main.py", line 3\n  at /Users/ann.lee/src/x.js\n  C:\\Users\\ann\\app.py'),
  E'File "/home/[user]/app/main.py", line 3\n  at /Users/[user]/src/x.js\n  C:\\Users\\[user]\\app.py',
  'the user name of a home directory is removed');
SELECT is(app.personal_data_strip('Ann Lee (ann_lee, cust-42) ordered for ANN LEE; annotations and Annex stay',
                                  ARRAY['Ann', 'Ann Lee', 'ann_lee', 'cust-42']),
  '[user] ([user], [user]) ordered for [user]; annotations and Annex stay',
  'the known values of the people concerned go in any case, longest first, as whole words only');
SELECT is(app.personal_data_strip('a (.*) literal [x] name', ARRAY['(.*)', '[x]']), 'a [user] literal [user] name',
  'a known value is matched literally, not as a pattern');
SELECT is(app.personal_data_strip(NULL, ARRAY['x']), NULL, 'nothing stays nothing');
SELECT is(app.personal_data_known_values('{"user": {"id": "u-1", "name": "Ann Lee", "email": "[email]", "plan": "pro"},
                                            "customer": {"first_name": "Bo", "mobile": "+4930123456"},
                                            "contact_email": "x@example.com", "tags": {"name": "checkout"},
                                            "extra": [{"username": "ann_lee"}]}'::jsonb)::text,
  '{+4930123456,"Ann Lee",Bo,ann_lee,u-1,x@example.com}',
  'the known values: person keys anywhere, id and name inside a person object, not markers, not other names');

-- == URLs ==
SELECT is(app.ai_prompt_url('https://shop.test/search?q=ann+lee&page=2;sort=asc#section-ann'),
  'https://shop.test/search?q=…&page=…;sort=…', 'a prompt''s URL keeps the parameter names, not their values nor the fragment');
SELECT is(app.ai_prompt_url('https://shop.test/cart'), 'https://shop.test/cart', '... and a URL without them as it is');

-- == The prompt ==
INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'Ann Lee Hair'), ('00000000-0000-0000-0000-0000000000b1', 'other');
SELECT app.rate_limit_set(o, 0)
  FROM unnest(ARRAY['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1']::uuid[]) AS o;
SELECT app.personal_data_policy_set('00000000-0000-0000-0000-0000000000a1', 'keep', 'keep', 'keep');
UPDATE app.capture_job_policy SET enabled = false WHERE job_kind = 'ai.analyze';
CREATE FUNCTION pg_temp.capture(p_org uuid, p_event jsonb) RETURNS uuid
LANGUAGE sql AS $$ SELECT ((app.capture_one(p_org, NULL, p_event)).result ->> 'id')::uuid $$;

SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', jsonb_build_object(
  'error_type', 'javascript', 'severity', 'error', 'component', 'Booking for Zed Quill',
  'message', 'TypeError: Cannot read properties of undefined (reading ''slot'') for Zed Quill <zed@example.com> from 203.0.113.9',
  'stack_trace', E'TypeError: Cannot read properties of undefined (reading ''slot'')\n    at book (https://salon.test/static/book.js:10:5)',
  'url', 'https://salon.test/book?who=zquill&token=abc123', 'user_id', 'zed-7',
  'metadata', jsonb_build_object('user', jsonb_build_object('name', 'Zed Quill', 'phone', '+49 30 1234567'),
                                 'tags', jsonb_build_object('secret_plan', 'tagcanary')))) AS booking \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', jsonb_build_object(
  'error_type', 'javascript', 'severity', 'error',
  'message', 'TypeError: Cannot read properties of undefined (reading ''slot'') for Yolanda Vex',
  'stack_trace', E'TypeError: Cannot read properties of undefined (reading ''slot'')\n    at rebook (https://salon.test/static/book.js:20:5)',
  'metadata', jsonb_build_object('user', jsonb_build_object('name', 'Yolanda Vex')))) AS similar \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000b1', jsonb_build_object(
  'error_type', 'javascript', 'severity', 'error',
  'message', 'TypeError: Cannot read properties of undefined (reading ''slot'')',
  'stack_trace', E'TypeError: Cannot read properties of undefined (reading ''slot'')\n    at book (https://salon.test/static/book.js:10:5)')) AS foreign_error \gset

SELECT ok((SELECT string_agg(e.metadata::text || coalesce(e.user_id, ''), ' ') FROM app.error_events e
            WHERE e.organization_id = '00000000-0000-0000-0000-0000000000a1') ~ 'Zed Quill.*zed-7',
  'under the keep policy the person is stored');
SELECT app.ai_prompt(:'booking') AS prompt \gset
CREATE TEMP TABLE prompt AS SELECT :'prompt'::jsonb AS p, :'prompt'::jsonb ->> 'prompt' AS text;
SELECT is((SELECT p ->> 'prompt_version' FROM prompt), '1', 'the prompt names its template version');
SELECT ok((SELECT text FROM prompt) LIKE 'You are an expert software engineer analyzing a production error.%'
          AND (SELECT text FROM prompt) LIKE '%- Type: javascript%' AND (SELECT text FROM prompt) LIKE '%Format as JSON.%',
  'it is the spec''s template');
SELECT is((SELECT array_agg(m[1]) FROM prompt CROSS JOIN LATERAL regexp_matches(text, '\{([a-z_]+)\}', 'g') AS m), NULL,
  '... with every placeholder filled');
SELECT is((SELECT array_agg(c) FROM prompt CROSS JOIN LATERAL unnest(ARRAY['Zed', 'Quill', 'zed@', '203.0.113.9', '1234567', 'zed-7',
                                                                            'zquill', 'abc123', 'tagcanary', 'Ann Lee', 'Yolanda', 'Vex']) AS c
            WHERE strpos(text, c) > 0), NULL,
  'no name, e-mail, IP, phone, user id, query value, tag or organization name of the group or of a similar one is in it');
SELECT ok((SELECT text FROM prompt) LIKE '%undefined (reading ''slot'') for [user] <[email]> from [ip]%',
  '... the message says where they were');
SELECT ok((SELECT text FROM prompt) LIKE '%- Component: Booking for [user]%' AND (SELECT text FROM prompt) LIKE '%- Organization: [organization]%'
          AND (SELECT text FROM prompt) LIKE '%- URL: https://salon.test/book?who=…&token=…%',
  '... and so do the component, the organization and the URL');
SELECT is((SELECT p -> 'candidates' FROM prompt), jsonb_build_array(:'similar'),
  'the similar errors offered are of the same organization');
SELECT ok((SELECT text FROM prompt) LIKE format('%%- %s: javascript TypeError: Cannot read properties of undefined (reading <quoted>) for [user]%%', :'similar'),
  '... listed by id with their normalized message, their own people removed');
SELECT throws_ok($$SELECT app.ai_prompt('00000000-0000-0000-0000-00000000dead')$$, 'QN001', NULL, 'an unknown group has no prompt');

SELECT * FROM finish();
ROLLBACK;
