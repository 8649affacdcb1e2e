-- 0011: bounded work per request: statement and idle-transaction timeouts for the API and web
-- roles, the error codes of the request limits, and the per-minute cap of on-demand health checks.

-- ---- as in db/schema/010_roles_schemas.sql
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

-- ---- as in db/schema/020_error_codes.sql
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV003', 413, 'request body too large'),
  ('QV004', 411, 'request body without Content-Length'),
  ('QR002', 429, 'statement timeout: the request ran past its role''s time budget');

-- ---- as in db/schema/500_health.sql
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QR501', 429, 'too many on-demand health checks this minute');

INSERT INTO app.health_settings (key, value, description) VALUES
  ('run_now_per_minute', '30', 'system-health-check requests answered per minute (all callers together); more get 429');

-- On-demand health checks (POST /functions/v1/system-health-check, no login) per minute: the cap
-- app.health_run_now applies. Rows older than an hour are deleted as new minutes begin.
CREATE TABLE app.health_run_usage (
  minute  timestamptz PRIMARY KEY,
  runs    integer NOT NULL DEFAULT 0,
  refused integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE app.health_run_usage IS 'On-demand health checks answered (runs) and refused over the cap, per minute';
ALTER TABLE app.health_run_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_run_usage_system_admin ON app.health_run_usage FOR SELECT TO system_admin USING (true);
GRANT SELECT ON app.health_run_usage TO system_admin;
