-- Who may do what with the web-ingest slice: the web role only runs its entry points; org roles
-- see their own counters; webhook secrets only for projects one may see.
BEGIN;
SELECT plan(10);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.projects (organization_id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'a-web'), ('00000000-0000-0000-0000-00000000000b', 'b-web');
INSERT INTO app.client_sessions (project_id, sid, organization_id, release, started_at, updated_at, status)
SELECT p.id, 's-' || p.name, p.organization_id, 'rel-' || p.name, now(), now(), 'crashed' FROM app.projects p;
INSERT INTO app.client_discards (organization_id, project_id, hour, reason, category, quantity)
SELECT p.organization_id, p.id, date_trunc('hour', now()), 'sample_rate', 'error', 3 FROM app.projects p;

SELECT ok(has_function_privilege('pgwarden_web', 'app.web_ingest(jsonb)', 'EXECUTE'), 'the web role runs the ingest');
SELECT ok(has_function_privilege('pgwarden_web', 'app.ingest_error_webhook(text, bigint, text, bytea, text, integer[])', 'EXECUTE'),
          'the web role runs the webhook ingest');
SELECT ok(NOT has_table_privilege('pgwarden_web', 'app.projects', 'SELECT'), 'the web role cannot read projects (keys)');
SELECT ok(NOT has_table_privilege('pgwarden_web', 'app.system_errors', 'SELECT'), 'the web role cannot read errors');
SELECT ok(NOT has_function_privilege('anon', 'app.web_ingest(jsonb)', 'EXECUTE'), 'anon cannot run the web ingest');

SELECT set_config('test.b_project', id::text, true) FROM app.projects WHERE name = 'b-web';

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role":"org_owner","org_id":"00000000-0000-0000-0000-00000000000a"}';
SELECT results_eq('SELECT release, crash_free_percent FROM api.release_health',
                  $$VALUES ('rel-a-web'::text, 0.00::numeric)$$, 'org owner sees only own release health');
SELECT results_eq('SELECT quantity FROM api.client_discards', $$VALUES (3::bigint)$$, 'org owner sees only own client drops');
SELECT ok(api.create_webhook_secret((SELECT id FROM api.projects)) LIKE 'whsec_%', 'org owner makes a secret for an own project');
SELECT throws_ok(format('SELECT api.create_webhook_secret(%s)', current_setting('test.b_project')),
                 'PGRST', NULL, 'another organization''s project reads as not found (404)');
RESET ROLE;
SELECT is((SELECT count(*) FROM app.project_webhook_secrets), 1::bigint, 'only the own project got a secret');

SELECT * FROM finish();
ROLLBACK;
