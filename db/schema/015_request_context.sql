-- Who is asking. PostgREST puts the verified JWT claims into request.jwt.claims for the
-- transaction; RLS policies read them through these helpers. They live in the stateful layer
-- because policies depend on them. A policy calls them as a scalar subquery,
-- `organization_id = (SELECT app.current_org_id())`: an initplan computed once per statement and
-- usable as an index condition, where a bare call re-parses the claims for every row checked.

-- A reset custom setting reads back as '' rather than NULL, hence the nullif.
CREATE FUNCTION app.jwt_claim(p_name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> p_name
$$;
COMMENT ON FUNCTION app.jwt_claim(text) IS 'One claim of the current request''s verified JWT, or NULL';

CREATE FUNCTION app.current_org_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT app.jwt_claim('org_id')::uuid $$;
COMMENT ON FUNCTION app.current_org_id() IS 'The organization of the current request (JWT claim org_id)';

CREATE FUNCTION app.current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT app.jwt_claim('sub')::uuid $$;
COMMENT ON FUNCTION app.current_user_id() IS 'The user of the current request (JWT claim sub)';

GRANT EXECUTE ON FUNCTION app.jwt_claim(text), app.current_org_id(), app.current_user_id()
  TO anon, staff, org_owner, system_admin;
