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
  user_id UUID REFERENCES app.users (id) ON DELETE SET NULL,
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
  resolved_by UUID REFERENCES app.users (id) ON DELETE SET NULL,

  -- AI Analysis
  ai_analysis JSONB,                         -- AI-generated analysis
  ai_suggestion TEXT,                        -- Suggested fix
  ai_analyzed_at TIMESTAMPTZ,

  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW()
);
COMMENT ON TABLE app.system_errors IS 'Error groups: one row per (organization, error_hash) with occurrence counts';

-- (its indexes: db/schema/300_capture.sql, 365_error_lists.sql, 372_error_assignment.sql)

ALTER TABLE app.system_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY system_errors_system_admin ON app.system_errors TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY system_errors_own_org ON app.system_errors FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.system_errors TO staff, org_owner, system_admin;
