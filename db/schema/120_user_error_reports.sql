-- user_error_reports: bug reports from org owners, staff and customers (the spec's table).

CREATE TABLE app.user_error_reports (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  report_type app.report_type_enum NOT NULL,
  priority app.priority_enum DEFAULT 'medium',

  -- Reporter
  reporter_type app.reporter_type_enum NOT NULL,   -- org_owner, customer, staff
  reporter_id UUID REFERENCES app.users (id) ON DELETE SET NULL,
  reporter_email VARCHAR(255),
  reporter_name VARCHAR(255),
  organization_id UUID REFERENCES app.organizations (id),

  -- Report content
  title VARCHAR(500) NOT NULL,
  description TEXT NOT NULL,
  steps_to_reproduce TEXT,
  expected_behavior TEXT,
  actual_behavior TEXT,

  -- Context
  url VARCHAR(2000),
  browser_info JSONB,
  screenshot_urls TEXT[],

  -- Linked error
  linked_error_id UUID REFERENCES app.system_errors (id),

  -- Status
  status app.report_status_enum DEFAULT 'open',
  assigned_to UUID REFERENCES app.users (id) ON DELETE SET NULL,
  resolved_at TIMESTAMPTZ,
  resolution_notes TEXT,

  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
COMMENT ON TABLE app.user_error_reports IS 'Bug reports, feature requests and feedback submitted by people';
CREATE INDEX idx_reports_org ON app.user_error_reports (organization_id);
CREATE INDEX idx_reports_status ON app.user_error_reports (status);

ALTER TABLE app.user_error_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_error_reports_system_admin ON app.user_error_reports TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY user_error_reports_own_org ON app.user_error_reports FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.user_error_reports TO staff, org_owner, system_admin;
