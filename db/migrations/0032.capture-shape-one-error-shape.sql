-- 0032: one error shape everywhere. pgwarden web's "database unavailable" (503, which it called
-- PGW503, unregistered) becomes the registered QR003: the registry now holds the one 5xx a
-- refusal may carry, a database that does not answer (try again after Retry-After). pgwarden web
-- reads the registry as every other role does (app.problem, once per refused event, is a plain
-- SQL function rather than a security definer's call).

-- ---- as in db/schema/020_error_codes.sql
ALTER TABLE app.error_code DROP CONSTRAINT error_code_http_status_check;
ALTER TABLE app.error_code ADD CONSTRAINT error_code_http_status_check
  CHECK (http_status BETWEEN 400 AND 499 OR http_status = 503);
GRANT SELECT ON app.error_code TO pgwarden_web;
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QR003', 503, 'database unavailable: pgwarden web cannot reach the database; retry after Retry-After');
