-- Who works on an error: a group is assigned to one person of its organization (or to nobody),
-- every change kept with who made it. Functions are in db/functions/{app,api}/372_error_assignment.sql.

ALTER TABLE app.system_errors ADD COLUMN assigned_to uuid REFERENCES app.users (id) ON DELETE SET NULL;
COMMENT ON COLUMN app.system_errors.assigned_to IS
  'The person working on the error (the spec''s assigned_to of user_error_reports); NULL: nobody';
-- org owners and staff assign their organization's errors (RLS: system_errors_own_org_update)
GRANT UPDATE (assigned_to) ON app.system_errors TO staff, org_owner, system_admin;
-- a person's groups (the errors list's assigned_to filter, db/functions/app/365_error_lists.sql),
-- few enough to sort in any order
CREATE INDEX idx_errors_org_assignee ON app.system_errors (organization_id, assigned_to, last_seen_at DESC, id DESC)
  WHERE assigned_to IS NOT NULL;

CREATE TABLE app.error_assignment_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  error_id        uuid NOT NULL REFERENCES app.system_errors (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL,
  from_user       uuid REFERENCES app.users (id) ON DELETE SET NULL,
  to_user         uuid REFERENCES app.users (id) ON DELETE SET NULL,
  changed_by      uuid REFERENCES app.users (id) ON DELETE SET NULL,
  changed_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.error_assignment_history IS 'Every change of who an error group is assigned to';
COMMENT ON COLUMN app.error_assignment_history.to_user IS 'The new assignee; NULL: unassigned';
COMMENT ON COLUMN app.error_assignment_history.changed_by IS 'The user who assigned it; NULL for callers without a user (the CLI)';
CREATE INDEX idx_error_assignment_history_error ON app.error_assignment_history (error_id, changed_at);

ALTER TABLE app.error_assignment_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_assignment_history_system_admin ON app.error_assignment_history TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY error_assignment_history_own_org ON app.error_assignment_history FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY error_assignment_history_own_org_insert ON app.error_assignment_history FOR INSERT TO org_owner, staff
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT SELECT, INSERT ON app.error_assignment_history TO staff, org_owner, system_admin;
