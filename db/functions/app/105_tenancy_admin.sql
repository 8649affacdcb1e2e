-- Organizations and projects managed from the command line (it connects as the superuser):
-- references by id, id prefix or name, lists, renames, key rotation and deletion.

-- The uuids whose text starts with p_prefix (dashes optional), as an index range.
CREATE OR REPLACE FUNCTION app.uuid_prefix_bounds(p_prefix text, OUT low uuid, OUT high uuid)
LANGUAGE sql IMMUTABLE AS $$
  SELECT rpad(hex, 32, '0')::uuid, rpad(hex, 32, 'f')::uuid
    FROM (SELECT lower(replace(btrim(p_prefix), '-', '')) AS hex) h
   WHERE hex ~ '^[0-9a-f]{4,32}$'
$$;
COMMENT ON FUNCTION app.uuid_prefix_bounds(text)
  IS 'The range of uuids a hex prefix (4 to 32 digits, dashes ignored) names; NULLs when it is not one';

-- The one answer for a reference: the single match, else QN001 (none) or QV001 (several).
CREATE OR REPLACE FUNCTION app.reference_one(p_kind text, p_ref text, p_field text, p_matches text[],
                                             p_list_hint text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF coalesce(cardinality(p_matches), 0) = 0 THEN
    RAISE EXCEPTION '% % not found', p_kind, quote_literal(p_ref) USING ERRCODE = 'QN001',
      DETAIL = format('Field: %s.', p_field), HINT = p_list_hint;
  ELSIF cardinality(p_matches) > 1 THEN
    RAISE EXCEPTION '% % is ambiguous: % match', p_kind, quote_literal(p_ref), cardinality(p_matches)
      USING ERRCODE = 'QV001',
      DETAIL = format('Field: %s. It matches %s.', p_field, array_to_string(p_matches[1:5], ', ')),
      HINT = 'Give more characters of the id, or the full id.';
  END IF;
  RETURN p_matches[1];
END $$;
COMMENT ON FUNCTION app.reference_one(text, text, text, text[], text)
  IS 'The single match of a reference; QN001 when none, QV001 when several (naming the field)';

CREATE OR REPLACE FUNCTION app.organization_ref(p_ref text, p_field text DEFAULT 'organization') RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_ref IS NULL THEN NULL ELSE app.reference_one('organization', p_ref, p_field,
    coalesce(
      (SELECT array_agg(o.id::text ORDER BY o.created_at) FROM app.organizations o
        WHERE lower(o.name) = lower(btrim(p_ref))),
      (SELECT array_agg(o.id::text ORDER BY o.created_at)
         FROM app.organizations o, app.uuid_prefix_bounds(p_ref) b WHERE o.id BETWEEN b.low AND b.high)),
    '`pgwarden org list` shows the organizations; give an id, an id prefix or a name.')::uuid END
$$;
COMMENT ON FUNCTION app.organization_ref(text, text)
  IS 'The organization an id, id prefix (4+ hex digits) or name (any case) names; QN001 / QV001 naming p_field';
-- (the web app's list filters take one typed by a system admin: workers/web/ui/pages.py)
GRANT EXECUTE ON FUNCTION app.organization_ref(text, text), app.uuid_prefix_bounds(text) TO system_admin;

CREATE OR REPLACE FUNCTION app.project_ref(p_ref text, p_field text DEFAULT 'project') RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_ref IS NULL THEN NULL ELSE app.reference_one('project', p_ref, p_field,
    CASE WHEN btrim(p_ref) ~ '^[0-9]{1,18}$'
         THEN (SELECT array_agg(p.id::text) FROM app.projects p WHERE p.id = btrim(p_ref)::bigint)
         ELSE (SELECT array_agg(p.id::text ORDER BY p.id) FROM app.projects p
                WHERE lower(p.name) = lower(btrim(p_ref))) END,
    '`pgwarden project list` shows the projects; give a project id or a name.')::bigint END
$$;
COMMENT ON FUNCTION app.project_ref(text, text)
  IS 'The project a numeric id or a name (any case) names; QN001 / QV001 naming p_field';

CREATE OR REPLACE FUNCTION app.error_ref(p_ref text, p_field text DEFAULT 'error') RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_ref IS NULL THEN NULL ELSE app.reference_one('error group', p_ref, p_field,
    (SELECT array_agg(e.id::text ORDER BY e.last_seen_at DESC)
       FROM (SELECT e.id, e.last_seen_at FROM app.system_errors e, app.uuid_prefix_bounds(p_ref) b
              WHERE e.id BETWEEN b.low AND b.high LIMIT 6) e),
    '`pgwarden errors list` shows the error groups; give an id or its first characters (4 or more).')::uuid END
$$;
COMMENT ON FUNCTION app.error_ref(text, text)
  IS 'The error group an id or id prefix (4+ hex digits) names; QN001 / QV001 naming p_field';

-- == Organizations ==

CREATE OR REPLACE FUNCTION app.organization_list() RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', o.id, 'name', o.name, 'created_at', o.created_at,
           'projects', (SELECT count(*) FROM app.projects p WHERE p.organization_id = o.id),
           'users', (SELECT count(*) FROM app.users u WHERE u.organization_id = o.id),
           'error_groups', (SELECT count(*) FROM app.system_errors e WHERE e.organization_id = o.id),
           'monitors', (SELECT count(*) FROM app.health_monitors m WHERE m.organization_id = o.id))
         ORDER BY o.created_at), '[]'::jsonb)
    FROM app.organizations o
