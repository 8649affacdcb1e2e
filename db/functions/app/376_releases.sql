-- Environments and releases (db/schema/376_releases.sql): the one place their names are read from
-- an event and checked, the order of releases, and "resolved in the next release".

-- (An event's environment and release: app.event_environment and app.event_release, in
-- db/schema/376_releases.sql, as the generated columns of app.error_events depend on them.)

-- A release or environment name given by a person or CI (api.record_deploy): Sentry's rules.
-- Raises QV002 when missing, QV001 when not acceptable; returns the trimmed name.
CREATE OR REPLACE FUNCTION app.release_name_checked(p_value text, p_field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_value text := btrim(p_value);
  v_max integer := CASE WHEN p_field = 'environment' THEN 64 ELSE 200 END;
BEGIN
  IF v_value IS NULL OR v_value = '' THEN
    RAISE EXCEPTION '% is missing', p_field USING ERRCODE = 'QV002', DETAIL = format('Field: %s.', p_field),
      HINT = CASE WHEN p_field = 'environment' THEN 'Name the environment, e.g. production.'
                  ELSE 'Name the release as your events do, e.g. shop@1.4.2.' END;
  END IF;
  IF length(v_value) > v_max OR v_value ~ '[\r\n\t/\\]' OR v_value IN ('.', '..') THEN
    RAISE EXCEPTION '% is not a valid name', p_field USING ERRCODE = 'QV001', DETAIL = format('Field: %s.', p_field),
      HINT = format('At most %s characters, without slashes, backslashes, tabs or line breaks, and not . or ..', v_max);
  END IF;
  RETURN v_value;
END $$;
COMMENT ON FUNCTION app.release_name_checked(text, text) IS
  'A release or environment name as given, trimmed; QV002 when missing, QV001 when too long or holding / \ or line breaks';

-- == The order of releases ==

-- A release as semver: [major, minor, patch] and its pre-release, from "1.4.2", "v1.4.2",
-- "shop@1.4.2-rc.1+build.7" (the package before @ must match to compare). NULL when it does not parse.
CREATE OR REPLACE FUNCTION app.release_semver(p_release text, OUT package text, OUT version bigint[], OUT pre_release text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(m[1], ''), ARRAY[m[2]::bigint, m[3]::bigint, m[4]::bigint], m[5]
    FROM (SELECT regexp_match(p_release,
                 '^(?:(.+)@)?v?([0-9]{1,15})\.([0-9]{1,15})\.([0-9]{1,15})(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$') AS m) AS r
   WHERE m IS NOT NULL
$$;
COMMENT ON FUNCTION app.release_semver(text) IS
  'A release as semver (package before @, [major, minor, patch], pre-release); no row when it is not semver';

-- Whether p_release is newer than p_than in an organization: by semver when both parse (same
-- package; a pre-release before its release, pre-releases by text), else by when each first
-- appeared (app.releases); a release not yet recorded is newer than every recorded one. An event
-- without a release is never newer (a straggler cannot be told apart).
CREATE OR REPLACE FUNCTION app.release_is_newer(p_organization_id uuid, p_release text, p_than text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  a record;
  b record;
BEGIN
  IF p_release IS NULL OR p_release = p_than THEN
    RETURN false;
  ELSIF p_than IS NULL THEN
    RETURN true;
  END IF;
  SELECT * INTO a FROM app.release_semver(p_release);
  SELECT * INTO b FROM app.release_semver(p_than);
  IF a.version IS NOT NULL AND b.version IS NOT NULL AND a.package = b.package THEN
    RETURN (a.version, a.pre_release IS NULL, coalesce(a.pre_release, '')) > (b.version, b.pre_release IS NULL, coalesce(b.pre_release, ''));
  END IF;
  RETURN coalesce((SELECT r.first_seen_at FROM app.releases r WHERE r.organization_id = p_organization_id AND r.version = p_release),
                  'infinity')
       > coalesce((SELECT r.first_seen_at FROM app.releases r WHERE r.organization_id = p_organization_id AND r.version = p_than),
                  '-infinity');
END $$;
COMMENT ON FUNCTION app.release_is_newer(uuid, text, text) IS
  'Whether a release is newer than another in an organization: semver when both parse, else first seen; no release is never newer';

-- The organization's current release: the one that appeared last (an event's or a deploy's).
CREATE OR REPLACE FUNCTION app.release_current(p_organization_id uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT r.version FROM app.releases r WHERE r.organization_id = p_organization_id
   ORDER BY r.first_seen_at DESC, r.version DESC LIMIT 1
$$;
COMMENT ON FUNCTION app.release_current(uuid) IS 'The release of an organization that appeared last (events and deploys), or NULL';

-- == Resolved in the next release ==

-- The groups of a statement's outcomes that wait for a newer release (resolved in the next
-- release) and got an event of one: recurring now. Called by the statement trigger
-- (db/triggers/350_events.sql) with the (organization, hash, release) of the statement's events
-- of those groups; returns the outcomes with those groups marked is_regression.
CREATE OR REPLACE FUNCTION app.error_groups_release_regress(p_outcomes jsonb, p_seen jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_regressed uuid[];
BEGIN
  WITH regressed AS (
    UPDATE app.system_errors s SET status = 'recurring', updated_at = now()
      FROM jsonb_to_recordset(p_outcomes) AS o (id uuid, release_pending boolean)
     WHERE s.id = o.id AND o.release_pending AND s.status = 'resolved'
       AND EXISTS (SELECT FROM jsonb_to_recordset(p_seen) AS e (organization_id uuid, error_hash text, release text)
                    WHERE e.organization_id = s.organization_id AND e.error_hash = s.error_hash
                      AND app.release_is_newer(s.organization_id, e.release, s.resolved_in_release))
    RETURNING s.id)
  SELECT coalesce(array_agg(r.id), '{}') INTO v_regressed FROM regressed r;
  IF cardinality(v_regressed) = 0 THEN
    RETURN p_outcomes;
  END IF;
  RETURN (SELECT jsonb_agg(CASE WHEN (o.value ->> 'id')::uuid = ANY (v_regressed)
                                THEN o.value || '{"status": "recurring", "is_regression": true}' ELSE o.value END
                           ORDER BY o.n)
            FROM jsonb_array_elements(p_outcomes) WITH ORDINALITY AS o (value, n));
END $$;
COMMENT ON FUNCTION app.error_groups_release_regress(jsonb, jsonb) IS
  'Groups resolved in the next release that got an event of a newer release become recurring; the outcomes say so';

GRANT EXECUTE ON FUNCTION app.release_name_checked(text, text), app.release_semver(text),
  app.release_is_newer(uuid, text, text), app.release_current(uuid) TO staff, org_owner, system_admin;

-- == The errors list seen in an environment or release ==

-- api.list_errors with an environment or a release: the groups seen there (app.error_group_releases),
-- in the list's orders and keyset (last_seen: last_seen_at, id; events: occurrence_count, id; users:
-- the exact count of distinct users, id; each descending). The groups of one environment or release
-- are few next to all groups: they are sorted in memory rather than read from the list indexes.
-- Returns the page's ids in order.
CREATE OR REPLACE FUNCTION app.error_list_seen_in(
  p_organization_id uuid, p_status app.error_status_enum, p_severity app.severity_enum, p_error_type app.error_type_enum,
  p_assigned_to uuid, p_unassigned boolean, p_environment text, p_release text, p_sort text,
  p_after_last_seen_at timestamptz, p_after_count bigint, p_after_id uuid, p_limit integer)
RETURNS TABLE (id uuid, ordinal bigint)
LANGUAGE sql STABLE AS $$
  SELECT l.id, row_number() OVER (ORDER BY l.key_time DESC NULLS LAST, l.key_count DESC NULLS LAST, l.id DESC)
    FROM (SELECT k.*, CASE WHEN p_sort = 'last_seen' THEN k.last_seen_at END AS key_time,
                 CASE p_sort WHEN 'events' THEN k.occurrence_count::bigint WHEN 'users' THEN k.users END AS key_count
            FROM (SELECT s.id, s.last_seen_at, s.occurrence_count,
                         CASE WHEN p_sort = 'users' THEN app.error_group_users_affected(s.organization_id, s.error_hash) END AS users
                    FROM app.system_errors s
                   WHERE app._error_list_match(s, p_organization_id, p_status, p_severity, p_error_type, p_assigned_to,
                                               p_unassigned)
                     AND (s.organization_id, s.error_hash) IN (
                           SELECT g.organization_id, g.error_hash FROM app.error_group_releases g
                            WHERE (p_organization_id IS NULL OR g.organization_id = p_organization_id)
                              AND (p_environment IS NULL OR g.environment = p_environment)
                              AND (p_release IS NULL OR g.release = p_release))) AS k) AS l
   WHERE p_after_id IS NULL
      OR (CASE WHEN p_sort = 'last_seen' THEN (l.key_time, l.id) < (p_after_last_seen_at, p_after_id)
               ELSE (l.key_count, l.id) < (p_after_count, p_after_id) END)
   ORDER BY l.key_time DESC NULLS LAST, l.key_count DESC NULLS LAST, l.id DESC
   LIMIT p_limit
$$;
COMMENT ON FUNCTION app.error_list_seen_in(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean, text, text, text, timestamptz, bigint, uuid, integer) IS
  'A page of the errors list among the groups seen in an environment and release, in the list''s order and keyset';
GRANT EXECUTE ON FUNCTION app.error_list_seen_in(uuid, app.error_status_enum, app.severity_enum, app.error_type_enum, uuid, boolean, text, text, text, timestamptz, bigint, uuid, integer)
  TO staff, org_owner, system_admin;
