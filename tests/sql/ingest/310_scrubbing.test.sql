-- Scrubbing (reference/sentry.md §6): secrets become [Filtered] and nothing of them survives.
BEGIN;
SELECT plan(47);

-- == Keys: every listed key name, case-folded, as a substring ==

CREATE TEMP TABLE secret_key AS
SELECT key_name, 's3cr3t-' || n AS secret
  FROM unnest(ARRAY['password', 'passwd', 'secret', 'token', 'api_key', 'apikey', 'auth', 'authorization',
                    'credentials', 'cookie', 'session', 'csrf', 'private_key', 'DB_PASSWORD', 'X-Api-Key',
                    'access_token', 'client_secret', 'Set-Cookie', 'sessionid', 'PHPSESSID', 'connect.sid',
                    'XSRF-TOKEN', 'privateKey', 'aws_access_key_id', 'passphrase', 'mysql_pwd', 'X-Amz-Signature'])
       WITH ORDINALITY AS k(key_name, n);

SELECT is_empty($$SELECT key_name FROM secret_key
                   WHERE app.scrub_jsonb(jsonb_build_object(key_name, secret, 'keep', 'visible'))
                         <> jsonb_build_object(key_name, '[Filtered]', 'keep', 'visible')$$,
                'every listed key (any case, as part of a longer name) has its value replaced by [Filtered], other keys kept');

CREATE TEMP TABLE nested_input AS SELECT jsonb_build_object(
  'user', jsonb_build_object('id', 'u-17', 'Password', 'hunter2-pw', 'profile', jsonb_build_object('api_key', 'k-9f8e7d')),
  'requests', jsonb_build_array(
     jsonb_build_object('url', '/checkout', 'headers', jsonb_build_object('Authorization', 'Basic dXNlcjpodW50ZXIy', 'Accept', 'text/html')),
     'plain string',
     42,
     jsonb_build_array(jsonb_build_object('session_token', jsonb_build_object('value', 'tok-abc123', 'ttl', 60)))),
  'cookie', NULL,
  'count', 3) AS doc;
CREATE TEMP TABLE nested_output AS SELECT app.scrub_jsonb(doc) AS doc FROM nested_input;

