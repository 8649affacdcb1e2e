-- 0028: the API's refusals for people: a read without a token is a 401 with a hint (not
-- PostgreSQL's 42501), and a function that changes data called with GET is a 405 (not 25006).

-- ---- as in db/schema/040_request_guard.sql
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QA041', 405, 'the api function changes data: call it with POST, not GET'),
  ('QA042', 401, 'reading needs a token: send Authorization: Bearer <token>');
