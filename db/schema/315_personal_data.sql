-- Personal data in captured errors (spec, security: "anonymize user data in error reports"): what
-- each organization keeps of the e-mail addresses, IP addresses and user ids its errors carry.
-- Functions are in db/functions/app/315_personal_data.sql, the API in db/functions/api/315_personal_data.sql.

-- == Enums ==

CREATE TYPE app.personal_data_action AS ENUM (
  'keep',  -- stored as sent
  'hash',  -- replaced by a token stable within the organization: [email:1a2b3c4d5e6f], [ip:…], [user:…]
  'drop'   -- replaced by [email] / [ip]; a user id becomes NULL
);
COMMENT ON TYPE app.personal_data_action IS 'What capture does with one kind of personal data: keep, hash or drop';

-- == Tables ==

CREATE TABLE app.personal_data_policy (
  organization_id uuid PRIMARY KEY REFERENCES app.organizations (id) ON DELETE CASCADE,
  email           app.personal_data_action NOT NULL DEFAULT 'hash',
  ip_address      app.personal_data_action NOT NULL DEFAULT 'hash',
  user_id         app.personal_data_action NOT NULL DEFAULT 'hash',
  hash_key        bytea NOT NULL DEFAULT gen_random_bytes(32),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  updated_by      uuid REFERENCES app.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE app.personal_data_policy IS
'Per organization (one row each, created with the organization): what capture keeps of e-mail addresses, IP
addresses and user ids in error data (app.personal_data_apply_item); default hash for all three';
COMMENT ON COLUMN app.personal_data_policy.email IS 'E-mail addresses anywhere in error data (also %40-encoded in URLs)';
COMMENT ON COLUMN app.personal_data_policy.ip_address IS 'IPv4 and IPv6 addresses anywhere in error data';
COMMENT ON COLUMN app.personal_data_policy.user_id IS
'The user_id field and user ids in metadata (keys user_id, userId, uid, and id of a user object); a user id that
is an e-mail or IP address follows that kind''s setting';
COMMENT ON COLUMN app.personal_data_policy.hash_key IS
'HMAC-SHA256 key of the hash tokens, random per organization; readable by no API role (only capture, which runs
as the owner), so a token cannot be reversed by guessing addresses';
COMMENT ON COLUMN app.personal_data_policy.updated_by IS 'The user who last changed the policy (NULL: the defaults)';

-- Every organization has its row (a trigger adds it for new ones: db/triggers/315_personal_data.sql).
INSERT INTO app.personal_data_policy (organization_id) SELECT o.id FROM app.organizations o;

-- == Row-level security and privileges ==

ALTER TABLE app.personal_data_policy ENABLE ROW LEVEL SECURITY;
CREATE POLICY personal_data_policy_system_admin ON app.personal_data_policy TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY personal_data_policy_own_org ON app.personal_data_policy FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY personal_data_policy_owner_changes ON app.personal_data_policy FOR UPDATE TO org_owner
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));

-- the key is in no grant: column privileges keep it from every API role
GRANT SELECT (organization_id, email, ip_address, user_id, updated_at, updated_by) ON app.personal_data_policy
  TO staff, org_owner, system_admin;
GRANT UPDATE (email, ip_address, user_id, updated_at, updated_by) ON app.personal_data_policy TO org_owner, system_admin;
