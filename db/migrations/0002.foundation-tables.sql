-- 0002: tenancy (organizations, users, projects) and the spec's five tables with RLS.

-- ---- as in db/schema/100_tenancy.sql
-- Tenants: organizations, their users (role = the spec's reporter types) and their projects
-- (ingest keys). Every tenant row carries organization_id so RLS and sharding key on it.

-- == Tables ==

CREATE TABLE app.organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       varchar(255) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.organizations IS 'Tenants of the monitored SaaS';

CREATE TABLE app.users (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  email           varchar(255) NOT NULL,
  name            varchar(255),
  role            app.reporter_type_enum NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email),
  -- only platform admins stand outside an organization
  CONSTRAINT users_organization_check CHECK (role = 'system_admin' OR organization_id IS NOT NULL)
);
COMMENT ON TABLE app.users IS 'People who act in pgwarden; role is the spec''s reporter type';
CREATE INDEX idx_users_org ON app.users (organization_id);

CREATE TABLE app.projects (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  name            varchar(255) NOT NULL,
  -- 32 lowercase hex: what both Sentry SDKs' DSN parsers and Relay accept as a public key
  public_key      text NOT NULL DEFAULT encode(gen_random_bytes(16), 'hex'),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT projects_public_key_key UNIQUE (public_key),
  CONSTRAINT projects_public_key_check CHECK (public_key ~ '^[0-9a-f]{32}$')
);
COMMENT ON TABLE app.projects IS 'Ingest endpoints of an organization: numeric id + public key form the DSN';
CREATE INDEX idx_projects_org ON app.projects (organization_id);

-- == Row-level security ==

ALTER TABLE app.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_system_admin ON app.organizations TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY organizations_own ON app.organizations FOR SELECT TO org_owner, staff
  USING (id = app.current_org_id());

ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_system_admin ON app.users TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY users_own_org ON app.users FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());

ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_system_admin ON app.projects TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY projects_own_org ON app.projects FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());
CREATE POLICY projects_owner_creates ON app.projects FOR INSERT TO org_owner
  WITH CHECK (organization_id = app.current_org_id());

GRANT SELECT ON app.organizations, app.users, app.projects TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE, DELETE ON app.organizations, app.users, app.projects TO system_admin;
GRANT INSERT ON app.projects TO org_owner;

