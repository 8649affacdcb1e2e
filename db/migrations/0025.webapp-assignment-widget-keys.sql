-- 0025: the web app, second part: errors assigned to a person with a history of who assigned
-- them, widget keys revoked by org owners, and the Overview's latest alerts read by index.

-- ---- as in db/schema/020_error_codes.sql
INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QN371', 404, 'user to assign not found in the error''s organization');

-- ---- as in db/schema/372_error_assignment.sql
ALTER TABLE app.system_errors ADD COLUMN assigned_to uuid REFERENCES app.users (id) ON DELETE SET NULL;
COMMENT ON COLUMN app.system_errors.assigned_to IS
  'The person working on the error (the spec''s assigned_to of user_error_reports); NULL: nobody';
-- org owners and staff assign their organization's errors (RLS: system_errors_own_org_update)
GRANT UPDATE (assigned_to) ON app.system_errors TO staff, org_owner, system_admin;

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

-- ---- as in db/schema/700_alerts.sql
-- the Overview's latest alerts of an organization, newest first
CREATE INDEX idx_alert_notifications_org_created ON app.alert_notifications (organization_id, created_at DESC);

-- ---- as in db/schema/800_reports.sql
-- revoking a key deletes it (app.widget_key_revoke): the widget stops working until a new one
CREATE POLICY project_widget_keys_owner_delete ON app.project_widget_keys FOR DELETE TO org_owner
  USING (organization_id = (SELECT app.current_org_id()));
GRANT DELETE ON app.project_widget_keys TO org_owner, system_admin;
