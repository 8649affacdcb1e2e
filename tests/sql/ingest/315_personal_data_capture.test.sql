-- Personal data through capture: under hash and drop no address is stored as sent (events, groups,
-- derivation cache), keep stores it; the same events group identically under all three policies,
-- on both capture paths; users affected still counts under hash; session user ids follow the
-- policy; contact details typed into a report are kept.
BEGIN;
SELECT plan(21);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'keeps'), ('00000000-0000-0000-0000-00000000000b', 'hashes'),
  ('00000000-0000-0000-0000-00000000000c', 'drops');
INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000b', 'hashes-web');
SELECT app.rate_limit_set(o, 0) FROM unnest(ARRAY['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b',
                                                  '00000000-0000-0000-0000-00000000000c']::uuid[]) AS o;
SELECT app.personal_data_policy_set('00000000-0000-0000-0000-00000000000a', 'keep', 'keep', 'keep');
SELECT app.personal_data_policy_set('00000000-0000-0000-0000-00000000000c', 'drop', 'drop', 'drop');

CREATE TEMP TABLE canary (value text);
INSERT INTO canary VALUES ('bob@example.com'), ('alice@example.com'), ('joe@example.org'), ('bob%40example.com'),
  ('203.0.113.7'), ('198.51.100.2'), ('10.0.0.7'), ('2001:db8::7'), ('u-4711');

