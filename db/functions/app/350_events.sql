-- Reading error groups and their events (the CLI and the views use these). Invoker rights:
-- row-level security decides what a caller sees.

CREATE OR REPLACE FUNCTION app._enum_value(p_value text, p_allowed text[], p_field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_value IS NOT NULL AND lower(btrim(p_value)) <> ALL (p_allowed) THEN
    RAISE EXCEPTION 'unknown % %', p_field, p_value USING ERRCODE = 'QV001',
      DETAIL = format('Field: %s.', p_field), HINT = format('Use one of: %s.', array_to_string(p_allowed, ', '));
  END IF;
  RETURN lower(btrim(p_value));
END $$;
COMMENT ON FUNCTION app._enum_value(text, text[], text) IS 'An enum value given as text, lower-cased; QV001 naming the field when unknown';

-- p_environment, p_release: groups seen in that environment and release (app.error_group_releases)
DROP FUNCTION IF EXISTS app.error_list(text, text, uuid, timestamptz, text, integer);  -- (before environments)
CREATE OR REPLACE FUNCTION app.error_list(
  p_status text DEFAULT NULL, p_severity text DEFAULT NULL, p_organization_id uuid DEFAULT NULL,
  p_since timestamptz DEFAULT NULL, p_search text DEFAULT NULL, p_limit integer DEFAULT 50,
  p_environment text DEFAULT NULL, p_release text DEFAULT NULL)
RETURNS TABLE (id uuid, organization_id uuid, status app.error_status_enum, severity app.severity_enum,
               error_type app.error_type_enum, occurrence_count integer, last_seen_at timestamptz, message text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_status text := app._enum_value(p_status, enum_range(NULL::app.error_status_enum)::text[], 'status');
  v_severity text := app._enum_value(p_severity, enum_range(NULL::app.severity_enum)::text[], 'severity');
BEGIN
  RETURN QUERY
  SELECT s.id, s.organization_id, s.status, s.severity, s.error_type, s.occurrence_count, s.last_seen_at, s.message
    FROM app.system_errors s
   WHERE (v_status IS NULL OR s.status = v_status::app.error_status_enum)
     AND (v_severity IS NULL OR s.severity = v_severity::app.severity_enum)
     AND (p_organization_id IS NULL OR s.organization_id = p_organization_id)
     AND (p_since IS NULL OR s.last_seen_at >= p_since)
     AND (p_search IS NULL OR s.id IN (SELECT m FROM app.error_ids_matching(p_search) AS m))
     AND (p_environment IS NULL AND p_release IS NULL
          OR EXISTS (SELECT FROM app.error_group_releases g
                      WHERE g.organization_id = s.organization_id AND g.error_hash = s.error_hash
                        AND (p_environment IS NULL OR g.environment = p_environment)
                        AND (p_release IS NULL OR g.release = p_release)))
   ORDER BY s.last_seen_at DESC, s.id DESC  -- idx_errors_org_last_seen's order
   LIMIT greatest(coalesce(p_limit, 50), 1);
END $$;
COMMENT ON FUNCTION app.error_list(text, text, uuid, timestamptz, text, integer, text, text) IS
  'Error groups filtered by status, severity, organization, last seen, message text, environment and release, most recent first';

CREATE OR REPLACE FUNCTION app.error_detail(p_error_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_group app.system_errors;
BEGIN
  SELECT * INTO v_group FROM app.system_errors s WHERE s.id = p_error_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'error % not found', p_error_id USING ERRCODE = 'QN001',
      DETAIL = 'Field: error_id.', HINT = 'List errors with pgwarden errors list.';
  END IF;
  RETURN to_jsonb(v_group) || jsonb_build_object(
    'users_affected', app.error_group_users_affected(v_group.organization_id, v_group.error_hash),
    -- the whole hours of the window by their hourly counts, the minutes of its first, partial hour
    'events_last_24h', (SELECT coalesce(sum(c.events), 0)
                          FROM app.error_hourly_counts(ARRAY[v_group.organization_id], ARRAY[v_group.error_hash::text], 24) c
                         WHERE c.bucket > now() - interval '24 hours')
                       + (SELECT coalesce(sum(m.event_count), 0) FROM app.error_metrics m
                           WHERE m.organization_id = v_group.organization_id AND m.error_hash = v_group.error_hash
                             AND m.bucket >= now() - interval '24 hours'
                             AND m.bucket < app.stats_bucket_start(interval '1 hour', now() - interval '24 hours')
                                            + interval '1 hour'),
    'recent_events', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                               'event_id', e.event_id, 'received_at', e.received_at, 'occurred_at', e.occurred_at,
                               'severity', e.severity, 'message', e.message, 'url', e.url, 'user_id', e.user_id,
                               'browser', e.browser, 'os', e.os) ORDER BY e.received_at DESC), '[]')
                        FROM (SELECT * FROM app.error_events e
                               WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_group.error_hash
                               ORDER BY e.received_at DESC LIMIT 5) AS e),
    'environments', (SELECT coalesce(jsonb_agg(DISTINCT g.environment), '[]') FROM app.error_group_releases g
                      WHERE g.organization_id = v_group.organization_id AND g.error_hash = v_group.error_hash
                        AND g.environment IS NOT NULL),
    -- the first release it was seen in, and the one of them that appeared last in its organization
    'first_release', (SELECT g.release FROM app.error_group_releases g
                       WHERE g.organization_id = v_group.organization_id AND g.error_hash = v_group.error_hash
                         AND g.release IS NOT NULL ORDER BY g.first_seen_at, g.release LIMIT 1),
    'last_release', (SELECT g.release FROM app.error_group_releases g
                       JOIN app.releases r ON r.organization_id = g.organization_id AND r.version = g.release
                      WHERE g.organization_id = v_group.organization_id AND g.error_hash = v_group.error_hash
                      ORDER BY r.first_seen_at DESC, g.release DESC LIMIT 1),
    'status_history', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                'from', h.from_status, 'to', h.to_status, 'note', h.note, 'changed_by', h.changed_by,
                                'changed_at', h.changed_at) ORDER BY h.changed_at, h.id), '[]')
                         FROM app.error_status_history h WHERE h.error_id = p_error_id));
END $$;
COMMENT ON FUNCTION app.error_detail(uuid) IS
  'One error group with users affected, events in the last 24 hours, its latest events and status history';
GRANT EXECUTE ON FUNCTION app._enum_value(text, text[], text) TO staff, org_owner, system_admin;
