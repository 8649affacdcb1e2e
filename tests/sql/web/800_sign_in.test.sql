-- Signing in: who may, throttling per account and per IP, sessions' idle and absolute timeouts,
-- sign-out, a new password ending sessions, and no password hash readable by any role.
BEGIN;
SELECT plan(35);

INSERT INTO app.organizations (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Org A');
SELECT lives_ok($$SELECT app.user_create(' Owner@A.test ', 'org_owner', '00000000-0000-0000-0000-00000000000a',
                                         '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', 'Olga')$$,
  'an org owner is created with an argon2id hash');
SELECT is((SELECT email FROM app.users WHERE name = 'Olga'), 'owner@a.test', 'e-mail addresses are stored trimmed and lower-cased');
SELECT throws_ok($$SELECT app.user_create('nobody', 'staff', '00000000-0000-0000-0000-00000000000a', NULL)$$, 'QVW01', NULL,
  'an e-mail address needs an @');
SELECT throws_ok($$SELECT app.user_create('c@a.test', 'customer', '00000000-0000-0000-0000-00000000000a', NULL)$$, 'QVW01', NULL,
  'customers do not sign in');
SELECT throws_ok($$SELECT app.user_create('s@a.test', 'staff', NULL, NULL)$$, 'QVW01', NULL, 'staff belong to an organization');
SELECT throws_ok($$SELECT app.user_create('s@a.test', 'staff', '00000000-0000-0000-0000-00000000000a', 'plain')$$, 'QVW01', NULL,
  'only argon2id hashes are stored');
SELECT throws_ok($$SELECT app.user_create('OWNER@a.test', 'staff', '00000000-0000-0000-0000-00000000000a', NULL)$$, '23505', NULL,
  'an e-mail address is taken once, whatever its case');

-- step 1 gives the hash to check only for a user who may sign in
SELECT is(app.web_login_begin('owner@a.test', '10.0.0.1') ->> 'password_hash', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
  'sign-in step 1 gives the hash of a user who may sign in');
SELECT is(app.web_login_begin('ghost@a.test', '10.0.0.1'), '{"wait_seconds": 0, "password_hash": null}'::jsonb,
  'and for an unknown address the same shape without a hash');

-- a wrong password, then the right one
SELECT is(app.web_login_finish('owner@a.test', '10.0.0.1', false, 'test') ->> 'token', NULL, 'a wrong password starts no session');
CREATE TEMP TABLE session_token AS SELECT app.web_login_finish('OWNER@a.test', '10.0.0.1', true, 'test') ->> 'token' AS token;
SELECT ok((SELECT token ~ '^[0-9a-f]{64}$' FROM session_token), 'the right password starts a session with a 256-bit token');
SELECT is((SELECT count(*)::int FROM app.web_sessions s JOIN session_token t ON s.token_hash = sha256(convert_to(t.token, 'UTF8'))),
  1, 'only the token''s SHA-256 is stored');
SELECT is((SELECT app.web_session_resume(token) -> 'claims' FROM session_token),
  jsonb_build_object('role', 'org_owner', 'org_id', '00000000-0000-0000-0000-00000000000a',
                     'sub', (SELECT id FROM app.users WHERE email = 'owner@a.test')),
  'a session resumes with the claims PostgREST would take from a JWT');
SELECT is((SELECT app.web_session_resume(token) ->> 'statement_timeout' FROM session_token), '15s',
  'a session carries its role''s statement_timeout, which pgwarden web sets as PostgREST does (org owners 15 s)');
SELECT is(app.role_statement_timeout('system_admin'), '30s', 'a system admin''s pages may take 30 s');
SELECT is(app.web_session_resume('0000'), NULL, 'an unknown token is no session');

-- timeouts
UPDATE app.web_sessions SET last_seen_at = now() - interval '31 minutes';
SELECT is((SELECT app.web_session_resume(token) FROM session_token), NULL, 'a session idle for longer than 30 minutes has ended');
UPDATE app.web_sessions SET last_seen_at = now() - interval '5 minutes';
SELECT isnt((SELECT app.web_session_resume(token) FROM session_token), NULL, 'used 5 minutes ago it is still valid');
SELECT ok((SELECT last_seen_at > now() - interval '1 second' FROM app.web_sessions), 'and resuming it records the use');
UPDATE app.web_sessions SET last_seen_at = now() - interval '5 minutes';
SELECT isnt((SELECT app.web_session_resume(token, false) FROM session_token), NULL, 'a live feed reads it');
SELECT ok((SELECT last_seen_at < now() - interval '4 minutes' FROM app.web_sessions), 'without keeping it alive');
UPDATE app.web_sessions SET created_at = now() - interval '13 hours', last_seen_at = now();
SELECT is((SELECT app.web_session_resume(token) FROM session_token), NULL, 'a session ends 12 hours after sign-in however busy');
UPDATE app.web_sessions SET created_at = now();
SELECT lives_ok($$SELECT app.web_session_end(token) FROM session_token$$, 'signing out');
SELECT is((SELECT app.web_session_resume(token) FROM session_token), NULL, 'ends the session');

-- throttling: 5 failures per 15 minutes per account and per IP
DELETE FROM app.web_login_attempts;
SELECT app.web_login_finish('owner@a.test', ('10.0.1.' || n)::inet, false, 'test') FROM generate_series(1, 5) n;
SELECT ok((app.web_login_begin('owner@a.test', '10.0.9.9') ->> 'wait_seconds')::int BETWEEN 890 AND 900,
  'after 5 failures from 5 addresses the account waits about 15 minutes');
SELECT is(app.web_login_begin('owner@a.test', '10.0.9.9') ->> 'password_hash', NULL, 'and no hash is given meanwhile');
SELECT is(app.web_login_finish('owner@a.test', '10.0.9.9', true, 'test') ->> 'token', NULL,
  'not even the right password signs in meanwhile');
DELETE FROM app.web_login_attempts;
SELECT app.web_login_finish('ghost' || n || '@a.test', '10.0.2.2', false, 'test') FROM generate_series(1, 5) n;
SELECT ok((app.web_login_begin('owner@a.test', '10.0.2.2') ->> 'wait_seconds')::int > 0,
  'after 5 failures from one address on any accounts the address waits');
UPDATE app.web_login_attempts SET attempted_at = now() - interval '16 minutes';
SELECT is((app.web_login_begin('owner@a.test', '10.0.2.2') ->> 'wait_seconds')::int, 0, 'failures older than 15 minutes no longer count');

-- passwords and the first administrator
CREATE TEMP TABLE second_token AS SELECT app.web_login_finish('owner@a.test', '10.0.3.3', true, 'test') ->> 'token' AS token;
SELECT lives_ok($$SELECT app.user_set_password('owner@a.test', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3')$$, 'a new password');
SELECT is((SELECT app.web_session_resume(token) FROM second_token), NULL, 'ends the user''s sessions');
SELECT throws_ok($$SELECT app.user_set_password('ghost@a.test', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3')$$, 'QNW01', NULL,
  'a password for an unknown user is refused');
SELECT is(app.user_bootstrap_admin('admin@x.test', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$YWRt'), true,
  'the first system admin is created');
SELECT is(app.user_bootstrap_admin('second@x.test', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$YWRt'), false,
  'but only while none can sign in');

SET LOCAL ROLE system_admin;
SELECT throws_ok($$SELECT password_hash FROM app.users$$, '42501', NULL, 'not even a system admin reads a password hash');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
