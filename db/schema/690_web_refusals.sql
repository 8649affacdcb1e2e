-- How pgwarden web refuses a request it cannot read (workers/web/errors.py): each refusal carries
-- one of these codes in the {code, message, details, hint} shape.
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV690', 400, 'request malformed: body, headers, encoding or URL cannot be read'),
  ('QA690', 401, 'request credentials missing, malformed or conflicting'),
  ('QV691', 413, 'request body or item too large'),
  ('QV692', 400, 'the database could not store the request''s items'),
  ('QV699', 400, 'request could not be processed');
