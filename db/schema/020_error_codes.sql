-- Registry of pgwarden's SQLSTATEs (class Q). Every 'Q…' code in db/ and workers/ must be a row
-- here (tests/py/test_error_registry.py); http_status is what the api layer and pgwarden web answer
-- over HTTP: a 4xx, or 503 for the one refusal that is no client's fault (QR003).
CREATE TABLE app.error_code (
  code        text PRIMARY KEY CONSTRAINT error_code_code_check CHECK (code ~ '^Q[VNSRA][0-9A-Z]{3}$'),
  http_status smallint NOT NULL CONSTRAINT error_code_http_status_check
              CHECK (http_status BETWEEN 400 AND 499 OR http_status = 503),
  description text NOT NULL
);
COMMENT ON TABLE app.error_code IS 'pgwarden SQLSTATE registry: QV invalid input, QN not found, QS bad state, QR rate limited, QA forbidden';
-- public knowledge: app.problem reads it under the caller's role
GRANT SELECT ON app.error_code TO anon, staff, org_owner, system_admin, pgwarden_worker, pgwarden_web;

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV001', 400, 'invalid input value'),
  ('QV002', 400, 'required value missing'),
  ('QN001', 404, 'referenced object not found'),
  ('QS001', 409, 'illegal state transition'),
  ('QR001', 429, 'rate limit exceeded'),
  ('QA001', 403, 'forbidden by a rule row-level security cannot express'),
  ('QV003', 413, 'request body too large'),
  ('QV004', 411, 'request body without Content-Length'),
  ('QR002', 429, 'statement timeout: the request ran past its role''s time budget'),
  ('QN371', 404, 'user to assign not found in the error''s organization'),
  ('QR003', 503, 'database unavailable: pgwarden web cannot reach the database; retry after Retry-After'),
  ('QSR01', 409, 'no release known to resolve an error in the next one of');