-- events by name; each carries personal data where grouping could see it
CREATE TEMP TABLE sample (name text, event jsonb);
INSERT INTO sample VALUES
  ('message', '{"error_type": "api", "message": "Login failed for bob@example.com from 203.0.113.7", "user_id": "bob@example.com"}'),
  ('message, other person', '{"error_type": "api", "message": "Login failed for alice@example.com from 198.51.100.2", "user_id": "u-4711"}'),
  ('template', '{"message": "Quota hit by bob@example.com", "message_template": "Quota hit by %s (2001:db8::7)"}'),
  ('stack trace', jsonb_build_object('error_type', 'javascript', 'message', 'TypeError: x is undefined for bob@example.com',
     'url', 'https://shop.test/reset?email=bob%40example.com',
     'stack_trace', E'TypeError: x is undefined\n    at login (http://10.0.0.7:3000/static/app.js:10:5)\n    at main (/home/joe@example.org/app.js:1:1)')),
  ('frames', '{"error_type": "runtime", "message": "ValueError: bad card for bob@example.com",
     "frames": [{"filename": "/home/bob@example.com/billing.py", "function": "charge", "lineno": 3, "in_app": true,
                 "vars": {"email": "bob@example.com", "ip": "203.0.113.7"}}]}'),
  ('fingerprint', '{"message": "Export failed", "fingerprint": ["{{ default }}", "bob@example.com"]}'),
  ('fingerprint, other person', '{"message": "Export failed", "fingerprint": ["{{ default }}", "alice@example.com"]}'),
  ('sentry', app.sentry_event_to_capture('{"platform": "python", "level": "error",
     "exception": {"values": [{"type": "KeyError", "value": "bob@example.com", "stacktrace": {"frames": [
       {"filename": "app.py", "function": "lookup", "lineno": 7, "in_app": true}]}}]},
     "user": {"id": "u-4711", "email": "bob@example.com", "ip_address": "203.0.113.7", "username": "bob@example.com"},
     "request": {"url": "https://shop.test/a?mail=bob@example.com", "headers": [["X-Forwarded-For", "203.0.113.7, 10.0.0.7"],
                 ["X-Real-IP", "198.51.100.2"]]},
     "tags": {"customer": "alice@example.com"},
     "breadcrumbs": {"values": [{"category": "auth", "message": "signed in as joe@example.org from 2001:db8::7"}]}}'));

-- every sample, in the batch path and alone (the single capture's own path), into one organization
CREATE FUNCTION pg_temp.capture_all(p_org uuid) RETURNS TABLE (name text, path text, error_hash text)
LANGUAGE sql AS $$
  SELECT s.name, 'batch', b.result ->> 'error_hash'
    FROM (SELECT array_agg(name ORDER BY name) AS names, jsonb_agg(event ORDER BY name) AS events FROM sample) AS a
   CROSS JOIN LATERAL app.capture_batch(p_org, NULL, a.events) AS b
    JOIN sample s ON s.name = a.names[b.ordinal]
  UNION ALL
  SELECT s.name, 'single', (app.capture_one(p_org, NULL, s.event)).result ->> 'error_hash' FROM sample s
$$;
-- every stored row of an organization (events and groups), as text
CREATE FUNCTION pg_temp.stored(p_org uuid) RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT to_jsonb(e)::text FROM app.error_events e WHERE e.organization_id = p_org
  UNION ALL SELECT to_jsonb(s)::text FROM app.system_errors s WHERE s.organization_id = p_org
$$;

CREATE TEMP TABLE hashes AS
  SELECT 'hash' AS policy, * FROM pg_temp.capture_all('00000000-0000-0000-0000-00000000000b')
  UNION ALL SELECT 'drop', * FROM pg_temp.capture_all('00000000-0000-0000-0000-00000000000c');

-- == Nothing is stored as sent under hash and drop ==

SELECT is_empty($$SELECT c.value FROM canary c, pg_temp.stored('00000000-0000-0000-0000-00000000000b') t
                   WHERE strpos(t, c.value) > 0$$, 'hash: no e-mail address, IP address or user id is stored as sent');
SELECT is_empty($$SELECT c.value FROM canary c, pg_temp.stored('00000000-0000-0000-0000-00000000000c') t
                   WHERE strpos(t, c.value) > 0$$, 'drop: none either');
SELECT is_empty($$SELECT c.value FROM canary c, app.derivation_cache d WHERE strpos(d.result::text, c.value) > 0$$,
                'the derivation cache holds only anonymized stack traces');
SELECT ok((SELECT bool_and(t ~ '\[email:[0-9a-f]{12}\]') FROM pg_temp.stored('00000000-0000-0000-0000-00000000000b') t
            WHERE t ~ 'bob|alice|joe|Login'),
          'hash: the addresses are there as tokens');

INSERT INTO hashes SELECT 'keep', * FROM pg_temp.capture_all('00000000-0000-0000-0000-00000000000a');
SELECT is((SELECT count(DISTINCT c.value)::int FROM canary c, pg_temp.stored('00000000-0000-0000-0000-00000000000a') t
            WHERE strpos(t, c.value) > 0), (SELECT count(*)::int FROM canary),
          'keep: every one of them is stored as sent');

SELECT is((SELECT count(DISTINCT (e.message, e.message_template, e.stack_trace, e.frames, e.fingerprint, e.url, e.user_id,
                                   e.metadata, e.error_hash))::int
             FROM app.error_events e WHERE e.organization_id = '00000000-0000-0000-0000-00000000000b'),
          (SELECT count(*)::int FROM sample), 'an event captured alone is anonymized as in a batch');

-- == Grouping does not depend on the policy ==

SELECT is((SELECT count(*)::int FROM hashes WHERE error_hash IS NULL), 0, 'every sample was stored under every policy');
SELECT is_empty($$SELECT name FROM hashes GROUP BY name HAVING count(DISTINCT error_hash) > 1$$,
                'each sample has one error_hash under keep, hash and drop, captured alone or in a batch');
SELECT is((SELECT count(DISTINCT error_hash)::int FROM hashes WHERE name IN ('message', 'message, other person')), 1,
          'an address in a message groups as <email> and <ip> (the same group for two people)');
SELECT is((SELECT count(DISTINCT error_hash)::int FROM hashes WHERE name LIKE 'fingerprint%'), 2,
          'a client fingerprint naming a person still splits groups per person, even when dropped');
SELECT is((SELECT count(DISTINCT name)::int FROM (SELECT DISTINCT ON (error_hash) name FROM hashes) AS x), 7,
          'and the other samples stay apart');

-- == What hash and drop store ==

SELECT is((SELECT user_id::text FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000b'
             AND message LIKE 'Login failed for%' LIMIT 1),
          app.personal_data_text(app.personal_data_policy_of('00000000-0000-0000-0000-00000000000b'), 'bob@example.com'),
          'hash: a user id that is an e-mail address gets the address''s token');
SELECT is((SELECT message FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000c'
             AND message LIKE 'Login failed for%' LIMIT 1), 'Login failed for [email] from [ip]', 'drop: markers');
SELECT is((SELECT count(*)::int FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000c'
             AND user_id IS NOT NULL), 0, 'drop: no user id is stored');
SELECT is((SELECT metadata #>> '{request,headers,0,1}' FROM app.error_events
            WHERE organization_id = '00000000-0000-0000-0000-00000000000c' AND metadata ? 'request' LIMIT 1),
          '[ip], [ip]', 'drop: X-Forwarded-For of a Sentry event');

-- == A huge stack trace: the part that is stored is anonymized ==

SELECT app.capture_one('00000000-0000-0000-0000-00000000000b', NULL, jsonb_build_object('message', 'Deep recursion',
  'stack_trace', 'RangeError: too deep' || repeat(E'\n    at walk (http://203.0.113.7/tree.js:1:1) for bob@example.com', 4000)));
SELECT is((SELECT count(*)::int FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000b'
             AND message = 'Deep recursion' AND length(stack_trace) = 65536
             AND strpos(stack_trace, '203.0.113.7') = 0 AND strpos(stack_trace, 'bob@example.com') = 0), 1,
          'a 250 KB stack trace is stored cut to 64 KB, without an address');

-- == Secrets are scrubbed, addresses follow the policy: neither is taken for the other ==

SELECT app.capture_batch(o, NULL, jsonb_build_array(jsonb_build_object(
  'message', 'Login failed: auth bob@example.com, session 203.0.113.7, password=hunter2',
  'stack_trace', E'Error: connect to postgres://app:s3cretpw@db.example.com/shop failed\n    at connect (/srv/app/db.js:3:9)')))
  FROM unnest(ARRAY['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b']::uuid[]) AS o;
SELECT results_eq($$SELECT e.organization_id::text, e.stack_trace ~ 'app:\[Filtered\]@db\.example\.com/shop',
                           e.message ~ '^Login failed: auth \[email:[0-9a-f]{12}\], session \[ip:[0-9a-f]{12}\], password=\[Filtered\]$'
                      FROM app.error_events e WHERE e.message LIKE 'Login failed: auth %' ORDER BY 1$$,
                  $$VALUES ('00000000-0000-0000-0000-00000000000a', true, false), ('00000000-0000-0000-0000-00000000000b', true, true)$$,
                  'a password in a URL is [Filtered] in a stack trace, not hashed as an e-mail address; an address after a key word is hashed, not [Filtered]');
SELECT is((SELECT message FROM app.error_events WHERE organization_id = '00000000-0000-0000-0000-00000000000a'
             AND message LIKE 'Login failed: auth %'),
          'Login failed: auth bob@example.com, session 203.0.113.7, password=[Filtered]', 'keep: the addresses are kept');

-- == Users affected counts distinct people under hash ==

SELECT app.capture_batch('00000000-0000-0000-0000-00000000000b', NULL, jsonb_build_array(
  jsonb_build_object('message', 'Cart expired', 'user_id', 'u-1'), jsonb_build_object('message', 'Cart expired', 'user_id', 'u-2'),
  jsonb_build_object('message', 'Cart expired', 'user_id', 'u-1'), jsonb_build_object('message', 'Cart expired', 'user_id', 'bob@example.com')));
SELECT app.capture_one('00000000-0000-0000-0000-00000000000b', NULL, '{"message": "Cart expired", "user_id": "u-2"}');
SELECT is((SELECT users_affected::int FROM api.error_groups WHERE organization_id = '00000000-0000-0000-0000-00000000000b'
             AND message = 'Cart expired'), 3, 'hash: users_affected counts 3 people in 5 events');

-- == Sentry sessions and reports ==

SELECT app.web_ingest(jsonb_build_array(jsonb_build_object(
  'project_id', p.id, 'public_key', p.public_key, 'items', jsonb_build_array(
    jsonb_build_object('type', 'session', 'payload', jsonb_build_object('sid', 'sess-1', 'did', 'bob@example.com', 'status', 'ok',
                                                                        'attrs', jsonb_build_object('release', 'shop@1'))),
    jsonb_build_object('type', 'user_report', 'payload', jsonb_build_object('event_id', repeat('e', 32), 'name', 'Jane Roe',
                                                                            'email', 'jane@example.com', 'comments', 'It broke'))))))
  FROM app.projects p WHERE p.name = 'hashes-web';
SELECT is((SELECT distinct_id::text FROM app.client_sessions WHERE sid = 'sess-1'),
          app.personal_data_text(app.personal_data_policy_of('00000000-0000-0000-0000-00000000000b'), 'bob@example.com'),
          'a session''s user (did) follows the policy');
SELECT results_eq($$SELECT reporter_email::text, reporter_name::text FROM app.user_error_reports WHERE description = 'It broke'$$,
                  $$VALUES ('jane@example.com', 'Jane Roe')$$,
                  'contact details typed into a report are kept, so a reply is possible');

SELECT * FROM finish();
ROLLBACK;
