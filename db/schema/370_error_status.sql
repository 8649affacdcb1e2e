-- The error status workflow (the spec's error_status_enum), Sentry-like: work on an open error,
-- resolve it, ignore it, reopen it. Only ingest sets `recurring` (a resolved error seen again);
-- `new` is entered by hand only to reopen a resolved or ignored error. Same status = no change.
-- Functions are in db/functions/app/370_error_status.sql.

-- == Allowed transitions ==

CREATE TABLE app.error_status_transition (
  from_status app.error_status_enum NOT NULL,
  to_status   app.error_status_enum NOT NULL,
  CONSTRAINT error_status_transition_pkey PRIMARY KEY (from_status, to_status)
);
COMMENT ON TABLE app.error_status_transition IS 'Status changes a person may make (api.update_error_status); anything else is QS001';

INSERT INTO app.error_status_transition (from_status, to_status)
SELECT f.s::app.error_status_enum, t.s::app.error_status_enum
  FROM unnest(ARRAY['new', 'investigating', 'identified', 'fixing', 'recurring']) AS f (s)
 CROSS JOIN unnest(ARRAY['investigating', 'identified', 'fixing', 'resolved', 'ignored']) AS t (s)
 WHERE f.s <> t.s;
INSERT INTO app.error_status_transition (from_status, to_status) VALUES
  ('resolved', 'new'), ('resolved', 'ignored'), ('ignored', 'new'), ('ignored', 'resolved');

ALTER TABLE app.error_status_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_status_transition_read ON app.error_status_transition FOR SELECT
  TO staff, org_owner, system_admin USING (true);
GRANT SELECT ON app.error_status_transition TO staff, org_owner, system_admin;

-- == History ==

CREATE TABLE app.error_status_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  error_id        uuid NOT NULL REFERENCES app.system_errors (id) ON DELETE CASCADE,
  organization_id uuid,
  from_status     app.error_status_enum,
  to_status       app.error_status_enum NOT NULL,
  note            text,
  changed_by      uuid REFERENCES app.users (id) ON DELETE SET NULL,
  changed_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.error_status_history IS 'Every status change of an error group: by a person (with note) or by ingest (regression)';
COMMENT ON COLUMN app.error_status_history.changed_by IS 'The user who changed it; NULL for ingest and for callers without a user';
CREATE INDEX idx_error_status_history_error ON app.error_status_history (error_id, changed_at);

ALTER TABLE app.error_status_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_status_history_system_admin ON app.error_status_history TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY error_status_history_own_org ON app.error_status_history FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY error_status_history_own_org_insert ON app.error_status_history FOR INSERT TO org_owner, staff
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT SELECT, INSERT ON app.error_status_history TO staff, org_owner, system_admin;

-- Org owners and staff change the status of their own organization's errors (RLS), and only
-- the workflow columns (column grants); system admins may already write every row.
CREATE POLICY system_errors_own_org_update ON app.system_errors FOR UPDATE TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT UPDATE (status, resolved_at, resolved_by, updated_at) ON app.system_errors TO staff, org_owner, system_admin;
