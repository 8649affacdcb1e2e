-- Who may capture, read and change what, as PostgREST runs it (SET ROLE + request settings).
BEGIN;
SELECT plan(36);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'Org A'), ('00000000-0000-0000-0000-00000000000b', 'Org B');
INSERT INTO app.projects (organization_id, name, public_key) VALUES
  ('00000000-0000-0000-0000-00000000000a', 'a-web', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
  ('00000000-0000-0000-0000-00000000000b', 'b-web', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000a', 50);
SELECT app.rate_limit_set('00000000-0000-0000-0000-00000000000b', 50);

CREATE FUNCTION pg_temp.org_of(p_result jsonb) RETURNS uuid
LANGUAGE sql SECURITY DEFINER AS $$ SELECT organization_id FROM app.system_errors WHERE id = (p_result ->> 'id')::uuid $$;
GRANT EXECUTE ON FUNCTION pg_temp.org_of(jsonb) TO PUBLIC;

-- == anon: captures with a project key, reads nothing ==

SET LOCAL ROLE anon;
SET LOCAL request.jwt.claims = '{"role": "anon"}';
SET LOCAL request.headers = '{"x-pgwarden-key": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}';
SELECT is(pg_temp.org_of(api.capture_error('{"message": "anon in A", "error_type": "javascript"}')),
  '00000000-0000-0000-0000-00000000000a'::uuid, 'anon captures into the organization of its project key');
SELECT is(jsonb_array_length(api.capture_errors('[{"message": "batch 1"}, {"message": "batch 2", "severity": "bad"}]')), 2,
  'anon captures batches');
SET LOCAL request.headers = '{"x-pgwarden-key": "cccccccccccccccccccccccccccccccc"}';
SELECT throws_like($$SELECT api.capture_error('{"message": "x"}')$$, '%"code" : "QAI01"%', 'an unknown key is refused (401)');
SET LOCAL request.headers = '{}';
SELECT throws_like($$SELECT api.capture_error('{"message": "x"}')$$, '%"code" : "QAI01"%', 'no key is refused (401)');
SELECT throws_ok('SELECT * FROM api.error_groups', '42501', NULL, 'anon cannot list errors');
SELECT throws_ok('SELECT * FROM api.error_events', '42501', NULL, 'anon cannot read events');
SELECT throws_ok('SELECT * FROM api.error_metrics', '42501', NULL, 'anon cannot read metrics');
SELECT throws_ok('SELECT * FROM api.error_status_history', '42501', NULL, 'anon cannot read status history');
SELECT throws_ok('SELECT * FROM api.rate_limit_usage', '42501', NULL, 'anon cannot read rate-limit usage');
SELECT throws_ok('SELECT api.get_error_stats()', '42501', NULL, 'anon cannot read stats');
SELECT throws_ok($$SELECT * FROM api.search_errors('x')$$, '42501', NULL, 'anon cannot search');
SELECT throws_ok($$SELECT api.update_error_status(gen_random_uuid()::text, 'resolved')$$, '42501', NULL, 'anon cannot change a status');
RESET ROLE;

-- == staff of B: captures for its organization, sees only it ==

SET LOCAL ROLE staff;
SET LOCAL request.jwt.claims = '{"role": "staff", "org_id": "00000000-0000-0000-0000-00000000000b"}';
SET LOCAL request.headers = '{}';
SELECT is(pg_temp.org_of(api.capture_error('{"message": "staff in B"}')), '00000000-0000-0000-0000-00000000000b'::uuid,
  'staff capture for the organization of their token');
SET LOCAL request.headers = '{"x-pgwarden-key": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}';
SELECT throws_like($$SELECT api.capture_error('{"message": "x"}')$$, '%"code" : "QAI02"%',
  'staff cannot capture with another organization''s key (403)');
SELECT results_eq('SELECT message FROM api.error_groups', $$VALUES ('staff in B'::text)$$, 'staff list only their errors');
SELECT results_eq('SELECT message FROM api.error_events', $$VALUES ('staff in B'::text)$$, 'staff read only their events');
SELECT is((SELECT count(*)::int FROM api.error_metrics WHERE organization_id <> '00000000-0000-0000-0000-00000000000b'), 0,
  'staff read only their metrics');
SELECT is((SELECT count(*)::int FROM api.search_errors('anon')), 0, 'search does not reach other organizations');
SELECT throws_ok('SELECT * FROM api.rate_limit_usage', '42501', NULL, 'staff do not read rate-limit usage');
SELECT throws_ok($$SELECT api.set_rate_limit('00000000-0000-0000-0000-00000000000b', 0)$$, '42501', NULL, 'staff cannot set limits');
RESET ROLE;

-- == org owner of A ==

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-00000000000a"}';
SET LOCAL request.headers = '{"x-pgwarden-key": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}';
SELECT is(pg_temp.org_of(api.capture_error('{"message": "owner in A"}')), '00000000-0000-0000-0000-00000000000a'::uuid,
  'an org owner may also send its own project key');
SELECT results_eq('SELECT message FROM api.error_groups ORDER BY message',
  $$VALUES ('anon in A'::text), ('batch 1'), ('owner in A')$$, 'org owners list only their errors');
SELECT is((SELECT count(*)::int FROM api.error_events), 3, 'org owners read only their events');
SELECT is((SELECT count(*)::int FROM api.search_errors('anon')), 1, 'search finds their own errors');
SELECT results_eq('SELECT organization_id, per_minute FROM api.organization_rate_limits',
  $$VALUES ('00000000-0000-0000-0000-00000000000a'::uuid, 50)$$, 'org owners see their own limit');
SELECT results_eq('SELECT organization_id, accepted, refused FROM api.rate_limit_usage',
  $$VALUES ('00000000-0000-0000-0000-00000000000a'::uuid, 3, 0)$$, 'org owners see their own usage');
SELECT throws_ok($$SELECT api.set_rate_limit('00000000-0000-0000-0000-00000000000a', 0)$$, '42501', NULL,
  'org owners cannot lift their own limit');
SELECT throws_like($$SELECT api.update_error_status((SELECT id::text FROM app.system_errors LIMIT 0), 'resolved')$$, '%QN001%',
  'an error they cannot see is not found');
RESET ROLE;
SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner"}';
SET LOCAL request.headers = '{}';
SELECT throws_like($$SELECT api.capture_error('{"message": "x"}')$$, '%"code" : "QAI02"%', 'a token without organization cannot capture');
RESET ROLE;

-- == system admin ==

SET LOCAL ROLE system_admin;
SET LOCAL request.jwt.claims = '{"role": "system_admin"}';
SET LOCAL request.headers = '{"x-pgwarden-key": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}';
SELECT is(pg_temp.org_of(api.capture_error('{"message": "admin in B"}')), '00000000-0000-0000-0000-00000000000b'::uuid,
  'a system admin captures for the organization named by the project key');
SET LOCAL request.headers = '{}';
SELECT throws_like($$SELECT api.capture_error('{"message": "x"}')$$, '%"code" : "QAI01"%', 'a system admin must name a project');
SELECT is((SELECT count(*)::int FROM api.error_groups), 5, 'system admins list every organization''s errors');
SELECT is((SELECT count(DISTINCT organization_id)::int FROM api.error_events), 2, 'and read every event');
SELECT is(api.set_rate_limit('00000000-0000-0000-0000-00000000000b', 0), 0, 'system admins set limits');
SELECT is(api.update_error_status((SELECT id::text FROM api.error_groups WHERE message = 'staff in B'), 'resolved') ->> 'status',
  'resolved', 'system admins change any organization''s errors');
SELECT is((SELECT count(*)::int FROM api.error_status_history), 1, 'and read every history');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
