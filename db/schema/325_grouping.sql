-- Grouping state (reference/sentry.md §3; functions in db/functions/app/30x_grouping*.sql): which
-- grouping rules are current, the hashes that point at a group other than their own (merges,
-- grouping upgrades), and each project's fingerprint rules.

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QVG01', 400, 'fingerprint rule not understood'),
  ('QVG02', 400, 'merge request names no group to merge, or the target among them'),
  ('QSG01', 409, 'error groups of different organizations cannot be merged'),
  ('QSG02', 409, 'the hash is not merged into this error group');

-- == Which grouping rules are current ==

-- One row. Each group remembers the version of the rules that made it (system_errors.grouping_version).
-- Until transition_until, an event whose hash under the current rules finds no group is also
-- hashed under the previous rules; a group of the previous version that hash finds takes the
-- event, and its new hash is remembered in error_group_hashes (Sentry's secondary hashes): a
-- rules change never splits a group that existed before it.
CREATE TABLE app.grouping_config (
  singleton        boolean PRIMARY KEY DEFAULT true CONSTRAINT grouping_config_singleton_check CHECK (singleton),
  version          smallint NOT NULL,
  previous_version smallint,
  transition_until timestamptz
);
COMMENT ON TABLE app.grouping_config IS
  'The current grouping rules version, and until when events that find no group are also hashed the previous way';
INSERT INTO app.grouping_config (version, previous_version, transition_until) VALUES (2, 1, NULL);
ALTER TABLE app.grouping_config ENABLE ROW LEVEL SECURITY;
CREATE POLICY grouping_config_system_admin ON app.grouping_config TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY grouping_config_read ON app.grouping_config FOR SELECT TO staff, org_owner USING (true);
GRANT SELECT ON app.grouping_config TO staff, org_owner, system_admin;
GRANT UPDATE ON app.grouping_config TO system_admin;

-- == Hashes that point at another group ==

-- An event whose hash is here joins the group error_hash names (and keeps its own hash in
-- error_events.grouping_hash, so an unmerge can move it back). A group's own hash is never here.
CREATE TABLE app.error_group_hashes (
  organization_id  uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  hash             varchar(64) NOT NULL,
  error_hash       varchar(64) NOT NULL,
  reason           text NOT NULL CONSTRAINT error_group_hashes_reason_check CHECK (reason IN ('merge', 'grouping upgrade')),
  grouping_version smallint NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT error_group_hashes_pkey PRIMARY KEY (organization_id, hash),
  CONSTRAINT error_group_hashes_not_own_check CHECK (hash <> error_hash)
);
COMMENT ON TABLE app.error_group_hashes IS
  'Hashes whose events join another group: groups merged into it, or its hash under newer grouping rules';
COMMENT ON COLUMN app.error_group_hashes.error_hash IS 'The group (system_errors.error_hash) the hash''s events join';
COMMENT ON COLUMN app.error_group_hashes.grouping_version IS 'The grouping rules version the hash was computed with';
CREATE INDEX idx_error_group_hashes_group ON app.error_group_hashes (organization_id, error_hash);

ALTER TABLE app.error_group_hashes ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_hashes_system_admin ON app.error_group_hashes TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY error_group_hashes_own_org ON app.error_group_hashes FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_hashes TO staff, org_owner, system_admin;

-- == Fingerprint rules (Sentry's syntax, a subset) ==

-- `matcher:glob [matcher:glob ...] -> value, value`: the first rule of a project (by position)
-- whose every matcher holds gives an event its fingerprint, in place of the client's.
CREATE TABLE app.fingerprint_rules (
  id              bigint GENERATED ALWAYS AS IDENTITY,
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  project_id      bigint NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  position        integer NOT NULL,
  rule            text NOT NULL,
  matchers        jsonb NOT NULL,
  fingerprint     text[] NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  created_by      uuid REFERENCES app.users (id) ON DELETE SET NULL,
  CONSTRAINT fingerprint_rules_pkey PRIMARY KEY (organization_id, id),  -- (organization first: Citus distributes by it)
  CONSTRAINT fingerprint_rules_position_key UNIQUE (organization_id, project_id, position),
  CONSTRAINT fingerprint_rules_rule_check CHECK (length(rule) <= 1000)
);
COMMENT ON TABLE app.fingerprint_rules IS
  'Per-project fingerprint rules: the first whose matchers all hold sets an event''s fingerprint at capture';
COMMENT ON COLUMN app.fingerprint_rules.rule IS 'The rule as written, e.g. error.type:ConnectionError -> database-down';
COMMENT ON COLUMN app.fingerprint_rules.matchers IS
  '[{field, glob, regex, negated}]: the parsed matchers (app.fingerprint_rule_parse); regex is the glob, anchored';
COMMENT ON COLUMN app.fingerprint_rules.fingerprint IS 'The fingerprint values; the default placeholder and variables (in double braces) are expanded at capture';

ALTER TABLE app.fingerprint_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY fingerprint_rules_system_admin ON app.fingerprint_rules TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY fingerprint_rules_own_org ON app.fingerprint_rules TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.fingerprint_rules TO staff, org_owner, system_admin;
