-- What ingest changed in a client's data so it could be stored (db/functions/app/025_json_input.sql):
-- escapes PostgreSQL cannot hold (\u0000, lone UTF-16 surrogates) replaced by U+FFFD, and NaN or
-- Infinity (not JSON) stored as strings. Each stored event also says so in metadata._repaired;
-- this table counts every kind of item, events or not, per organization and hour.

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
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.ingest_repairs TO staff, org_owner, system_admin;
