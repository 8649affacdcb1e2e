-- The status workflow: allowed transitions, resolved_at/resolved_by, history, codes.
BEGIN;
SELECT plan(17);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.users (id, organization_id, email, role) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'owner@a.test', 'org_owner');
INSERT INTO app.system_errors (id, error_hash, error_type, message, organization_id) VALUES
  ('00000000-0000-0000-0000-0000000000e1', repeat('1', 64), 'api', 'A broke', '00000000-0000-0000-0000-00000000000a'),
  ('00000000-0000-0000-0000-0000000000e2', repeat('2', 64), 'api', 'B broke', '00000000-0000-0000-0000-00000000000b');

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a1"}';

SELECT is(api.update_error_status('00000000-0000-0000-0000-0000000000e1', 'investigating') ->> 'status', 'investigating',
  'an org owner moves an open error along the workflow');
SELECT is(api.update_error_status('00000000-0000-0000-0000-0000000000e1', 'resolved', 'fixed in 1.2.3') ->> 'status', 'resolved',
  'and resolves it');
SELECT results_eq($$SELECT resolved_at, resolved_by FROM app.system_errors WHERE id = '00000000-0000-0000-0000-0000000000e1'$$,
  $$VALUES (now(), '00000000-0000-0000-0000-0000000000a1'::uuid)$$, 'resolving sets resolved_at and resolved_by');
SELECT throws_ok($$SELECT app.error_status_change('00000000-0000-0000-0000-0000000000e1', 'fixing')$$, 'QS001', NULL,
  'a resolved error cannot go back to work without being reopened');
SELECT throws_like($$SELECT api.update_error_status('00000000-0000-0000-0000-0000000000e1', 'fixing')$$, '%"code" : "QS001"%',
  'through the API that is a 409 (QS001)');
SELECT is(api.update_error_status('00000000-0000-0000-0000-0000000000e1', 'resolved') ->> 'previous_status', 'resolved',
  'resolving a resolved error again changes nothing');
SELECT is(api.update_error_status('00000000-0000-0000-0000-0000000000e1', 'new', 'it is back') ->> 'status', 'new',
  'reopen: resolved -> new');
SELECT results_eq($$SELECT resolved_at, resolved_by FROM app.system_errors WHERE id = '00000000-0000-0000-0000-0000000000e1'$$,
  $$VALUES (NULL::timestamptz, NULL::uuid)$$, 'reopening clears the resolution');
SELECT throws_ok($$SELECT app.error_status_change('00000000-0000-0000-0000-0000000000e1', 'recurring')$$, 'QS001', NULL,
  'only ingest makes an error recurring');
SELECT is(api.update_error_status('00000000-0000-0000-0000-0000000000e1', 'ignored') ->> 'status', 'ignored', 'ignore');
SELECT throws_ok($$SELECT app.error_status_change('00000000-0000-0000-0000-0000000000e1', 'fixing')$$, 'QS001', NULL,
  'an ignored error must be reopened before work resumes');
SELECT is(api.update_error_status('00000000-0000-0000-0000-0000000000e1', 'new') ->> 'status', 'new', 'unignore: ignored -> new');
SELECT throws_ok($$SELECT app.error_status_change('00000000-0000-0000-0000-0000000000e1', 'solved')$$, 'QV001', NULL,
  'an unknown status is invalid');
SELECT throws_ok($$SELECT app.error_status_change('00000000-0000-0000-0000-0000000000e2', 'resolved')$$, 'QN001', NULL,
  'another organization''s error is not found for an org owner');
SELECT throws_like($$SELECT api.update_error_status('00000000-0000-0000-0000-0000000000ee', 'resolved')$$, '%"code" : "QN001"%',
  'through the API an unknown error is a 404 (QN001)');
SELECT results_eq($$SELECT from_status::text, to_status::text, note FROM api.error_status_history ORDER BY id$$,
  $$VALUES ('new', 'investigating', NULL), ('investigating', 'resolved', 'fixed in 1.2.3'), ('resolved', 'new', 'it is back'),
           ('new', 'ignored', NULL), ('ignored', 'new', NULL)$$,
  'every change is in the history with its note');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM app.system_errors WHERE status <> 'new'), 0, 'the other organization''s error was not touched');

SELECT * FROM finish();
ROLLBACK;
