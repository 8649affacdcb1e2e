-- Rate limits per organization (spec: max 100 errors/minute per org). Events are counted when
-- they are accepted, inside the capture transaction, so a flood cannot outrun the limit; every
-- refused event is counted too, per organization and minute. Functions are in
-- db/functions/app/305_rate_limits.sql.

-- == Settings ==

CREATE TABLE app.rate_limit_setting (
  id                 boolean PRIMARY KEY DEFAULT true CONSTRAINT rate_limit_setting_id_check CHECK (id),
  default_per_minute integer NOT NULL DEFAULT 100
    CONSTRAINT rate_limit_setting_default_per_minute_check CHECK (default_per_minute >= 0)
);
COMMENT ON TABLE app.rate_limit_setting IS 'The one row of rate-limit policy';
COMMENT ON COLUMN app.rate_limit_setting.default_per_minute IS
  'Events an organization may capture per minute unless it has an override; 0 = unlimited';
INSERT INTO app.rate_limit_setting DEFAULT VALUES;

CREATE TABLE app.organization_rate_limits (
  organization_id uuid PRIMARY KEY REFERENCES app.organizations (id) ON DELETE CASCADE,
  per_minute      integer NOT NULL CONSTRAINT organization_rate_limits_per_minute_check CHECK (per_minute >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.organization_rate_limits IS 'Per-organization override of the default limit (pgwarden org limit)';
COMMENT ON COLUMN app.organization_rate_limits.per_minute IS 'Events per minute; 0 lifts the limit';

-- == Usage ==

CREATE TABLE app.rate_limit_usage (
  organization_id uuid NOT NULL,
  minute          timestamptz NOT NULL,
  accepted        integer NOT NULL DEFAULT 0,
  refused         integer NOT NULL DEFAULT 0,
  CONSTRAINT rate_limit_usage_pkey PRIMARY KEY (organization_id, minute)
) WITH (fillfactor = 70);  -- one row per org and minute, updated by every capture: keep updates HOT
COMMENT ON TABLE app.rate_limit_usage IS 'Events accepted and refused per organization and minute (limited organizations only)';
COMMENT ON COLUMN app.rate_limit_usage.minute IS 'Start of the minute (date_trunc)';
CREATE INDEX idx_rate_limit_usage_minute ON app.rate_limit_usage (minute);

-- == Row-level security ==

ALTER TABLE app.rate_limit_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY rate_limit_setting_system_admin ON app.rate_limit_setting TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY rate_limit_setting_read ON app.rate_limit_setting FOR SELECT TO staff, org_owner USING (true);

ALTER TABLE app.organization_rate_limits ENABLE ROW LEVEL SECURITY;
CREATE POLICY organization_rate_limits_system_admin ON app.organization_rate_limits TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY organization_rate_limits_own_org ON app.organization_rate_limits FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.rate_limit_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY rate_limit_usage_system_admin ON app.rate_limit_usage FOR SELECT TO system_admin USING (true);
CREATE POLICY rate_limit_usage_own_org ON app.rate_limit_usage FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

GRANT SELECT, UPDATE ON app.rate_limit_setting TO system_admin;
GRANT SELECT ON app.rate_limit_setting TO staff, org_owner;
GRANT SELECT ON app.organization_rate_limits, app.rate_limit_usage TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE, DELETE ON app.organization_rate_limits TO system_admin;
