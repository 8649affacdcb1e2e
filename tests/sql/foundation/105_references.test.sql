-- Organizations, projects and error groups are named by id, id prefix (4+ hex digits) or name:
-- one match answers, none is QN001, several are QV001.
BEGIN;
SELECT plan(11);

INSERT INTO app.organizations (id, name) VALUES
  ('abcd0000-0000-4000-8000-000000000001', 'Acme'),
  ('abcd0000-0000-4000-8000-000000000002', 'Globex'),
  ('12340000-0000-4000-8000-000000000003', 'Initech');
INSERT INTO app.projects (organization_id, name) VALUES ('12340000-0000-4000-8000-000000000003', 'tps-reports');

SELECT is(app.organization_ref('acme'), 'abcd0000-0000-4000-8000-000000000001'::uuid, 'a name, in any case');
SELECT is(app.organization_ref('1234'), '12340000-0000-4000-8000-000000000003'::uuid, 'an id prefix');
SELECT is(app.organization_ref('abcd0000-0000-4000-8000-000000000002'), 'abcd0000-0000-4000-8000-000000000002'::uuid,
          'a full id');
SELECT is(app.organization_ref(NULL), NULL::uuid, 'no reference, no organization');
SELECT throws_ok($$SELECT app.organization_ref('abcd')$$, 'QV001', NULL, 'a prefix of two is ambiguous');
SELECT throws_ok($$SELECT app.organization_ref('not-a-uuid', '--org')$$, 'QN001', NULL, 'nothing matches');
SELECT throws_ok($$SELECT app.organization_ref('abc')$$, 'QN001', NULL, 'three digits are no prefix');

SELECT is(app.project_ref('TPS-Reports'), (SELECT id FROM app.projects WHERE name = 'tps-reports'), 'a project by name');
SELECT is(app.project_ref((SELECT id FROM app.projects WHERE name = 'tps-reports')::text),
          (SELECT id FROM app.projects WHERE name = 'tps-reports'), 'a project by id');
SELECT throws_ok($$SELECT app.project_ref('999999999')$$, 'QN001', NULL, 'an unknown project id');
SELECT throws_ok($$SELECT app.error_ref('ffff')$$, 'QN001', NULL, 'an unknown error group prefix');

SELECT * FROM finish();
ROLLBACK;
