-- Tenancy helpers used by the stack itself (not exposed over HTTP).

-- The project whose DSN `make run` prints: the oldest one, created on first start.
CREATE OR REPLACE FUNCTION app.bootstrap_default_project(OUT project_id bigint, OUT public_key text)
LANGUAGE plpgsql AS $$
DECLARE
  v_org uuid;
BEGIN
  SELECT p.id, p.public_key INTO project_id, public_key FROM app.projects p ORDER BY p.id LIMIT 1;
  IF NOT FOUND THEN
    INSERT INTO app.organizations (name) VALUES ('Default organization') RETURNING id INTO v_org;
    INSERT INTO app.projects (organization_id, name) VALUES (v_org, 'default')
      RETURNING id, projects.public_key INTO project_id, public_key;
  END IF;
END $$;
COMMENT ON FUNCTION app.bootstrap_default_project() IS 'The default project, created on first start';

-- Whom a report or an error may be assigned to: a user of its organization, or a system admin, by
-- id or e-mail address. Invoker rights: org owners and staff find only their organization's people.
CREATE OR REPLACE FUNCTION app.assignable_user(p_organization_id uuid, p_user text) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT u.id FROM app.users u
   WHERE (u.id::text = lower(btrim(p_user)) OR lower(u.email) = lower(btrim(p_user)))
     AND (u.organization_id = p_organization_id OR u.role = 'system_admin')
$$;
COMMENT ON FUNCTION app.assignable_user(uuid, text) IS
  'A user of the organization (or a system admin) by id or e-mail that reports and errors may be assigned to; NULL if none';
GRANT EXECUTE ON FUNCTION app.assignable_user(uuid, text) TO staff, org_owner, system_admin;
