-- Who may read and change a personal-data policy, as PostgREST runs it: org owners their own
-- organization's, system admins any, staff read their own; nobody reads a hash key.
BEGIN;
SELECT plan(23);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.users (id, organization_id, email, role) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', 'owner@a.example', 'org_owner');

-- == anon ==

SET LOCAL ROLE anon;
SET LOCAL request.jwt.claims = '{"role": "anon"}';
SELECT throws_ok('SELECT * FROM api.personal_data_policies', '42501', NULL, 'anon cannot read policies');
SELECT throws_ok($$SELECT api.set_personal_data_policy(email := 'keep', organization_id := '00000000-0000-0000-0000-00000000000a')$$,
                 '42501', NULL, 'anon cannot set one');
RESET ROLE;

-- == org owner of A ==

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a", "sub": "00000000-0000-0000-0000-0000000000a1"}';
SELECT results_eq('SELECT organization_id, email::text, ip_address::text, user_id::text FROM api.personal_data_policies',
                  $$VALUES ('00000000-0000-0000-0000-00000000000a'::uuid, 'hash', 'hash', 'hash')$$,
                  'an org owner reads only its own organization''s policy: hash by default');
SELECT throws_ok('SELECT hash_key FROM app.personal_data_policy', '42501', NULL, 'an org owner cannot read its hash key');
SELECT throws_ok('SELECT * FROM app.personal_data_policy', '42501', NULL, '... not even by selecting every column');
SELECT is(api.set_personal_data_policy(email := 'keep', ip_address := 'drop') - 'updated_at',
          jsonb_build_object('organization_id', '00000000-0000-0000-0000-00000000000a', 'email', 'keep', 'ip_address', 'drop',
                             'user_id', 'hash', 'updated_by', '00000000-0000-0000-0000-0000000000a1'),
          'an org owner sets its own policy (organization_id defaults to its own); what is left out stays; it says who did');
SELECT is(api.set_personal_data_policy(user_id := 'DROP') ->> 'user_id', 'drop', 'values are read case-insensitively');
SELECT ok(NOT (api.set_personal_data_policy() ? 'hash_key'), 'the answer holds no key');
SELECT throws_like($$SELECT api.set_personal_data_policy(email := 'keep', organization_id := '00000000-0000-0000-0000-00000000000b')$$,
                   '%QN001%', 'another organization''s policy is not found (404)');
SELECT throws_ok($$SELECT api.set_personal_data_policy(email := 'encrypt')$$, 'QV001', NULL, 'an unknown action is QV001');
SELECT throws_ok($$SELECT api.set_personal_data_policy(ip_address := '')$$, 'QV001', NULL, 'so is an empty one');
SELECT is_empty($$UPDATE app.personal_data_policy SET email = 'keep'
                   WHERE organization_id = '00000000-0000-0000-0000-00000000000b' RETURNING organization_id$$,
                'writing to the table directly does not reach another organization either');
SELECT throws_ok($$UPDATE app.personal_data_policy SET hash_key = '\x00' WHERE organization_id = '00000000-0000-0000-0000-00000000000a'$$,
                 '42501', NULL, 'an org owner cannot replace its key');
SELECT throws_ok($$INSERT INTO app.personal_data_policy (organization_id) VALUES ('00000000-0000-0000-0000-00000000000b')$$,
                 '42501', NULL, 'nor insert a policy');
SELECT throws_ok($$DELETE FROM app.personal_data_policy$$, '42501', NULL, 'nor delete one');
RESET ROLE;

-- == staff of A ==

SET LOCAL ROLE staff;
SET LOCAL request.jwt.claims = '{"role": "staff", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SELECT results_eq('SELECT organization_id, email::text FROM api.personal_data_policies',
                  $$VALUES ('00000000-0000-0000-0000-00000000000a'::uuid, 'keep')$$, 'staff read their organization''s policy');
SELECT throws_ok($$SELECT api.set_personal_data_policy(email := 'hash')$$, '42501', NULL, 'staff cannot change it');
SELECT throws_ok('SELECT hash_key FROM app.personal_data_policy', '42501', NULL, 'staff cannot read the key');
RESET ROLE;

-- == system admin ==

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SELECT is((SELECT count(*)::int FROM api.personal_data_policies
            WHERE organization_id IN ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b')), 2,
          'system admins read every policy');
SELECT is(api.set_personal_data_policy(email := 'drop', organization_id := '00000000-0000-0000-0000-00000000000b') ->> 'email',
          'drop', 'system admins set any organization''s policy');
SELECT throws_ok($$SELECT api.set_personal_data_policy(email := 'drop')$$, 'QV002', NULL,
                 'a system admin must name the organization (QV002)');
SELECT throws_like($$SELECT api.set_personal_data_policy(email := 'drop', organization_id := gen_random_uuid()::text)$$, '%QN001%',
                   'an organization that does not exist is not found (404)');
SELECT throws_ok('SELECT hash_key FROM app.personal_data_policy', '42501', NULL, 'no API role reads a key, system admins included');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
