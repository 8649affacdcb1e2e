-- == Views ==

CREATE VIEW api.organizations WITH (security_invoker = true) AS
  SELECT id, name, created_at FROM app.organizations;
COMMENT ON VIEW api.organizations IS 'Organizations you belong to (all of them for system admins)';
GRANT SELECT ON api.organizations TO staff, org_owner, system_admin;

CREATE VIEW api.users WITH (security_invoker = true) AS
  SELECT id, organization_id, email, name, role, created_at FROM app.users;
COMMENT ON VIEW api.users IS 'Users of your organization (all of them for system admins)';
GRANT SELECT ON api.users TO staff, org_owner, system_admin;

CREATE VIEW api.projects WITH (security_invoker = true) AS
  SELECT id, organization_id, name, public_key, created_at FROM app.projects;
COMMENT ON VIEW api.projects IS 'Ingest projects: id and public_key form the DSN';
GRANT SELECT ON api.projects TO staff, org_owner, system_admin;

-- == Functions ==

CREATE FUNCTION api.create_organization(name text) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid;
BEGIN
  INSERT INTO app.organizations (name) VALUES (app.name_of(create_organization.name, 'organization')) RETURNING id INTO v_id;
  RETURN v_id;
END $$;
COMMENT ON FUNCTION api.create_organization(text) IS $$Create an organization (system admins)

Returns the new organization's id.

Parameters:
- name: the organization's display name (text, not blank)

Errors: QV002 400 (name missing), QV001 400 (name over 255 characters), 403 for a role other than system_admin
(not granted).

Example: curl -X POST "$API/rpc/create_organization" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"name": "Acme"}'$$;
GRANT EXECUTE ON FUNCTION api.create_organization(text) TO system_admin;

-- ids as text, read by app.uuid_of: typed, PostgREST's cast would answer 22P02/22007 before the body runs
CREATE FUNCTION api.create_project(organization_id text, name text)
RETURNS TABLE (id bigint, public_key text)
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
  v_name text;
BEGIN
  v_name := app.name_of(create_project.name, 'project');
  -- RLS makes another organization invisible here, so it reads as not found.
  IF NOT EXISTS (SELECT FROM app.organizations o WHERE o.id = app.uuid_of(create_project.organization_id, 'organization_id')) THEN
    RAISE EXCEPTION 'organization % not found', app.uuid_of(create_project.organization_id, 'organization_id') USING ERRCODE = 'QN001',
      DETAIL = 'Field: organization_id.', HINT = 'Use the id of an organization you belong to.';
  END IF;
  RETURN QUERY
    INSERT INTO app.projects AS p (organization_id, name)
    VALUES (app.uuid_of(create_project.organization_id, 'organization_id'), v_name)
    RETURNING p.id, p.public_key;
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.create_project(text, text) IS $$Create an ingest project in an organization

System admins for any organization, org owners for their own. Returns the project id and its
32-hex public key; the DSN is http://<public_key>@<host>:<web port>/<id>.

Parameters:
- organization_id: the owning organization (UUID)
- name: the project's display name (text, not blank)

Errors: QV001 400 (organization_id not a UUID, named in details; name over 255 characters), QV002 400 (name missing),
QN001 404 (organization not found or not yours).

Example: curl -X POST "$API/rpc/create_project" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"organization_id": "6f1c...-uuid", "name": "web"}'$$;
GRANT EXECUTE ON FUNCTION api.create_project(text, text) TO org_owner, system_admin;

CREATE FUNCTION api.delete_user(user_ref text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.user_delete(app.user_ref(delete_user.user_ref, 'user_ref'));
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.delete_user(text) IS $$Delete a user (system admins)

Their sessions end; what they did (resolutions, reports, alerts, maintenance) stays, without them.
The last system admin who can sign in cannot be deleted. Returns the deleted user's e-mail address.

Parameters:
- user_ref: the user's e-mail address, id or id prefix (text, 4+ hex digits)

Errors: QV001 400 (the reference matches several users), QN001 404 (no such user), QSW01 409 (the last system admin).

Example: curl -X POST "$API/rpc/delete_user" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"user_ref": "ana@example.com"}'$$;
GRANT EXECUTE ON FUNCTION api.delete_user(text) TO system_admin;
