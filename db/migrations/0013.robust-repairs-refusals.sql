-- 0013: counting what ingest repaired to store it; the PostgREST guard and codes for refused requests.

-- ---- as in db/schema/390_ingest_repairs.sql
CREATE TABLE app.ingest_repairs (
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  hour timestamptz NOT NULL,                  -- when it was received, truncated to the hour
  source text NOT NULL,                       -- capture_error, capture_errors, error_webhook, sentry
  repair text NOT NULL,
  items bigint NOT NULL DEFAULT 0,            -- items (events, sessions, ...) that needed it
  occurrences bigint NOT NULL DEFAULT 0,      -- characters or numbers replaced in them
  CONSTRAINT ingest_repairs_pkey PRIMARY KEY (organization_id, hour, source, repair),
  CONSTRAINT ingest_repairs_repair_check CHECK (repair IN ('unstorable_characters', 'non_finite_numbers'))
);
COMMENT ON TABLE app.ingest_repairs IS
  'Items ingest had to change to store them, per organization, hour, source and repair (unstorable_characters, non_finite_numbers)';
COMMENT ON COLUMN app.ingest_repairs.repair IS
  'unstorable_characters: \u0000 or a lone UTF-16 surrogate escape, replaced by U+FFFD; non_finite_numbers: NaN or Infinity, stored as a string';

ALTER TABLE app.ingest_repairs ENABLE ROW LEVEL SECURITY;
CREATE POLICY ingest_repairs_system_admin ON app.ingest_repairs TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY ingest_repairs_own_org ON app.ingest_repairs FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());
GRANT SELECT ON app.ingest_repairs TO staff, org_owner, system_admin;

-- ---- as in db/schema/040_request_guard.sql
ALTER ROLE authenticator SET pgrst.db_pre_request = 'app.request_guard';

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QA040', 405, 'the api resource is read-only: it takes no writes');

-- ---- as in db/schema/690_web_refusals.sql
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV690', 400, 'request malformed: body, headers, encoding or URL cannot be read'),
  ('QA690', 401, 'request credentials missing, malformed or conflicting'),
  ('QV691', 413, 'request body or item too large'),
  ('QV692', 400, 'the database could not store the request''s items'),
  ('QV699', 400, 'request could not be processed');
