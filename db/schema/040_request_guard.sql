-- PostgREST runs app.request_guard() first in every request (db/functions/app/040_request_guard.sql):
-- in-database configuration, read from the authenticator role's settings, so it holds wherever
-- this schema is deployed, whatever PostgREST's config file says.
ALTER ROLE authenticator SET pgrst.db_pre_request = 'app.request_guard';

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QA040', 405, 'the api resource is read-only: it takes no writes');

-- a read without a token, and a data-changing function called with GET (app.request_guard)
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QA041', 405, 'the api function changes data: call it with POST, not GET'),
  ('QA042', 401, 'reading needs a token: send Authorization: Bearer <token>');
