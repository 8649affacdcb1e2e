-- Environments, releases and deploys (issue 21, items 1 and 2). An event's environment and
-- release are columns (filled at capture from the event's metadata, where the Sentry SDK, the
-- capture API and the webhook put them); each group keeps the (project, environment, release)
-- combinations it was seen in, with when first; each organization its releases in the order they
-- appeared; deploys are recorded by CI. Functions are in db/functions/{app,api}/376_releases*.sql.

-- == Events ==

-- An event's environment and release, read from its metadata, where every capture path puts them:
-- the Sentry mapping (db/functions/app/600_sentry_mapping.sql), the capture API's and the
-- webhooks' metadata. Generated columns: computed once as the row is written, by whichever path,
-- with no trigger and no change to the capture's statements. Sentry's limits cut them: an
-- environment to 64 characters, a release to 200. (Here, not among the functions: the columns
-- depend on them.) PL/pgSQL, not SQL: a generated column's SQL function is inlined again, its
-- body parsed and analysed, by every INSERT statement (~100 µs of a one-event capture); a
-- PL/pgSQL one is compiled once per session.
CREATE FUNCTION app.event_environment(p_metadata jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN CASE WHEN jsonb_typeof(p_metadata -> 'environment') IN ('string', 'number', 'boolean')
              THEN left(nullif(btrim(p_metadata ->> 'environment'), ''), 64) END;
END $$;
COMMENT ON FUNCTION app.event_environment(jsonb) IS 'The environment an event''s metadata names (at most 64 characters), or NULL';

CREATE FUNCTION app.event_release(p_metadata jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN CASE WHEN jsonb_typeof(p_metadata -> 'release') IN ('string', 'number', 'boolean')
              THEN left(nullif(btrim(p_metadata ->> 'release'), ''), 200) END;
END $$;
COMMENT ON FUNCTION app.event_release(jsonb) IS 'The release an event''s metadata names (at most 200 characters), or NULL';

ALTER TABLE app.error_events
  ADD COLUMN environment text GENERATED ALWAYS AS (app.event_environment(metadata)) STORED,
  ADD COLUMN release text GENERATED ALWAYS AS (app.event_release(metadata)) STORED;
COMMENT ON COLUMN app.error_events.environment IS 'The environment the event came from (production, staging, ...); NULL when not sent';
COMMENT ON COLUMN app.error_events.release IS 'The release (version) the event came from; NULL when not sent';

-- == Where each group was seen ==

-- One row per group and (project, environment, release) it was seen in: inserted only when new
-- (ON CONFLICT DO NOTHING, no row lock), so an ordinary event costs one index probe. The list
-- filters and api.error_groups_seen_in read it instead of the events.
CREATE TABLE app.error_group_releases (
  organization_id uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  project_id      bigint,
  environment     text,
  release         text,
  first_seen_at   timestamptz NOT NULL,
  CONSTRAINT error_group_releases_key UNIQUE NULLS NOT DISTINCT (organization_id, error_hash, project_id, environment, release)
);
COMMENT ON TABLE app.error_group_releases IS
  'Each (project, environment, release) an error group was seen in, with its first event''s time (NULL: not sent)';
-- the filters: groups seen in an environment or a release
CREATE INDEX idx_error_group_releases_environment ON app.error_group_releases (organization_id, environment);
CREATE INDEX idx_error_group_releases_release ON app.error_group_releases (organization_id, release);

ALTER TABLE app.error_group_releases ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_releases_system_admin ON app.error_group_releases FOR SELECT TO system_admin USING (true);
CREATE POLICY error_group_releases_own_org ON app.error_group_releases FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_releases TO staff, org_owner, system_admin;

-- == Releases of an organization, in the order they appeared ==

CREATE TABLE app.releases (
  organization_id uuid NOT NULL,
  version         text NOT NULL,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT releases_pkey PRIMARY KEY (organization_id, version)
);
COMMENT ON TABLE app.releases IS
  'The releases of an organization, from its events and deploys: first_seen_at orders those that are not both semver';
CREATE INDEX idx_releases_first_seen ON app.releases (organization_id, first_seen_at DESC);

ALTER TABLE app.releases ENABLE ROW LEVEL SECURITY;
CREATE POLICY releases_system_admin ON app.releases TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY releases_own_org ON app.releases FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
-- a deploy records its release (app.deploy_record, invoker rights)
CREATE POLICY releases_own_org_insert ON app.releases FOR INSERT TO org_owner, staff
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT SELECT, INSERT ON app.releases TO staff, org_owner, system_admin;

-- == Deploys ==

CREATE TABLE app.deploys (
  id              bigint GENERATED ALWAYS AS IDENTITY,
  organization_id uuid NOT NULL,
  project_id      bigint NOT NULL,
  release         text NOT NULL,
  environment     text NOT NULL,
  deployed_at     timestamptz NOT NULL DEFAULT now(),
  commit_sha      text,
  url             text,
  created_by      uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT deploys_pkey PRIMARY KEY (organization_id, id)
);
COMMENT ON TABLE app.deploys IS 'A release deployed to an environment of a project (api.record_deploy, pgwarden deploy)';
COMMENT ON COLUMN app.deploys.commit_sha IS 'The commit deployed, as CI names it';
COMMENT ON COLUMN app.deploys.url IS 'A link to the deploy (CI run, changelog)';
-- the suspect release: the latest deploy of an environment before a time
CREATE INDEX idx_deploys_environment ON app.deploys (organization_id, environment, deployed_at DESC);

ALTER TABLE app.deploys ENABLE ROW LEVEL SECURITY;
CREATE POLICY deploys_system_admin ON app.deploys TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY deploys_own_org ON app.deploys FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY deploys_own_org_insert ON app.deploys FOR INSERT TO org_owner, staff
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT SELECT, INSERT ON app.deploys TO staff, org_owner, system_admin;

-- == Groups: resolved in the next release, suspect release ==

ALTER TABLE app.system_errors ADD COLUMN resolved_in_release text, ADD COLUMN suspect_release jsonb;
COMMENT ON COLUMN app.system_errors.resolved_in_release IS
  'Resolved in the next release: the release current when it was resolved; only an event of a newer one regresses it';
COMMENT ON COLUMN app.system_errors.suspect_release IS
  'The deploy shortly before the group appeared or regressed, with events per minute before and after it (NULL: none)';
GRANT UPDATE (resolved_in_release) ON app.system_errors TO staff, org_owner, system_admin;
