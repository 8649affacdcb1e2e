-- Deploys and suspect releases (issue 21, item 2). CI records a deploy (api.record_deploy,
-- pgwarden deploy); a group that appears or regresses, and a health incident, name the deploy
-- shortly before it as the suspect release, with the evidence: events per minute before the
-- deploy and since.

-- == Recording a deploy ==

-- Invoker rights: org owners and staff see (app.project_ref) and record (RLS) deploys of their own
-- organization's projects only; system admins and the CLI of any.
CREATE OR REPLACE FUNCTION app.deploy_record(p_release text, p_environment text, p_project text,
                                             p_deployed_at timestamptz DEFAULT NULL, p_commit text DEFAULT NULL,
                                             p_url text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_release text := app.release_name_checked(p_release, 'release');
  v_environment text := app.release_name_checked(p_environment, 'environment');
  v_project_id bigint;
  v_organization_id uuid;
  v_deploy app.deploys;
BEGIN
  IF nullif(btrim(p_project), '') IS NULL THEN
    RAISE EXCEPTION 'project is missing' USING ERRCODE = 'QV002', DETAIL = 'Field: project.',
      HINT = 'Name the project deployed: its id or its name.';
  END IF;
  v_project_id := app.project_ref(p_project, 'project');
  SELECT p.organization_id INTO v_organization_id FROM app.projects p WHERE p.id = v_project_id;
  IF p_deployed_at > now() + interval '5 minutes' THEN
    RAISE EXCEPTION 'deployed_at is in the future' USING ERRCODE = 'QV001', DETAIL = 'Field: deployed_at.',
      HINT = 'Record a deploy once it has happened; leave deployed_at out for now.';
  END IF;
  IF length(btrim(p_commit)) > 100 OR btrim(p_commit) ~ '\s' THEN
    RAISE EXCEPTION 'commit is not a commit id' USING ERRCODE = 'QV001', DETAIL = 'Field: commit.',
      HINT = 'Send the commit id (at most 100 characters, no spaces), e.g. the output of git rev-parse HEAD.';
  END IF;
  IF length(btrim(p_url)) > 2000 OR btrim(p_url) !~* '^https?://[^\s]+$' THEN
    RAISE EXCEPTION 'url is not an http(s) URL' USING ERRCODE = 'QV001', DETAIL = 'Field: url.',
      HINT = 'Send an http:// or https:// address of at most 2000 characters, e.g. the CI run.';
  END IF;
  INSERT INTO app.deploys AS d (organization_id, project_id, release, environment, deployed_at, commit_sha, url, created_by)
  VALUES (v_organization_id, v_project_id, v_release, v_environment, coalesce(least(p_deployed_at, now()), now()),
          nullif(btrim(p_commit), ''), nullif(btrim(p_url), ''),
          (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()))
  RETURNING * INTO v_deploy;
  -- a deployed release exists from its deploy on (it orders releases with the events' ones)
  INSERT INTO app.releases (organization_id, version, first_seen_at)
  VALUES (v_organization_id, v_release, v_deploy.deployed_at)
  ON CONFLICT DO NOTHING;
  RETURN jsonb_build_object('id', v_deploy.id, 'organization_id', v_deploy.organization_id,
                            'project_id', v_deploy.project_id, 'release', v_deploy.release,
                            'environment', v_deploy.environment, 'deployed_at', v_deploy.deployed_at,
                            'commit', v_deploy.commit_sha, 'url', v_deploy.url);
END $$;
COMMENT ON FUNCTION app.deploy_record(text, text, text, timestamptz, text, text) IS
  'Record a deploy of a release to an environment of a project (QV001/QV002 naming the field, QN001 for an unknown project)';
GRANT EXECUTE ON FUNCTION app.deploy_record(text, text, text, timestamptz, text, text) TO staff, org_owner, system_admin;
-- (a project by id or name, as the CLI names it: row-level security limits what an org owner can name)
GRANT EXECUTE ON FUNCTION app.project_ref(text, text), app.reference_one(text, text, text, text[], text)
  TO staff, org_owner, system_admin;

-- == The suspect release ==

-- How long before the first event a deploy is a suspect, and the span of "before" in the evidence.
CREATE OR REPLACE FUNCTION app.suspect_release_window() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT interval '60 minutes' $$;
COMMENT ON FUNCTION app.suspect_release_window() IS
  'A deploy at most this long before a group''s first event (or an incident''s start) is its suspect release';

-- The latest deploy of an organization (NULL: any) in one of p_environments (NULL: any, production
-- first) at most app.suspect_release_window() before p_at, with the evidence: events per minute
-- (the group's when p_error_hash is given, else the organization's) over the window before the
-- deploy and from the deploy's minute until now. NULL when there is none.
CREATE OR REPLACE FUNCTION app.release_suspect(p_organization_id uuid, p_environments text[], p_at timestamptz,
                                               p_error_hash text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
           'deploy_id', d.id, 'release', d.release, 'environment', d.environment, 'project_id', d.project_id,
           'deployed_at', d.deployed_at, 'commit', d.commit_sha, 'url', d.url,
           'minutes_before', round((extract(epoch FROM p_at - d.deployed_at) / 60)::numeric, 1),
           'window_minutes', extract(epoch FROM app.suspect_release_window()) / 60,
           'events_per_minute_before', round(before.events / (extract(epoch FROM app.suspect_release_window()) / 60), 2),
           'events_per_minute_after',
             round(after.events / greatest(ceil(extract(epoch FROM now() - date_trunc('minute', d.deployed_at)) / 60), 1), 2))
    FROM (SELECT * FROM app.deploys x
           WHERE (p_organization_id IS NULL OR x.organization_id = p_organization_id)
             AND (p_environments IS NULL OR x.environment = ANY (p_environments))
             AND x.deployed_at <= p_at AND x.deployed_at >= p_at - app.suspect_release_window()
           ORDER BY (p_environments IS NULL AND x.environment = 'production') DESC, x.deployed_at DESC, x.id DESC
           LIMIT 1) AS d
   CROSS JOIN LATERAL (
     SELECT coalesce(sum(m.event_count), 0)::numeric AS events FROM app.error_metrics m
      WHERE m.organization_id = d.organization_id AND (p_error_hash IS NULL OR m.error_hash = p_error_hash)
        AND m.bucket >= date_trunc('minute', d.deployed_at) - app.suspect_release_window()
        AND m.bucket < date_trunc('minute', d.deployed_at)) AS before
   CROSS JOIN LATERAL (
     SELECT coalesce(sum(m.event_count), 0)::numeric AS events FROM app.error_metrics m
      WHERE m.organization_id = d.organization_id AND (p_error_hash IS NULL OR m.error_hash = p_error_hash)
        AND m.bucket >= date_trunc('minute', d.deployed_at)) AS after
$$;
COMMENT ON FUNCTION app.release_suspect(uuid, text[], timestamptz, text) IS
  'The deploy shortly before a time in the given environments, with events per minute before and after it; NULL when none';

-- New and regressed groups of a capture (the statement trigger's outcomes, db/triggers/350_events.sql):
-- each gets the suspect of its first event (new) or of the regressing one, in the environments it
-- was seen in (any when its events name none).
CREATE OR REPLACE FUNCTION app.error_groups_suspect_releases(p_outcomes jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH found AS (
    SELECT s.id,
           app.release_suspect(s.organization_id,
                               nullif(ARRAY(SELECT DISTINCT r.environment FROM app.error_group_releases r
                                             WHERE r.organization_id = s.organization_id AND r.error_hash = s.error_hash
                                               AND r.environment IS NOT NULL), '{}'),
                               CASE WHEN o.is_new THEN s.first_seen_at ELSE s.last_seen_at END, s.error_hash) AS suspect
      FROM jsonb_to_recordset(p_outcomes) AS o (id uuid, is_new boolean, is_regression boolean)
      JOIN app.system_errors s ON s.id = o.id
     WHERE (o.is_new OR o.is_regression)
       AND EXISTS (SELECT FROM app.deploys d WHERE d.organization_id = s.organization_id))
  UPDATE app.system_errors s SET suspect_release = f.suspect
    FROM found f
   WHERE s.id = f.id AND s.suspect_release IS DISTINCT FROM f.suspect;
END $$;
COMMENT ON FUNCTION app.error_groups_suspect_releases(jsonb) IS
  'Annotate the new and regressed groups of a capture with their suspect release (the deploy shortly before)';

-- The suspect of an incident: an error group's of its signals when one has one, else the deploy
-- shortly before the incident started (the organization's, any environment, production first).
CREATE OR REPLACE FUNCTION app.alert_incident_suspect_release(p_incident app.alert_incidents) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT e.suspect_release FROM app.alert_signals s
       JOIN app.system_errors e ON e.id = (s.facts ->> 'error_id')::uuid
      WHERE s.incident_id = (p_incident).id AND s.facts ? 'error_id' AND e.suspect_release IS NOT NULL
      ORDER BY s.started_at, s.id LIMIT 1),
    app.release_suspect((p_incident).organization_id, NULL, (p_incident).started_at))
$$;
COMMENT ON FUNCTION app.alert_incident_suspect_release(app.alert_incidents) IS
  'The suspect release of an alert incident: its error group''s, else the deploy shortly before it started';

-- "Suspect release: shop@1.4.3 (production), deployed 4 min before; 0.0 → 12.5 events/min"
CREATE OR REPLACE FUNCTION app.suspect_release_text(p_suspect jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('%s (%s), deployed %s min before; %s → %s events/min', p_suspect ->> 'release', p_suspect ->> 'environment',
                p_suspect ->> 'minutes_before', p_suspect ->> 'events_per_minute_before', p_suspect ->> 'events_per_minute_after')
   WHERE p_suspect IS NOT NULL
$$;
COMMENT ON FUNCTION app.suspect_release_text(jsonb) IS 'A suspect release in one line for people: release, environment, when, events per minute before → after';

GRANT EXECUTE ON FUNCTION app.suspect_release_window(), app.release_suspect(uuid, text[], timestamptz, text),
  app.suspect_release_text(jsonb) TO staff, org_owner, system_admin;
