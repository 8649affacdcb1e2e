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
  USING (id = (SELECT app.current_org_id()));

ALTER TABLE app.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_system_admin ON app.users TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY users_own_org ON app.users FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_system_admin ON app.projects TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY projects_own_org ON app.projects FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY projects_owner_creates ON app.projects FOR INSERT TO org_owner
  WITH CHECK (organization_id = (SELECT app.current_org_id()));

GRANT SELECT ON app.organizations, app.users, app.projects TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE, DELETE ON app.organizations, app.users, app.projects TO system_admin;
GRANT INSERT ON app.projects TO org_owner;
