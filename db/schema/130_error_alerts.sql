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

  created_by UUID REFERENCES app.users (id) ON DELETE SET NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(),

  organization_id UUID REFERENCES app.organizations (id)
);
COMMENT ON TABLE app.error_alerts IS 'Alert rules: what triggers them and where notifications go';
CREATE INDEX idx_alerts_org ON app.error_alerts (organization_id);

ALTER TABLE app.error_alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_alerts_system_admin ON app.error_alerts TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY error_alerts_own_org ON app.error_alerts FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_alerts TO staff, org_owner, system_admin;
