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
