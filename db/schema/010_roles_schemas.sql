-- Roles are cluster-wide, so creating them must be idempotent (several databases share them).
DO $$
DECLARE
  nologin_role text;
BEGIN
  FOREACH nologin_role IN ARRAY ARRAY['anon', 'staff', 'org_owner', 'system_admin'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = nologin_role) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', nologin_role);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
    CREATE ROLE authenticator LOGIN NOINHERIT;  -- PostgREST logs in as this, then SET ROLE per JWT
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgwarden_worker') THEN
    CREATE ROLE pgwarden_worker LOGIN;          -- the Python workers' login
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgwarden_web') THEN
    CREATE ROLE pgwarden_web LOGIN;             -- pgwarden web: executes its SECURITY DEFINER entry points only
  END IF;
END $$;

GRANT anon, staff, org_owner, system_admin TO authenticator;

-- No request may hold a backend for long (PostgREST 12 applies the impersonated role's settings
-- to each request's transaction; pgwarden web's login gets them at connect). A legitimate request
-- takes milliseconds: a capture ~1 ms, a batch of 1000 events or a stats query well under a
-- second. Readers of large ranges get more. The worker and the superuser have none.
ALTER ROLE anon SET statement_timeout = '5s';
ALTER ROLE pgwarden_web SET statement_timeout = '5s';
ALTER ROLE staff SET statement_timeout = '15s';
ALTER ROLE org_owner SET statement_timeout = '15s';
ALTER ROLE system_admin SET statement_timeout = '30s';
ALTER ROLE anon SET idle_in_transaction_session_timeout = '10s';
ALTER ROLE pgwarden_web SET idle_in_transaction_session_timeout = '10s';
ALTER ROLE staff SET idle_in_transaction_session_timeout = '10s';
ALTER ROLE org_owner SET idle_in_transaction_session_timeout = '10s';
ALTER ROLE system_admin SET idle_in_transaction_session_timeout = '10s';

CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'pgwarden private schema: tables, enums and internal functions; never exposed over HTTP';

-- Nothing is executable unless granted explicitly (PostgREST schema-isolation advice).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Invokers of the api views need to reach the tables behind them (RLS decides which rows);
-- anon needs only to resolve the request-context helpers. Table grants stay per role.
GRANT USAGE ON SCHEMA app TO anon, staff, org_owner, system_admin, pgwarden_worker, pgwarden_web;
