-- Every api view either takes writes on purpose or refuses them with QA040 (405): never a 500.
-- PostgREST calls app.request_guard() first in every request (pgrst.db_pre_request), as the caller.
BEGIN;
SELECT plan(5);

SELECT is((SELECT rolconfig FROM pg_roles WHERE rolname = 'authenticator') @> ARRAY['pgrst.db_pre_request=app.request_guard'],
  true, 'PostgREST runs app.request_guard before every request (in-database configuration)');

-- A view granted a write must be able to carry it out, or PostgreSQL answers 55000 (a 500).
SELECT is_empty($$
  SELECT c.relname || ' ' || a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
   WHERE c.relnamespace = 'api'::regnamespace AND c.relkind = 'v' AND a.grantee <> c.relowner
     AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE')
     AND pg_relation_is_updatable(c.oid, true)
         & CASE a.privilege_type WHEN 'INSERT' THEN 8 WHEN 'UPDATE' THEN 4 ELSE 16 END = 0$$,
  'every write granted on an api view is one the view can carry out (updatable or INSTEAD OF triggers)');

-- Each write method on each api view, run through the guard as PostgREST would: the ones no role is
-- granted are refused with QA040 and status 405; the rest pass.
CREATE FUNCTION pg_temp.guard_answer(p_view text, p_method text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_message text;
  v_detail text;
BEGIN
  PERFORM set_config('request.method', p_method, true), set_config('request.path', '/' || p_view, true);
  PERFORM app.request_guard();
  RETURN 'passed';
EXCEPTION WHEN SQLSTATE 'PGRST' THEN
  GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
  RETURN (v_message::jsonb ->> 'code') || ' ' || (v_detail::jsonb ->> 'status');
END $$;

SELECT is_empty($$
  SELECT c.relname || ' ' || m.method || ': ' || pg_temp.guard_answer(c.relname, m.method)
    FROM pg_class c CROSS JOIN (VALUES ('POST'), ('PUT'), ('PATCH'), ('DELETE')) m (method)
   WHERE c.relnamespace = 'api'::regnamespace AND c.relkind = 'v'
     AND pg_temp.guard_answer(c.relname, m.method)
         <> CASE WHEN app.api_view_takes(c.relname, m.method) THEN 'passed' ELSE 'QA040 405' END$$,
  'every api view refuses, through the guard, each write method it does not take on purpose');

SELECT is(pg_temp.guard_answer('system_errors', 'POST'), 'QA040 405', 'e.g. nobody inserts into system_errors through the API');

-- Reads and RPC calls pass without looking at the catalog.
SELECT is(ARRAY[pg_temp.guard_answer('jobs', 'GET'), pg_temp.guard_answer('rpc/capture_error', 'POST')],
          ARRAY['passed', 'passed'], 'reads and /rpc/ calls pass the guard');

SELECT * FROM finish();
ROLLBACK;
