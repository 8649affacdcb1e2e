-- A report's text follows its organization's personal-data policy, as a captured error's does:
-- secrets scrubbed first, then e-mail and IP addresses hashed (the default) or dropped, in the
-- text, the URL, browser_info, session and request ids, resolution notes and their history; the
-- reporter's own e-mail is kept to answer them; linking compares the texts as both were stored.
BEGIN;
SELECT plan(14);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Shop A'), ('00000000-0000-0000-0000-00000000000b', 'Shop B');
SELECT app.rate_limit_set(o.id, 0) FROM app.organizations o;
UPDATE app.personal_data_policy SET email = 'drop', ip_address = 'drop'
 WHERE organization_id = '00000000-0000-0000-0000-00000000000b';

CREATE FUNCTION pg_temp.token(p_kind text, p_value text) RETURNS text
LANGUAGE sql AS $$
  SELECT app.personal_data_token(p_kind, 'hash', p.hash_key, p_value)
    FROM app.personal_data_policy p WHERE p.organization_id = '00000000-0000-0000-0000-00000000000a'
$$;
CREATE FUNCTION pg_temp.submit(p_org text, p_body jsonb) RETURNS uuid
LANGUAGE sql AS $$
  SELECT (app.report_submit(p_org::uuid, NULL, 'staff', NULL, p_body, 'unknown') -> 'result' ->> 'id')::uuid
$$;

SELECT pg_temp.submit('00000000-0000-0000-0000-00000000000a', '{
  "title": "Jane (jane@example.com) cannot log in", "description": "From 203.0.113.7, password=hunter2@example.com",
  "steps_to_reproduce": "Log in as jane@example.com", "url": "https://shop.test/users/jane@example.com",
  "browser_info": {"ip": "203.0.113.7", "userId": "u-1", "language": "de"}, "session_id": "jane@example.com",
  "reporter_email": "jane@example.com", "reporter_name": "Jane"}') AS hashed \gset

SELECT results_eq(format($$SELECT title::text, description, steps_to_reproduce, url::text FROM app.user_error_reports WHERE id = %L$$, :'hashed'),
  $$SELECT format('Jane (%s) cannot log in', pg_temp.token('email', 'jane@example.com')),
           format('From %s, password=[Filtered]', pg_temp.token('ip', '203.0.113.7')),
           format('Log in as %s', pg_temp.token('email', 'jane@example.com')),
           format('https://shop.test/users/%s', pg_temp.token('email', 'jane@example.com'))$$,
  'under the default policy e-mail and IP addresses in the text and URL are hashed, after secrets are scrubbed');
SELECT is((SELECT browser_info FROM app.user_error_reports WHERE id = :'hashed'),
          jsonb_build_object('ip', pg_temp.token('ip', '203.0.113.7'), 'userId', pg_temp.token('user', 'u-1'), 'language', 'de'),
          'browser_info follows the policy at any depth, user ids included');
SELECT is((SELECT session_id::text FROM app.user_error_reports WHERE id = :'hashed'), pg_temp.token('email', 'jane@example.com'),
          'a session id that is an address is hashed as capture hashes an event''s');
SELECT is((SELECT reporter_email::text FROM app.user_error_reports WHERE id = :'hashed'), 'jane@example.com',
          'the reporter''s own e-mail is kept as typed: they gave it to be answered');

SELECT pg_temp.submit('00000000-0000-0000-0000-00000000000b', '{
  "title": "Mail to jane@example.com bounces", "description": "From 203.0.113.7; local http://127.0.0.1:3000 is fine"}')
  AS dropped \gset
SELECT results_eq(format($$SELECT title::text, description FROM app.user_error_reports WHERE id = %L$$, :'dropped'),
  $$VALUES ('Mail to [email] bounces', 'From [ip]; local http://127.0.0.1:3000 is fine')$$,
  'an organization that drops addresses gets drop markers (loopback addresses stay)');

SELECT pg_temp.submit('00000000-0000-0000-0000-00000000000a', jsonb_build_object(
  'title', repeat('a@b.co ', 71), 'description', 'many addresses')) AS long_title \gset
SELECT results_eq(format($$SELECT length(title), right(title, 12) FROM app.user_error_reports WHERE id = %L$$, :'long_title'),
  $$VALUES (500, '…[truncated]')$$, 'a title that hashing makes longer than its column is cut, with a marker, not refused');

SELECT is((app.report_submit(NULL, NULL, 'system_admin', NULL,
             '{"title": "Ops: mail ops@example.com", "description": "token=abc123"}', 'unknown') -> 'result' ->> 'id') IS NOT NULL,
          true, 'a platform report (no organization) is stored');
SELECT results_eq($$SELECT title::text, description FROM app.user_error_reports WHERE organization_id IS NULL$$,
  $$VALUES ('Ops: mail ops@example.com', 'token=[Filtered]')$$,
  '... scrubbed, with its addresses kept: it has no organization and so no policy');

-- == Working the queue ==

SELECT app.report_status_change(:'hashed', 'resolved', 'Wrote to jane@example.com');
SELECT is((SELECT resolution_notes FROM app.user_error_reports WHERE id = :'hashed'),
          format('Wrote to %s', pg_temp.token('email', 'jane@example.com')), 'resolution notes follow the policy');
SELECT is((SELECT note FROM app.user_error_report_history WHERE report_id = :'hashed' AND change = 'status'),
          format('Wrote to %s', pg_temp.token('email', 'jane@example.com')), '... and so does their copy in the history');
SELECT throws_ok(format($$SELECT app.report_status_change(%L, 'open', %L)$$, :'hashed', repeat('n', 10001)), 'QV801', NULL,
                 'notes have a limit');
UPDATE app.user_error_reports SET description = 'Seen again from 203.0.113.7' WHERE id = :'hashed';
SELECT is((SELECT description FROM app.user_error_reports WHERE id = :'hashed'),
          format('Seen again from %s', pg_temp.token('ip', '203.0.113.7')), 'an edited text is cleaned again');

-- == Linking compares what was stored ==

SELECT app.capture_batch('00000000-0000-0000-0000-00000000000a', NULL, '[
  {"error_type": "javascript", "message": "Error: profile broke", "url": "https://shop.test/profile/jane@example.com"}]');
SELECT is((SELECT url::text FROM app.error_events WHERE message = 'Error: profile broke'),
          format('https://shop.test/profile/%s', pg_temp.token('email', 'jane@example.com')), 'the error''s URL was stored hashed');
SELECT pg_temp.submit('00000000-0000-0000-0000-00000000000a',
  '{"title": "Profile", "description": "blank", "url": "https://shop.test/profile/jane@example.com"}') AS by_url \gset
SELECT is((SELECT link_reason FROM app.user_error_reports WHERE id = :'by_url'), 'url',
          'a report of the same page links to it: both URLs were hashed alike');

SELECT * FROM finish();
ROLLBACK;
