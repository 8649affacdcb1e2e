-- Environments, releases and deploys over the API (db/functions/app/376_releases.sql,
-- 378_suspect_releases.sql). Invoker rights: org owners and staff see and record their own
-- organization's.

CREATE FUNCTION api.record_deploy(release text, environment text, project text, deployed_at timestamptz DEFAULT NULL,
                                  commit text DEFAULT NULL, url text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.deploy_record(record_deploy.release, record_deploy.environment, record_deploy.project,
                           record_deploy.deployed_at, record_deploy.commit, record_deploy.url);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.record_deploy(text, text, text, timestamptz, text, text) IS $$Record a deploy of a release (from CI)

A release deployed to an environment of a project of your organization. A group that appears or
regresses in that environment within 60 minutes after the deploy names it as its suspect release
(error_groups.suspect_release, and the alert notifications), with events per minute before and
after it; so does a health incident starting within 60 minutes. The release is known from the
deploy on (it orders releases, and resolving in the next release records it). Returns the deploy.

Parameters:
- release: the release as your events name it, e.g. shop@1.4.3 (text, at most 200 characters, no / \ or line breaks)
- environment: e.g. production (text, at most 64 characters)
- project: the project's id or name (text)
- deployed_at: when it was deployed (timestamptz, ISO 8601; default now, not in the future)
- commit: the commit id deployed (text, optional)
- url: a link to the CI run or changelog (text, http or https, optional)

Errors: QV002 400 (release, environment or project missing), QV001 400 (a name not allowed, deployed_at in the future, a bad commit or url), QN001 404 (project not found or not yours), QA042 401 (no token).

Example: curl -X POST "$API/rpc/record_deploy" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"release": "shop@1.4.3", "environment": "production", "project": "shop", "commit": "9f1c2e7"}'$$;
GRANT EXECUTE ON FUNCTION api.record_deploy(text, text, text, timestamptz, text, text) TO staff, org_owner, system_admin;

CREATE VIEW api.deploys WITH (security_invoker = true) AS
  SELECT d.id, d.organization_id, d.project_id, d.release, d.environment, d.deployed_at, d.commit_sha AS commit, d.url,
         d.created_by, d.created_at
    FROM app.deploys d;
COMMENT ON VIEW api.deploys IS 'Recorded deploys (api.record_deploy): a release, an environment, a project, when, commit and link';
GRANT SELECT ON api.deploys TO staff, org_owner, system_admin;

CREATE VIEW api.releases WITH (security_invoker = true) AS
  SELECT r.organization_id, r.version, r.first_seen_at FROM app.releases r;
COMMENT ON VIEW api.releases IS
  'Releases of an organization, from its events and deploys, with when each was first seen (orders releases that are not both semver)';
GRANT SELECT ON api.releases TO staff, org_owner, system_admin;

-- per group: the environments it was seen in and its first and last release
CREATE VIEW api.error_group_releases WITH (security_invoker = true) AS
  SELECT s.id AS error_id, g.organization_id, g.error_hash, g.project_id, g.environment, g.release, g.first_seen_at
    FROM app.error_group_releases g
    JOIN app.system_errors s ON s.organization_id = g.organization_id AND s.error_hash = g.error_hash;
COMMENT ON VIEW api.error_group_releases IS $$Where each error group was seen: each project, environment and release, first seen when

One row per combination (NULL: the events did not say). Filter by error_id for one group: its
environments, and its first release (earliest first_seen_at) and last one.$$;
GRANT SELECT ON api.error_group_releases TO staff, org_owner, system_admin;