-- ---- as in db/schema/110_system_errors.sql
-- system_errors: one row per error group (the spec's table, every column as it lists them).

CREATE TABLE app.system_errors (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  error_hash VARCHAR(64) NOT NULL,           -- SHA256 hash for deduplication
  error_type app.error_type_enum NOT NULL,
  severity app.severity_enum NOT NULL DEFAULT 'error',
  message TEXT NOT NULL,
  stack_trace TEXT,
  component VARCHAR(255),                    -- React component or service
  file_path VARCHAR(500),
  line_number INTEGER,
  column_number INTEGER,

  -- Context
  url VARCHAR(2000),
  user_agent TEXT,
  browser VARCHAR(100),
  os VARCHAR(100),
  device_type VARCHAR(50),

  -- Multi-tenant
  user_id UUID REFERENCES app.users (id),
  organization_id UUID REFERENCES app.organizations (id),

  -- Metadata
  metadata JSONB DEFAULT '{}',               -- Custom context data
  request_id VARCHAR(100),
  session_id VARCHAR(100),

  -- Status
  status app.error_status_enum DEFAULT 'new',
  occurrence_count INTEGER DEFAULT 1,
  first_seen_at TIMESTAMPTZ DEFAULT NOW(),
  last_seen_at TIMESTAMPTZ DEFAULT NOW(),
  resolved_at TIMESTAMPTZ,
  resolved_by UUID REFERENCES app.users (id),

  -- AI Analysis
  ai_analysis JSONB,                         -- AI-generated analysis
  ai_suggestion TEXT,                        -- Suggested fix
  ai_analyzed_at TIMESTAMPTZ,

  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
COMMENT ON TABLE app.system_errors IS 'Error groups: one row per (organization, error_hash) with occurrence counts';

CREATE INDEX idx_errors_hash ON app.system_errors (error_hash);
CREATE INDEX idx_errors_type ON app.system_errors (error_type);
CREATE INDEX idx_errors_severity ON app.system_errors (severity);
CREATE INDEX idx_errors_status ON app.system_errors (status);
CREATE INDEX idx_errors_org ON app.system_errors (organization_id);
CREATE INDEX idx_errors_created ON app.system_errors (created_at DESC);

ALTER TABLE app.system_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY system_errors_system_admin ON app.system_errors TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY system_errors_own_org ON app.system_errors FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());
GRANT SELECT ON app.system_errors TO staff, org_owner, system_admin;

-- ---- as in db/schema/120_user_error_reports.sql
-- user_error_reports: bug reports from org owners, staff and customers (the spec's table).

CREATE TABLE app.user_error_reports (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  report_type app.report_type_enum NOT NULL,
  priority app.priority_enum DEFAULT 'medium',

  -- Reporter
  reporter_type app.reporter_type_enum NOT NULL,   -- org_owner, customer, staff
  reporter_id UUID REFERENCES app.users (id),
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
  assigned_to UUID REFERENCES app.users (id),
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
  USING (organization_id = app.current_org_id());
GRANT SELECT ON app.user_error_reports TO staff, org_owner, system_admin;

-- ---- as in db/schema/130_error_alerts.sql
-- error_alerts: alert rules (the spec's table). organization_id is our addition, appended:
-- NULL = a platform-wide rule owned by system admins, else the organization's own rule.

CREATE TABLE app.error_alerts (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  alert_type app.alert_type_enum NOT NULL,
  channel app.alert_channel_enum NOT NULL,

  -- Trigger conditions
  trigger_conditions JSONB NOT NULL,

  -- Notification details
  recipients TEXT[],
  webhook_url VARCHAR(2000),

  -- Status
  is_active BOOLEAN DEFAULT true,
  last_triggered_at TIMESTAMPTZ,
  trigger_count INTEGER DEFAULT 0,

  created_by UUID REFERENCES app.users (id),
  created_at TIMESTAMPTZ DEFAULT NOW(),

  organization_id UUID REFERENCES app.organizations (id)
);
COMMENT ON TABLE app.error_alerts IS 'Alert rules: what triggers them and where notifications go';
CREATE INDEX idx_alerts_org ON app.error_alerts (organization_id);

ALTER TABLE app.error_alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_alerts_system_admin ON app.error_alerts TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY error_alerts_own_org ON app.error_alerts FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());
GRANT SELECT ON app.error_alerts TO staff, org_owner, system_admin;

-- ---- as in db/schema/140_health.sql
-- health_checks (each probe result) and system_uptime (status intervals): the spec's tables.
-- Platform data: readable by system admins; the public status page reads it through a function.

CREATE TABLE app.health_checks (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  check_type app.health_check_type_enum NOT NULL,
  service_name VARCHAR(100) NOT NULL,
  endpoint VARCHAR(500),

  -- Status
  status app.health_status_enum NOT NULL,
  response_time_ms INTEGER,
  status_code INTEGER,
  error_message TEXT,

  -- Details
  details JSONB DEFAULT '{}',

  checked_at TIMESTAMPTZ DEFAULT NOW()
);
COMMENT ON TABLE app.health_checks IS 'One row per health probe result';

CREATE INDEX idx_health_service ON app.health_checks (service_name, checked_at DESC);
CREATE INDEX idx_health_status ON app.health_checks (status);

CREATE TABLE app.system_uptime (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  service_name VARCHAR(100) NOT NULL,
  status app.uptime_status_enum NOT NULL,

  started_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ,
  duration_seconds INTEGER,

  incident_id VARCHAR(100),
  notes TEXT,

  created_at TIMESTAMPTZ DEFAULT NOW()
);
COMMENT ON TABLE app.system_uptime IS 'Status intervals per service; an open interval has ended_at NULL';

ALTER TABLE app.health_checks ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_checks_system_admin ON app.health_checks TO system_admin USING (true) WITH CHECK (true);
ALTER TABLE app.system_uptime ENABLE ROW LEVEL SECURITY;
CREATE POLICY system_uptime_system_admin ON app.system_uptime TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT ON app.health_checks, app.system_uptime TO system_admin;
