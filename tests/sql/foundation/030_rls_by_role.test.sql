-- Row-level security as PostgREST runs it: SET ROLE plus request.jwt.claims.
-- org_owner and staff see only their organization; system_admin sees all; anon sees nothing private.
BEGIN;
SELECT plan(16);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'),
  ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.projects (organization_id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'a-web'), ('00000000-0000-0000-0000-00000000000b', 'b-web');
INSERT INTO app.users (organization_id, email, role) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'owner@a.test', 'org_owner'),
  ('00000000-0000-0000-0000-00000000000b', 'owner@b.test', 'org_owner');
INSERT INTO app.system_errors (error_hash, error_type, message, organization_id) VALUES
  (repeat('a', 64), 'javascript', 'A broke', '00000000-0000-0000-0000-00000000000a'),
  (repeat('b', 64), 'api', 'B broke', '00000000-0000-0000-0000-00000000000b');
INSERT INTO app.user_error_reports (report_type, reporter_type, organization_id, title, description) VALUES
  ('bug', 'customer', '00000000-0000-0000-0000-00000000000a', 'A report', 'x'),
  ('bug', 'customer', '00000000-0000-0000-0000-00000000000b', 'B report', 'y');
INSERT INTO app.health_checks (check_type, service_name, status) VALUES ('api', 'api', 'healthy');
INSERT INTO app.health_checks (check_type, service_name, status, organization_id)
  VALUES ('external', 'a-shop', 'degraded', '00000000-0000-0000-0000-00000000000a'),
         ('external', 'b-shop', 'healthy', '00000000-0000-0000-0000-00000000000b');

-- org owner of A
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role":"org_owner","org_id":"00000000-0000-0000-0000-00000000000a"}';
SELECT results_eq('SELECT message FROM api.system_errors', $$VALUES ('A broke'::text)$$, 'org owner sees only own errors');
SELECT results_eq('SELECT title::text FROM api.user_error_reports', $$VALUES ('A report')$$, 'org owner sees only own reports');
SELECT results_eq('SELECT name::text FROM api.organizations', $$VALUES ('Org A')$$, 'org owner sees only own organization');
SELECT results_eq('SELECT name::text FROM api.projects', $$VALUES ('a-web')$$, 'org owner sees only own projects');
SELECT results_eq('SELECT email::text FROM api.users', $$VALUES ('owner@a.test')$$, 'org owner sees only own users');
SELECT set_eq('SELECT service_name::text FROM api.health_checks', $$VALUES ('a-shop'), ('api')$$,
  'org owner sees its own monitors'' health rows and the platform''s (read-only), not another organization''s');
SELECT throws_ok($$INSERT INTO app.projects (organization_id, name) VALUES ('00000000-0000-0000-0000-00000000000b', 'sneaky')$$,
  '42501', NULL, 'org owner cannot create a project in another organization');
RESET ROLE;

-- staff of B
SET LOCAL ROLE staff;
SET LOCAL request.jwt.claims = '{"role":"staff","org_id":"00000000-0000-0000-0000-00000000000b"}';
SELECT results_eq('SELECT message FROM api.system_errors', $$VALUES ('B broke'::text)$$, 'staff sees only own errors');
SELECT is_empty($$SELECT 1 FROM api.system_errors WHERE organization_id = '00000000-0000-0000-0000-00000000000a'$$,
  'staff cannot reach another organization even by filtering on it');
RESET ROLE;

-- an org role without an org claim sees nothing
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role":"org_owner"}';
SELECT is_empty('SELECT 1 FROM api.system_errors', 'a token without org_id sees no errors');
RESET ROLE;

-- system admin
SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role":"system_admin"}';
SELECT is((SELECT count(*)::int FROM api.system_errors), 2, 'system admin sees every organization''s errors');
SELECT is((SELECT count(*)::int FROM api.health_checks), 3, 'system admin sees every health row');
SELECT is((SELECT count(*)::int FROM api.user_error_reports), 2, 'system admin sees every report');
RESET ROLE;

-- anon
SET LOCAL ROLE anon;
SET LOCAL request.jwt.claims = '{"role":"anon"}';
SELECT throws_ok('SELECT * FROM api.system_errors', '42501', NULL, 'anon cannot read errors');
SELECT throws_ok('SELECT * FROM app.system_errors', '42501', NULL, 'anon cannot reach the private schema');
SELECT is((api.whoami() ->> 'role'), 'anon', 'anon may ask who it is');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
