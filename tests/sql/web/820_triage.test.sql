-- Triage through api as an org owner: assigning an error to a person of its organization (with
-- its history), filtering groups by what their events hold, and revoking a widget key; another
-- organization's error, people and projects are out of reach.
BEGIN;
SELECT plan(15);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.users (id, email, role, organization_id) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'owner-a@example.com', 'org_owner', '00000000-0000-0000-0000-00000000000a'),
  ('00000000-0000-0000-0000-0000000000a2', 'staff-a@example.com', 'staff', '00000000-0000-0000-0000-00000000000a'),
  ('00000000-0000-0000-0000-0000000000b1', 'owner-b@example.com', 'org_owner', '00000000-0000-0000-0000-00000000000b');
INSERT INTO app.projects (id, organization_id, name) OVERRIDING SYSTEM VALUE VALUES
  (9001, '00000000-0000-0000-0000-00000000000a', 'shop-a'), (9002, '00000000-0000-0000-0000-00000000000b', 'shop-b');
INSERT INTO app.system_errors (id, error_hash, error_type, message, organization_id) VALUES
  ('00000000-0000-0000-0000-0000000000e1', repeat('1', 64), 'api', 'A down', '00000000-0000-0000-0000-00000000000a'),
  ('00000000-0000-0000-0000-0000000000e4', repeat('4', 64), 'api', 'B broke', '00000000-0000-0000-0000-00000000000b');
INSERT INTO app.error_events (organization_id, error_hash, project_id, error_type, message, metadata) VALUES
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 9001, 'api', 'A down',
   '{"environment": "staging", "release": "shop@2"}'),
  ('00000000-0000-0000-0000-00000000000a', repeat('1', 64), 9001, 'api', 'A down', '{"environment": "production"}');
SELECT app.widget_key_set(9001), app.widget_key_set(9002);

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a",
                                 "sub": "00000000-0000-0000-0000-0000000000a1"}';

-- assignment
SELECT is(api.assign_error('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000a2') ->> 'assigned_to',
  '00000000-0000-0000-0000-0000000000a2', 'an org owner assigns their error to a person of their organization');
SELECT is(api.assign_error('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000a2') ->> 'previous_assignee',
  '00000000-0000-0000-0000-0000000000a2', 'the same person again changes nothing');
SELECT is(api.assign_error('00000000-0000-0000-0000-0000000000e1', NULL) ->> 'assigned_to', NULL, 'and unassigns it');
SELECT results_eq($$SELECT from_user, to_user, changed_by FROM api.error_assignment_history ORDER BY id$$,
  $$VALUES (NULL::uuid, '00000000-0000-0000-0000-0000000000a2'::uuid, '00000000-0000-0000-0000-0000000000a1'::uuid),
           ('00000000-0000-0000-0000-0000000000a2', NULL, '00000000-0000-0000-0000-0000000000a1')$$,
  'every change is kept once, with who made it');
SELECT is(api.get_error_detail('00000000-0000-0000-0000-0000000000e1') -> 'assignment_history' -> 0 ->> 'to',
  'staff-a@example.com', 'its page names the people by e-mail address');
SELECT throws_like($$SELECT api.assign_error('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000b1')$$,
  '%"code" : "QN371"%', 'a person of another organization cannot be assigned (404)');
SELECT throws_like($$SELECT api.assign_error('00000000-0000-0000-0000-0000000000e4', '00000000-0000-0000-0000-0000000000a1')$$,
  '%"code" : "QN001"%', 'another organization''s error is not found (404)');
SELECT throws_ok($$UPDATE app.system_errors SET message = 'x' WHERE id = '00000000-0000-0000-0000-0000000000e1'$$,
  '42501', NULL, 'assigning grants the assignee column, not the others');

-- what events hold
SELECT results_eq($$SELECT DISTINCT error_hash::text FROM api.error_groups_seen_in(9001, 'staging', 'shop@2')$$,
  ARRAY[repeat('1', 64)], 'a group is seen in the project, environment and release of one of its events');
SELECT is_empty($$SELECT FROM api.error_groups_seen_in(NULL, 'production', 'shop@2')$$,
  'all filters hold for the same event');
SELECT is((SELECT count(*)::int FROM api.error_groups_seen_in()), 2, 'no filter: every event');
RESET ROLE;
INSERT INTO app.error_events (organization_id, error_hash, error_type, message, metadata) VALUES
  ('00000000-0000-0000-0000-00000000000b', repeat('4', 64), 'api', 'B broke', '{"environment": "staging"}');
SET LOCAL ROLE org_owner;
SELECT is((SELECT count(*)::int FROM api.error_groups_seen_in(NULL, 'staging')), 1,
  'another organization''s events are not seen');

-- widget keys
SELECT ok(api.revoke_widget_key(9001), 'an org owner revokes their project''s widget key');
SELECT is_empty($$SELECT FROM api.widget_keys WHERE project_id = 9001$$, 'which is gone');
SELECT throws_like($$SELECT api.revoke_widget_key(9002)$$, '%"code" : "QN001"%',
  'another organization''s project is not found (404), its key kept');

SELECT * FROM finish();
ROLLBACK;
