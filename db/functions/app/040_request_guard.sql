-- PostgREST's pre-request hook (pgrst.db_pre_request, db/schema/040_request_guard.sql): it runs
-- first in every request's transaction, as the request's role. A body over its size limit is
-- refused first (app.request_body_check, 025_request_limits.sql). Then a write (POST, PUT, PATCH, DELETE)
-- to an api view that does not take it is refused here with QA040 (405, Allow: GET, HEAD), the
-- same answer for every role: PostgreSQL itself would raise "cannot insert into view" (55000) for
-- a view it cannot update, which PostgREST answers with a 500, or a permission error for the
-- others. RPC calls and reads return at once (two settings read: the cost of the hot path).

-- Whether an api view takes a write on purpose: some role other than its owner holds the
-- privileges the method needs, and PostgreSQL can carry the write out (an updatable view, or
-- INSTEAD OF triggers). TRUE for anything that is not an api view (PostgREST answers for it).
CREATE OR REPLACE FUNCTION app.api_view_takes(p_view text, p_method text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce((
    SELECT pg_relation_is_updatable(c.oid, true) & m.events = m.events
           AND (SELECT count(DISTINCT a.privilege_type) FROM aclexplode(c.relacl) a
                 WHERE a.grantee <> c.relowner AND a.privilege_type = ANY (m.privileges)) = cardinality(m.privileges)
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'api'  -- (by name: api is rebuilt after this file)
      -- pg_relation_is_updatable's bits: 4 UPDATE, 8 INSERT, 16 DELETE
      JOIN (VALUES ('POST', 8, ARRAY['INSERT']), ('PUT', 12, ARRAY['INSERT', 'UPDATE']),
                   ('PATCH', 4, ARRAY['UPDATE']), ('DELETE', 16, ARRAY['DELETE'])) AS m (method, events, privileges)
        ON m.method = upper(p_method)
     WHERE c.relkind = 'v' AND c.relname = p_view), true)
$$;
COMMENT ON FUNCTION app.api_view_takes(text, text) IS
  'Whether the api view takes the HTTP write method on purpose (granted and updatable); true for anything else';

-- Reads (GET, HEAD; never the capture path, which POSTs): a view the caller's role may not read
-- because it sent no token is QA042 (401, with the hint to send one) instead of PostgreSQL's 42501;
-- a function that changes data, called with GET (PostgREST runs GETs read-only), is QA041 (405,
-- Allow: POST) instead of 25006. Anything else is PostgREST's to answer.
CREATE OR REPLACE FUNCTION app.request_read_check(p_path text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_name text := substr(p_path, 2);
BEGIN
  IF starts_with(p_path, '/rpc/') THEN
    IF EXISTS (SELECT FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'api' AND p.proname = substr(p_path, 6) AND p.provolatile = 'v') THEN
      PERFORM app.raise_problem(app.problem('QA041', 'this function changes data',
                                            format('%s is called with POST; GET is for reads.', substr(p_path, 6)),
                                            'Send a POST with a JSON body of its parameters.'),
                                '{"Allow": "POST"}');
    END IF;
  ELSIF current_user = 'anon' AND v_name <> '' AND to_regclass(format('api.%I', v_name)) IS NOT NULL
        AND NOT has_table_privilege(format('api.%I', v_name), 'SELECT') THEN
    PERFORM app.raise_problem(app.problem('QA042', 'reading needs a token',
                                          format('%s is read by system admins, organization owners and staff.', v_name),
                                          'Send Authorization: Bearer <token>; `pgwarden token --role system_admin`'
                                          ' (or --role org_owner --org ORG) makes one.'),
                              '{"WWW-Authenticate": "Bearer"}');
  END IF;
END $$;
COMMENT ON FUNCTION app.request_read_check(text) IS
  'Reads through PostgREST: 401 QA042 with a hint for a view read without a token; 405 QA041 for GET on a data-changing function';

-- A function called without a token that only signed-in roles may run: QA042 (401, with the hint
-- to send one) instead of PostgreSQL's 42501. (anon runs the capture and report functions: those
-- pass, at the cost of one catalog lookup.)
CREATE OR REPLACE FUNCTION app.request_rpc_check(p_path text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_name text := substr(p_path, 6);
BEGIN
  IF (SELECT bool_and(NOT has_function_privilege(p.oid, 'EXECUTE'))
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'api' AND p.proname = v_name) THEN
    PERFORM app.raise_problem(app.problem('QA042', 'calling this function needs a token',
                                          format('%s is called by system admins, organization owners or staff.', v_name),
                                          'Send Authorization: Bearer <token>; `pgwarden token --role system_admin`'
                                          ' (or --role org_owner --org ORG) makes one.'),
                              '{"WWW-Authenticate": "Bearer"}');
  END IF;
END $$;
COMMENT ON FUNCTION app.request_rpc_check(text) IS
  'Calls through PostgREST without a token: 401 QA042 with a hint for an api function only signed-in roles may run';

CREATE OR REPLACE FUNCTION app.request_guard() RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_method text := current_setting('request.method', true);
  v_path text := current_setting('request.path', true);
BEGIN
  PERFORM app.request_body_check();
  IF current_user = 'anon' AND starts_with(v_path, '/rpc/') THEN
    PERFORM app.request_rpc_check(v_path);
  END IF;
  IF v_method IN ('GET', 'HEAD') THEN
    PERFORM app.request_read_check(v_path);
    RETURN;
  END IF;
  IF v_method IS NULL OR v_method = 'OPTIONS' OR starts_with(v_path, '/rpc/')
     OR app.api_view_takes(substr(v_path, 2), v_method) THEN
    RETURN;
  END IF;
  PERFORM app.raise_problem(app.problem('QA040', 'read-only resource',
                                        format('%s is a read-only view: it takes no %s.', substr(v_path, 2), v_method),
                                        'Read it with GET; changes go through the /rpc/ functions.'),
                            '{"Allow": "GET, HEAD"}');
END $$;
COMMENT ON FUNCTION app.request_guard() IS
  'PostgREST pre-request hook: refuses oversized bodies (app.request_body_check), then writes to api views that take none (QA040, 405) for every role';
GRANT EXECUTE ON FUNCTION app.api_view_takes(text, text), app.request_read_check(text), app.request_rpc_check(text),
  app.request_guard()
  TO anon, staff, org_owner, system_admin;