SELECT is(doc #>> '{user,Password}', '[Filtered]', 'a nested key is filtered') FROM nested_output;
SELECT is(doc #>> '{user,profile,api_key}', '[Filtered]', 'two levels deep') FROM nested_output;
SELECT is(doc #>> '{requests,0,headers,Authorization}', '[Filtered]', 'inside an object inside an array') FROM nested_output;
SELECT is(doc #> '{requests,3,0,session_token}', '"[Filtered]"', 'an object value under a secret key is replaced whole') FROM nested_output;
SELECT is(doc #> '{requests,1}', '"plain string"', 'array strings and numbers are kept in place') FROM nested_output;
SELECT is(doc -> 'cookie', 'null', 'a null value stays null (nothing to hide)') FROM nested_output;
SELECT is(doc #>> '{user,id}', 'u-17', 'other members are kept') FROM nested_output;
SELECT is(doc -> 'count', '3', 'numbers are kept') FROM nested_output;
SELECT unalike(doc::text, '%' || secret || '%', 'nothing of "' || secret || '" survives')
  FROM nested_output, unnest(ARRAY['hunter2', 'k-9f8e7d', 'dXNlcjpodW50ZXIy', 'tok-abc123']) AS secret;

-- == Values: card numbers (Luhn), bearer tokens, JWTs, AWS keys, PEM blocks, URL passwords ==

SELECT results_eq($$SELECT app.luhn_valid(n) FROM unnest(ARRAY['4111111111111111', '4111 1111 1111 1111', '378282246310005',
                      '5555-5555-5555-4444', '6011111111111117', '4111111111111112', '1234567890', NULL]) WITH ORDINALITY AS t(n, i) ORDER BY i$$,
                  $$VALUES (true), (true), (true), (true), (true), (false), (false), (false)$$,
                  'luhn_valid: Visa, spaced, Amex, dashed Mastercard, Discover pass; a wrong check digit, short numbers and NULL do not');

CREATE TEMP TABLE secret_value (label text, input text, secret text);
INSERT INTO secret_value VALUES
  ('a Visa card number', 'paid with 4111111111111111 today', '4111111111111111'),
  ('a spaced card number', 'card: 4111 1111 1111 1111 (visa)', '4111 1111 1111 1111'),
  ('an Amex number', 'amex 378282246310005', '378282246310005'),
  ('a dashed Mastercard number', 'mc 5555-5555-5555-4444 declined', '5555-5555-5555-4444'),
  ('a bearer token', 'sent Bearer abc.DEF-123_xyz~ to upstream', 'abc.DEF-123_xyz~'),
  ('a JWT', 'jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c in cookie',
   'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'),
  ('an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE leaked', 'AKIAIOSFODNN7EXAMPLE'),
  ('an AWS temporary key id', 'key ASIAY34FZKBOKMUTVV7A leaked', 'ASIAY34FZKBOKMUTVV7A'),
  ('an AWS secret key', 'AWS_SECRET wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'),
  ('a PEM private key', E'key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\nh7A1ZbZkUdgzLMo\n-----END RSA PRIVATE KEY----- loaded',
   'MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM'),
  ('a cut-off PEM private key', E'-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE'),
  ('a URL password', 'could not connect to postgres://shop:pg-Pa55w0rd@db-1:5432/shop', 'pg-Pa55w0rd'),
  ('a Stripe secret key', 'stripe sk_live_51H8xYzAbCdEfGhIjKlMnOpQr failed', 'sk_live_51H8xYzAbCdEfGhIjKlMnOpQr');

SELECT is_empty($$SELECT label FROM secret_value
                   WHERE strpos(app.scrub_text(input), secret) > 0 OR strpos(app.scrub_text(input), '[Filtered]') = 0$$,
                'scrub_text: every value pattern is replaced by [Filtered] and nothing of the secret survives');
SELECT is_empty($$SELECT label FROM secret_value
                   WHERE strpos(app.scrub_jsonb(jsonb_build_object('note', input, 'list', jsonb_build_array(input)))::text, secret) > 0$$,
                'scrub_jsonb: the same values inside JSON strings and arrays are filtered');
SELECT is_empty($$SELECT label FROM secret_value
                   WHERE strpos(app.scrub_jsonb(jsonb_build_object('note', E'line one\n' || input))::text, secret) > 0$$,
                'a secret right after a line break in a JSON string is found too');
SELECT is(app.scrub_text('order 4111111111111112 failed'), 'order 4111111111111112 failed',
          'a 16-digit number that fails the Luhn check is not filtered');
SELECT is(app.scrub_text('timestamps 1795874289980 and 1732801234567 are not cards'), 'timestamps 1795874289980 and 1732801234567 are not cards',
          'millisecond timestamps are not card numbers');
SELECT is(app.scrub_text('paid with 4111111111111111 today'), 'paid with [Filtered] today', 'only the match is replaced');
SELECT is(app.scrub_text('Authorization: Bearer abc123def'), 'Authorization: [Filtered]', 'an Authorization header line loses its value');

-- key=value pairs in free text
SELECT is(app.scrub_text('login failed: password=hunter2 user=jane'), 'login failed: password=[Filtered] user=jane',
          'password=... in a message');
SELECT is(app.scrub_text('refresh failed, token: abc123'), 'refresh failed, token: [Filtered]', 'token: ... in a message');
SELECT is(app.scrub_text('body {"api_key": "k 1 2", "secret": ''s 3''} sent'), 'body {"api_key": [Filtered], "secret": [Filtered]} sent',
          'quoted values with spaces in JSON-like text are filtered whole');
SELECT is(app.scrub_text('GET /api/session/refresh?x=1 failed at /srv/app/auth/login.js:10:5'),
          'GET /api/session/refresh?x=1 failed at /srv/app/auth/login.js:10:5', 'key words in paths are not secrets');
SELECT unalike(app.scrub_text(E'TypeError: bad header\n    at sign (/srv/app/auth.js:3:9) Authorization: Basic dXNlcjpwYXNz'),
               '%dXNlcjpwYXNz%', 'a basic-auth value in a stack trace does not survive');
SELECT is(app.scrub_text(NULL), NULL, 'NULL stays NULL');
SELECT is(app.scrub_text('Payment provider timed out after 30s for order 12345'),
          'Payment provider timed out after 30s for order 12345', 'a message without secrets is unchanged');

-- == URLs ==

SELECT is(app.scrub_url('https://shop.example.com/callback?code=1&access_token=abc123&page=2'),
          'https://shop.example.com/callback?code=1&access_token=[Filtered]&page=2', 'a secret query parameter is filtered, others kept');
SELECT is(app.scrub_url('https://jane:hunter2@shop.example.com/admin'), 'https://shop.example.com/admin', 'user:password@ is removed');
SELECT is(app.scrub_url('https://shop.example.com/cb#id_token=eyJx.eyJy.zz&state=ok'), 'https://shop.example.com/cb#id_token=[Filtered]&state=ok',
          'fragment parameters (OAuth implicit flow) are filtered too');
SELECT is(app.scrub_url('https://bucket.s3.amazonaws.com/f.pdf?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261128&X-Amz-Signature=9f8e7d&X-Amz-Expires=60'),
          'https://bucket.s3.amazonaws.com/f.pdf?X-Amz-Credential=[Filtered]&X-Amz-Signature=[Filtered]&X-Amz-Expires=60',
          'signed-URL credentials and signatures are filtered');
SELECT is(app.scrub_url('https://shop.example.com/checkout?step=2&utm_source=mail'), 'https://shop.example.com/checkout?step=2&utm_source=mail',
          'a URL without secrets is unchanged');
SELECT is(app.scrub_url('https://shop.example.com/pay?card=4111111111111111'), 'https://shop.example.com/pay?card=[Filtered]',
          'value rules apply to URLs too');

-- == Unchanged input is not rebuilt ==

SELECT is(app.scrub_jsonb('{"component": "CheckoutForm", "cart": {"items": [{"sku": "A-1", "qty": 2}]}, "route": "/auth/login"}'),
          '{"component": "CheckoutForm", "cart": {"items": [{"sku": "A-1", "qty": 2}]}, "route": "/auth/login"}',
          'clean metadata comes back equal');
SELECT is(app.scrub_jsonb('"Bearer abc"'), '"Bearer [Filtered]"', 'a bare JSON string is scrubbed as text');
SELECT is(app.scrub_jsonb('[1, true, null]'), '[1, true, null]', 'scalars are kept');

-- == Rules are rows: edits apply at once, even after the patterns were cached in this transaction ==

SELECT is(app.scrub_jsonb('{"tenant_pin": "4711"}'), '{"tenant_pin": "4711"}', 'before the rule: kept (and the patterns are now cached)');
INSERT INTO app.scrub_rule (kind, pattern, description) VALUES ('key', 'pin', 'PIN codes');
SELECT is(app.scrub_jsonb('{"tenant_pin": "4711"}'), '{"tenant_pin": "[Filtered]"}', 'a key rule inserted in this transaction applies at once');
INSERT INTO app.scrub_rule (kind, pattern, replacement, description) VALUES ('value', 'ORD-[0-9]{6}', '[order]', 'order numbers');
SELECT is(app.scrub_text('see ORD-123456'), 'see [order]', 'a value rule applies at once, with its replacement');
UPDATE app.scrub_rule SET enabled = false WHERE kind = 'key' AND pattern = 'cookie';
SELECT is(app.scrub_jsonb('{"cookie": "c=1"}'), '{"cookie": "c=1"}', 'a disabled rule no longer applies');
SELECT throws_ok($$INSERT INTO app.scrub_rule (kind, pattern, description) VALUES ('key', '(unclosed', 'broken')$$,
                 'QV001', NULL, 'a pattern that does not compile is refused with QV001');
SELECT throws_ok($$INSERT INTO app.scrub_rule (kind, pattern, replacement, description) VALUES ('key', 'x', '[x]', 'bad')$$,
                 '23514', NULL, 'key rules take no replacement (their value becomes [Filtered])');

-- == Configuration is for system admins only ==

SET LOCAL ROLE system_admin;
SELECT ok((SELECT count(*) FROM app.scrub_rule) > 20, 'system_admin reads the rules');
SELECT lives_ok($$UPDATE app.scrub_rule SET description = description WHERE kind = 'key'$$, 'system_admin edits the rules');
RESET ROLE;
SET LOCAL ROLE org_owner;
SELECT throws_ok('SELECT * FROM app.scrub_rule', '42501', NULL, 'org owners cannot read the rules');
RESET ROLE;
SET LOCAL ROLE anon;
SELECT throws_ok('SELECT * FROM app.scrub_rule', '42501', NULL, 'anon cannot read the rules');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
