-- 0001: extensions, roles, schemas, the error-code registry and the spec's twelve enums.

-- ---- as in db/schema/000_extensions.sql
-- Extensions every pgwarden database needs.
CREATE EXTENSION IF NOT EXISTS pgcrypto;   -- gen_random_bytes() for project keys
CREATE EXTENSION IF NOT EXISTS pg_trgm;    -- similarity search over error messages

-- pg_cron can only be created in the database named by cron.database_name; test clones and
-- external databases without it still get everything else (schedules are then skipped).
DO $$
BEGIN
  IF current_setting('cron.database_name', true) = current_database() THEN
    CREATE EXTENSION IF NOT EXISTS pg_cron;
  END IF;
END $$;

-- ---- as in db/schema/010_roles_schemas.sql
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

CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'pgwarden private schema: tables, enums and internal functions; never exposed over HTTP';

-- Nothing is executable unless granted explicitly (PostgREST schema-isolation advice).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Invokers of the api views need to reach the tables behind them (RLS decides which rows);
-- anon needs only to resolve the request-context helpers. Table grants stay per role.
GRANT USAGE ON SCHEMA app TO anon, staff, org_owner, system_admin, pgwarden_worker, pgwarden_web;

-- ---- as in db/schema/015_request_context.sql
-- Who is asking. PostgREST puts the verified JWT claims into request.jwt.claims for the
-- transaction; RLS policies read them through these helpers. They live in the stateful layer
-- because policies depend on them.

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

-- ---- as in db/schema/020_error_codes.sql
-- Registry of pgwarden's SQLSTATEs (class Q). Every `errcode = 'Q…'` in db/ must be a row here
-- (a test checks); http_status is what the api layer answers over HTTP.
CREATE TABLE app.error_code (
  code        text PRIMARY KEY CONSTRAINT error_code_code_check CHECK (code ~ '^Q[VNSRA][0-9A-Z]{3}$'),
  http_status smallint NOT NULL CONSTRAINT error_code_http_status_check CHECK (http_status BETWEEN 400 AND 499),
  description text NOT NULL
);
COMMENT ON TABLE app.error_code IS 'pgwarden SQLSTATE registry: QV invalid input, QN not found, QS bad state, QR rate limited, QA forbidden';
-- public knowledge: app.raise_http reads it under the caller's role
GRANT SELECT ON app.error_code TO anon, staff, org_owner, system_admin, pgwarden_worker;

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV001', 400, 'invalid input value'),
  ('QV002', 400, 'required value missing'),
  ('QN001', 404, 'referenced object not found'),
  ('QS001', 409, 'illegal state transition'),
  ('QR001', 429, 'rate limit exceeded'),
  ('QA001', 403, 'forbidden by a rule row-level security cannot express');

-- ---- as in db/schema/030_spec_enums.sql
-- The specification's twelve enums, with exactly its values (append-only: new values go in a
-- migration of their own, since a value added in a transaction cannot be used before commit).

CREATE TYPE app.error_type_enum AS ENUM (
  'javascript', 'network', 'api', 'database',
  'stripe', 'webhook', 'embed', 'auth',
  'validation', 'runtime', 'crash', 'unknown'
);

CREATE TYPE app.severity_enum AS ENUM (
  'debug', 'info', 'warning', 'error', 'critical'
);

CREATE TYPE app.error_status_enum AS ENUM (
  'new',            -- first seen, nobody has looked yet
  'investigating',
  'identified',
  'fixing',
  'resolved',       -- sets resolved_at/resolved_by; seen again -> recurring
  'ignored',        -- keeps counting, raises nothing
  'recurring'       -- a resolved error that happened again (regression)
);

CREATE TYPE app.health_check_type_enum AS ENUM (
  'api', 'webhook', 'database', 'stripe',
  'embed', 'email', 'sms', 'external'
);

CREATE TYPE app.health_status_enum AS ENUM (
  'healthy', 'degraded', 'unhealthy', 'unknown'
);

CREATE TYPE app.report_type_enum AS ENUM (
  'bug', 'feature_request', 'performance',
  'ui_issue', 'data_issue', 'other'
);

CREATE TYPE app.reporter_type_enum AS ENUM (
  'system_admin', 'org_owner', 'staff', 'customer'
);

CREATE TYPE app.priority_enum AS ENUM (
  'low', 'medium', 'high', 'critical'
);

CREATE TYPE app.report_status_enum AS ENUM (
  'open', 'in_progress', 'pending_info',
  'resolved', 'closed', 'duplicate'
);

CREATE TYPE app.alert_type_enum AS ENUM (
  'error_spike', 'critical_error', 'health_degraded',
  'uptime_incident', 'new_user_report'
);

CREATE TYPE app.alert_channel_enum AS ENUM (
  'email', 'slack', 'webhook', 'in_app'
);

CREATE TYPE app.uptime_status_enum AS ENUM (
  'operational', 'degraded', 'partial_outage',
  'major_outage', 'maintenance'
);
