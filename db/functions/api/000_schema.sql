-- The api schema holds no data, only views and functions, so it is rebuilt from scratch on every
-- `pgwarden db apply` (nothing outside api may depend on it).
DROP SCHEMA IF EXISTS api CASCADE;
CREATE SCHEMA api;
COMMENT ON SCHEMA api IS $$pgwarden API

Self-hosted error monitoring and system health. Views list what your role may see (row-level
security by organization); functions under /rpc/ capture errors, manage state and compute stats.$$;
GRANT USAGE ON SCHEMA api TO anon, staff, org_owner, system_admin;
