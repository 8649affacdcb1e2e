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