$$;
COMMENT ON FUNCTION app.organization_list() IS 'Every organization with counts of its projects, users, error groups and monitors';

CREATE OR REPLACE FUNCTION app.organization_show(p_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN  -- plpgsql: app.rate_limit_per_minute is created after this file
  RETURN (SELECT jsonb_build_object(
           'id', o.id, 'name', o.name, 'created_at', o.created_at,
           'projects', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name,
                                          'public_key', p.public_key, 'created_at', p.created_at)
                                        ORDER BY p.id), '[]') FROM app.projects p WHERE p.organization_id = o.id),
           'users', (SELECT count(*) FROM app.users u WHERE u.organization_id = o.id),
           'error_groups', (SELECT count(*) FROM app.system_errors e WHERE e.organization_id = o.id),
           'monitors', (SELECT count(*) FROM app.health_monitors m WHERE m.organization_id = o.id),
           'rate_limit_per_minute', app.rate_limit_per_minute(o.id))
    FROM app.organizations o WHERE o.id = p_id);
END $$;
COMMENT ON FUNCTION app.organization_show(uuid) IS 'One organization: its projects (with keys) and counts';

CREATE OR REPLACE FUNCTION app.organization_rename(p_id uuid, p_name text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_name text := app.name_of(p_name, 'organization');
BEGIN
  UPDATE app.organizations SET name = v_name WHERE id = p_id;
  RETURN app.organization_show(p_id);
END $$;
COMMENT ON FUNCTION app.organization_rename(uuid, text) IS 'Rename an organization';

-- Error groups, reports and alert rules do not cascade with their organization (the spec's tables):
-- deleting one that has them takes p_with_data, so history is never lost by a slip.
CREATE OR REPLACE FUNCTION app.organization_delete(p_id uuid, p_with_data boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_name text;
  v_errors bigint := (SELECT count(*) FROM app.system_errors e WHERE e.organization_id = p_id);
  v_reports bigint := (SELECT count(*) FROM app.user_error_reports r WHERE r.organization_id = p_id);
BEGIN
  IF (v_errors > 0 OR v_reports > 0) AND NOT p_with_data THEN
    RAISE EXCEPTION 'organization has % error groups and % reports', v_errors, v_reports
      USING ERRCODE = 'QS001', DETAIL = 'Deleting it deletes them, with their events.',
      HINT = 'Pass --with-data to delete the organization with its data.';
  END IF;
  DELETE FROM app.error_alerts WHERE organization_id = p_id;
  DELETE FROM app.user_error_reports WHERE organization_id = p_id;
  DELETE FROM app.error_events WHERE organization_id = p_id;
  DELETE FROM app.system_errors WHERE organization_id = p_id;
  -- keyed by organization without a foreign key to it (db/schema/376_releases.sql)
  DELETE FROM app.error_group_releases WHERE organization_id = p_id;
  DELETE FROM app.deploys WHERE organization_id = p_id;
  DELETE FROM app.releases WHERE organization_id = p_id;
  DELETE FROM app.organizations WHERE id = p_id RETURNING name INTO v_name;
  RETURN jsonb_build_object('id', p_id, 'name', v_name, 'error_groups', v_errors, 'reports', v_reports);
END $$;
COMMENT ON FUNCTION app.organization_delete(uuid, boolean)
  IS 'Delete an organization and everything of it; refused (QS001) while it has error data unless p_with_data';

-- == Projects ==

CREATE OR REPLACE FUNCTION app.project_list(p_organization_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', p.id, 'organization_id', p.organization_id, 'organization', o.name, 'name', p.name,
           'public_key', p.public_key, 'created_at', p.created_at) ORDER BY p.id), '[]'::jsonb)
    FROM app.projects p JOIN app.organizations o ON o.id = p.organization_id
   WHERE p_organization_id IS NULL OR p.organization_id = p_organization_id
$$;
COMMENT ON FUNCTION app.project_list(uuid) IS 'Projects (of one organization, or all) with their keys';

CREATE OR REPLACE FUNCTION app.project_change(p_id bigint, p_name text, p_rotate_key boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_project jsonb;
BEGIN
  IF p_name IS NOT NULL AND btrim(p_name) = '' THEN
    RAISE EXCEPTION 'project name is empty' USING ERRCODE = 'QV002',
      DETAIL = 'Field: name.', HINT = 'Give the project a name.';
  END IF;
  -- a rotated key takes effect at once: SDKs with the old DSN are answered 403 from now on
  UPDATE app.projects p
     SET name = coalesce(btrim(p_name), p.name),
         public_key = CASE WHEN p_rotate_key THEN encode(gen_random_bytes(16), 'hex') ELSE p.public_key END
   WHERE p.id = p_id
  RETURNING jsonb_build_object('id', p.id, 'organization_id', p.organization_id, 'name', p.name,
                               'public_key', p.public_key) INTO v_project;
  RETURN v_project;
END $$;
COMMENT ON FUNCTION app.project_change(bigint, text, boolean) IS 'Rename a project and/or give it a new public key';

CREATE OR REPLACE FUNCTION app.project_delete(p_id bigint) RETURNS jsonb
LANGUAGE sql AS $$
  DELETE FROM app.projects p WHERE p.id = p_id
  RETURNING jsonb_build_object('id', p.id, 'organization_id', p.organization_id, 'name', p.name)
$$;
COMMENT ON FUNCTION app.project_delete(bigint)
  IS 'Delete a project (its key stops working; its organization''s error groups stay)';
