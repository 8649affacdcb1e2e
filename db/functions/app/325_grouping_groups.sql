-- When grouping is wrong, people fix it: merge groups, unmerge a hash, and see why an event
-- grouped where it did. Merging and unmerging move events, counts and metrics that only ingest
-- writes, so they run with the definer's rights after checking the caller may change the
-- organization's errors (a group the caller may not change reads as not found).

-- A request's role may change the organization's error groups: system admins any, owners and
-- staff their own; a session without a request (the CLI, as the stack's superuser) when it is a superuser.
CREATE OR REPLACE FUNCTION app._error_groups_writable(p_organization_id uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN app.jwt_claim('role') IS NULL THEN coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = session_user), false)
              ELSE app.jwt_claim('role') = 'system_admin'
                   OR (app.jwt_claim('role') IN ('org_owner', 'staff') AND p_organization_id = app.current_org_id()) END
$$;
COMMENT ON FUNCTION app._error_groups_writable(uuid) IS
  'Whether the caller may merge and unmerge the organization''s error groups (claims of the request, else a superuser session)';

CREATE OR REPLACE FUNCTION app._error_group_not_found(p_error_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'error % not found', p_error_id USING ERRCODE = 'QN001', DETAIL = 'Field: error_id.',
    HINT = 'Use the id of an error of your organization (pgwarden errors list).';
END $$;
COMMENT ON FUNCTION app._error_group_not_found(uuid) IS 'Raise QN001 for an error group the caller cannot see or change';

-- A group's count of distinct users (app.error_group_user_counts) from its rows of
-- app.error_group_users, as the rollup fold keeps it: no row without users.
CREATE OR REPLACE FUNCTION app._error_group_users_recount(p_organization_id uuid, p_error_hash text, p_error_id uuid)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM app.error_group_user_counts c WHERE c.organization_id = p_organization_id AND c.error_hash = p_error_hash;
  INSERT INTO app.error_group_user_counts (organization_id, error_hash, error_id, users_affected)
  SELECT p_organization_id, p_error_hash, p_error_id, count(*)::integer
    FROM app.error_group_users u WHERE u.organization_id = p_organization_id AND u.error_hash = p_error_hash
  HAVING count(*) > 0;
END $$;
COMMENT ON FUNCTION app._error_group_users_recount(uuid, text, uuid) IS
  'Recount a group''s distinct users (error_group_user_counts) from its error_group_users rows';

-- == Merge ==

-- The sources' events, client event ids, per-minute, hourly and daily counts, users and merged
-- hashes move to the target;
-- their hashes point at it from now on (error_group_hashes), so their next events join it; their
-- customer reports link to it; the sources are deleted and the target's history notes the merge.
-- Groups are locked in (organization, hash) order, as captures lock them.
CREATE OR REPLACE FUNCTION app.error_groups_merge(p_target_id uuid, p_source_ids uuid[], p_note text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_sources uuid[] := ARRAY(SELECT DISTINCT s FROM unnest(p_source_ids) AS s WHERE s IS NOT NULL);
  v_groups app.system_errors[];
  v_target app.system_errors;
  v_hashes text[];
  v_events bigint;
  v_relation text;
BEGIN
  IF cardinality(v_sources) = 0 OR p_target_id = ANY (v_sources) THEN
    RAISE EXCEPTION 'nothing to merge' USING ERRCODE = 'QVG02', DETAIL = 'Field: source_ids.',
      HINT = 'Name one or more error groups other than the target.';
  END IF;
  PERFORM app.grouping_lock(s.organization_id, true) FROM app.system_errors s WHERE s.id = p_target_id;  -- no capture meanwhile
  PERFORM FROM app.error_rollup r FOR UPDATE;  -- no fold meanwhile: it would count the sources' minutes under their hashes
  v_groups := ARRAY(SELECT s FROM app.system_errors s WHERE s.id = p_target_id OR s.id = ANY (v_sources)
                     ORDER BY s.organization_id, s.error_hash FOR UPDATE);
  SELECT * INTO v_target FROM unnest(v_groups) AS g WHERE g.id = p_target_id;
  IF NOT FOUND OR NOT app._error_groups_writable(v_target.organization_id) THEN
    PERFORM app._error_group_not_found(p_target_id);
  END IF;
  IF cardinality(v_groups) < cardinality(v_sources) + 1 THEN
    PERFORM app._error_group_not_found((SELECT s FROM unnest(v_sources) AS s
                                         WHERE s NOT IN (SELECT g.id FROM unnest(v_groups) AS g) LIMIT 1));
  END IF;
  IF EXISTS (SELECT FROM unnest(v_groups) AS g WHERE g.organization_id <> v_target.organization_id) THEN
    RAISE EXCEPTION 'error groups of different organizations cannot be merged' USING ERRCODE = 'QSG01',
      DETAIL = format('Error %s belongs to organization %s.', p_target_id, v_target.organization_id),
      HINT = 'Merge groups of one organization.';
  END IF;
  v_hashes := ARRAY(SELECT g.error_hash FROM unnest(v_groups) AS g WHERE g.id <> p_target_id);

  UPDATE app.error_events e SET error_hash = v_target.error_hash, grouping_hash = coalesce(e.grouping_hash, e.error_hash)
   WHERE e.organization_id = v_target.organization_id AND e.error_hash = ANY (v_hashes);
  GET DIAGNOSTICS v_events = ROW_COUNT;
  UPDATE app.error_event_ids x SET error_hash = v_target.error_hash
   WHERE x.organization_id = v_target.organization_id AND x.error_hash = ANY (v_hashes);
  FOR v_relation IN SELECT unnest(ARRAY['error_metrics', 'error_metrics_hourly', 'error_metrics_daily']) LOOP
    EXECUTE format($sql$
      WITH taken AS (
        DELETE FROM app.%1$I m WHERE m.organization_id = $1 AND m.error_hash = ANY ($2)
        RETURNING m.bucket, m.event_count)
      INSERT INTO app.%1$I AS m (organization_id, bucket, error_hash, event_count)
      SELECT $1, t.bucket, $3, sum(t.event_count) FROM taken t GROUP BY t.bucket ORDER BY t.bucket
      ON CONFLICT (organization_id, bucket, error_hash) DO UPDATE SET event_count = m.event_count + excluded.event_count$sql$,
      v_relation)
    USING v_target.organization_id, v_hashes, v_target.error_hash;
  END LOOP;
  PERFORM app.error_stats_groups_moved(v_target.organization_id, v_hashes || v_target.error_hash);  -- (360_stats_top.sql)
  INSERT INTO app.error_group_users (organization_id, error_hash, user_id)
  SELECT DISTINCT v_target.organization_id, v_target.error_hash, u.user_id
    FROM app.error_group_users u WHERE u.organization_id = v_target.organization_id AND u.error_hash = ANY (v_hashes)
  ON CONFLICT DO NOTHING;
  DELETE FROM app.error_group_users u WHERE u.organization_id = v_target.organization_id AND u.error_hash = ANY (v_hashes);
  -- where the merged groups were seen (db/schema/376_releases.sql), each combination once
  WITH taken AS (
    DELETE FROM app.error_group_releases g WHERE g.organization_id = v_target.organization_id AND g.error_hash = ANY (v_hashes)
    RETURNING g.project_id, g.environment, g.release, g.first_seen_at)
  INSERT INTO app.error_group_releases (organization_id, error_hash, project_id, environment, release, first_seen_at)
  SELECT v_target.organization_id, v_target.error_hash, t.project_id, t.environment, t.release, min(t.first_seen_at)
    FROM taken t GROUP BY t.project_id, t.environment, t.release
  ON CONFLICT DO NOTHING;
  DELETE FROM app.error_group_user_counts c WHERE c.organization_id = v_target.organization_id AND c.error_hash = ANY (v_hashes);
  PERFORM app._error_group_users_recount(v_target.organization_id, v_target.error_hash, p_target_id);
  UPDATE app.error_group_hashes h SET error_hash = v_target.error_hash
   WHERE h.organization_id = v_target.organization_id AND h.error_hash = ANY (v_hashes);
  INSERT INTO app.error_group_hashes (organization_id, hash, error_hash, reason, grouping_version)
  SELECT v_target.organization_id, g.error_hash, v_target.error_hash, 'merge', g.grouping_version
    FROM unnest(v_groups) AS g WHERE g.id <> p_target_id;
  UPDATE app.user_error_reports r SET linked_error_id = p_target_id WHERE r.linked_error_id = ANY (v_sources);

  UPDATE app.system_errors s
     SET occurrence_count = s.occurrence_count + (SELECT sum(g.occurrence_count) FROM unnest(v_groups) AS g WHERE g.id <> p_target_id),
         first_seen_at = least(s.first_seen_at, (SELECT min(g.first_seen_at) FROM unnest(v_groups) AS g)),
         last_seen_at = greatest(s.last_seen_at, (SELECT max(g.last_seen_at) FROM unnest(v_groups) AS g)),
         severity = greatest(s.severity, (SELECT max(g.severity) FROM unnest(v_groups) AS g)), updated_at = now()
   WHERE s.id = p_target_id
  RETURNING * INTO v_target;
  INSERT INTO app.error_status_history (error_id, organization_id, from_status, to_status, note, changed_by)
  VALUES (p_target_id, v_target.organization_id, v_target.status, v_target.status,
          concat_ws(': ', 'merged ' || array_to_string(v_sources, ', '), p_note),
          (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()));
  DELETE FROM app.system_errors s WHERE s.id = ANY (v_sources);
  RETURN jsonb_build_object('id', v_target.id, 'error_hash', v_target.error_hash, 'occurrence_count', v_target.occurrence_count,
                            'events_moved', v_events, 'merged_hashes', to_jsonb(v_hashes));
END $$;
COMMENT ON FUNCTION app.error_groups_merge(uuid, uuid[], text) IS
'Merge error groups into a target: their events, counts and metrics move, their hashes point at the target
(their next events join it), their reports link to it, and they are deleted. QVG02 without sources or with the
target among them, QSG01 across organizations, QN001 for a group the caller cannot change';
GRANT EXECUTE ON FUNCTION app.error_groups_merge(uuid, uuid[], text) TO staff, org_owner, system_admin;

-- Events moved from one hash to another take their counts along: per minute, and per hour and
-- day for those the rollup fold has counted (before its watermark).
CREATE OR REPLACE FUNCTION app._error_counts_move(p_organization_id uuid, p_from text, p_to text, p_received timestamptz[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_folded_until timestamptz := (SELECT r.folded_until FROM app.error_rollup r);
  v_level record;
BEGIN
  FOR v_level IN SELECT * FROM (VALUES ('error_metrics', NULL), ('error_metrics_hourly', '1 hour'),
                                       ('error_metrics_daily', '1 day')) AS l (relation, width) LOOP
    EXECUTE format($sql$
      WITH buckets AS (
        SELECT CASE WHEN $4 IS NULL THEN date_trunc('minute', r.received_at)
                    ELSE app.stats_bucket_start($4::interval, date_trunc('minute', r.received_at)) END AS bucket,
               count(*) AS events
          FROM unnest($3) AS r (received_at)
         WHERE $4 IS NULL OR r.received_at < $5
         GROUP BY 1
      ), taken AS (
        UPDATE app.%1$I m SET event_count = greatest(m.event_count - b.events, 0)
          FROM buckets b WHERE m.organization_id = $1 AND m.error_hash = $2 AND m.bucket = b.bucket
        RETURNING m.bucket)
      INSERT INTO app.%1$I AS m (organization_id, bucket, error_hash, event_count)
      SELECT $1, b.bucket, $6, b.events FROM buckets b ORDER BY b.bucket
      ON CONFLICT (organization_id, bucket, error_hash) DO UPDATE SET event_count = m.event_count + excluded.event_count$sql$,
      v_level.relation)
    USING p_organization_id, p_from, p_received, v_level.width, v_folded_until, p_to;
    EXECUTE format('DELETE FROM app.%I m WHERE m.organization_id = $1 AND m.error_hash = $2 AND m.event_count = 0',
                   v_level.relation)
    USING p_organization_id, p_from;
  END LOOP;
END $$;
COMMENT ON FUNCTION app._error_counts_move(uuid, text, text, timestamptz[]) IS
  'Move the per-minute, hourly and daily counts of the events received at these times from one error hash to another';

-- == Unmerge ==

-- A hash that points at a group (a merged group's, or a newer rules' hash) stops pointing there:
-- its next events form a group of their own, and the events of the group that came with that
-- hash (error_events.grouping_hash) move into it now, with their counts (minutes, hours, days) and
-- the users the rollup fold saw in them. Counts of events no longer kept (retention) stay with the
-- group, as do its users (a user may have come with other events too).
CREATE OR REPLACE FUNCTION app.error_group_unmerge(p_error_id uuid, p_hash text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_group app.system_errors;
  v_alias app.error_group_hashes;
  v_moved bigint;
  v_event_ids uuid[];
  v_received timestamptz[];
  v_users text[];
  v_new app.system_errors;
BEGIN
  PERFORM app.grouping_lock(s.organization_id, true) FROM app.system_errors s WHERE s.id = p_error_id;  -- as merge
  PERFORM FROM app.error_rollup r FOR UPDATE;  -- no fold meanwhile (as in app.error_groups_merge)
  SELECT * INTO v_group FROM app.system_errors s WHERE s.id = p_error_id FOR UPDATE;
  IF NOT FOUND OR NOT app._error_groups_writable(v_group.organization_id) THEN
    PERFORM app._error_group_not_found(p_error_id);
  END IF;
  DELETE FROM app.error_group_hashes h
   WHERE h.organization_id = v_group.organization_id AND h.hash = lower(btrim(p_hash)) AND h.error_hash = v_group.error_hash
  RETURNING * INTO v_alias;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'hash % is not merged into error %', p_hash, p_error_id USING ERRCODE = 'QSG02',
      DETAIL = 'Field: hash.', HINT = 'Use a hash pgwarden errors why lists under other hashes of this group.';
  END IF;

  WITH moved AS (
    UPDATE app.error_events e SET error_hash = v_alias.hash, grouping_hash = NULL
     WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_group.error_hash AND e.grouping_hash = v_alias.hash
    RETURNING e.event_id, e.received_at, e.user_id)
  SELECT count(*), coalesce(array_agg(m.event_id), '{}'), coalesce(array_agg(m.received_at ORDER BY m.event_id), '{}'),
         coalesce(array_agg(m.user_id ORDER BY m.event_id), '{}')
    INTO v_moved, v_event_ids, v_received, v_users FROM moved m;

  IF v_moved > 0 THEN
    INSERT INTO app.system_errors AS s (
      error_hash, error_type, severity, message, stack_trace, component, file_path, line_number, column_number, url,
      user_agent, browser, os, device_type, organization_id, metadata, request_id, session_id, status, occurrence_count,
      first_seen_at, last_seen_at, grouping_version)
    SELECT e.error_hash, e.error_type, (SELECT max(x.severity) FROM app.error_events x
                                         WHERE x.organization_id = e.organization_id AND x.error_hash = e.error_hash),
           e.message, e.stack_trace, e.component, e.file_path, e.line_number, e.column_number, e.url, e.user_agent, e.browser,
           e.os, e.device_type, e.organization_id, e.metadata, e.request_id, e.session_id, 'new', v_moved,
           (SELECT min(x.occurred_at) FROM app.error_events x WHERE x.organization_id = e.organization_id AND x.error_hash = e.error_hash),
           (SELECT max(x.occurred_at) FROM app.error_events x WHERE x.organization_id = e.organization_id AND x.error_hash = e.error_hash),
           v_alias.grouping_version
      FROM app.error_events e
     WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_alias.hash
     ORDER BY e.occurred_at, e.received_at LIMIT 1
    ON CONFLICT (organization_id, error_hash) DO UPDATE  -- (its own group, should one have formed meanwhile)
       SET occurrence_count = s.occurrence_count + excluded.occurrence_count
    RETURNING * INTO v_new;
    PERFORM app.error_messages_add(ARRAY[v_new.id]);
    UPDATE app.error_event_ids x SET error_hash = v_alias.hash
     WHERE x.organization_id = v_group.organization_id AND x.event_id = ANY (v_event_ids);
    PERFORM app._error_counts_move(v_group.organization_id, v_group.error_hash, v_alias.hash, v_received);
    PERFORM app.error_stats_groups_moved(v_group.organization_id, ARRAY[v_group.error_hash, v_alias.hash]);
    INSERT INTO app.error_group_users (organization_id, error_hash, user_id)  -- the users the fold has seen of them
    SELECT DISTINCT v_group.organization_id, v_alias.hash, u.user_id
      FROM unnest(v_received, v_users) AS u (received_at, user_id)
     WHERE u.user_id IS NOT NULL AND u.received_at < (SELECT r.folded_until FROM app.error_rollup r)
    ON CONFLICT DO NOTHING;
    PERFORM app._error_group_users_recount(v_group.organization_id, v_alias.hash, v_new.id);
    -- where the moved events were seen (db/schema/376_releases.sql); the group keeps its own rows
    INSERT INTO app.error_group_releases (organization_id, error_hash, project_id, environment, release, first_seen_at)
    SELECT e.organization_id, e.error_hash, e.project_id, e.environment, e.release, min(e.occurred_at)
      FROM app.error_events e WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_alias.hash
     GROUP BY e.organization_id, e.error_hash, e.project_id, e.environment, e.release
    ON CONFLICT DO NOTHING;
    UPDATE app.system_errors s SET occurrence_count = greatest(s.occurrence_count - v_moved, 0), updated_at = now()
     WHERE s.id = p_error_id;
  END IF;
  INSERT INTO app.error_status_history (error_id, organization_id, from_status, to_status, note, changed_by)
  VALUES (p_error_id, v_group.organization_id, v_group.status, v_group.status,
          format('unmerged hash %s (%s events)', v_alias.hash, v_moved),
          (SELECT u.id FROM app.users u WHERE u.id = app.current_user_id()));
  RETURN jsonb_build_object('id', p_error_id, 'hash', v_alias.hash, 'events_moved', v_moved, 'new_error_id', v_new.id);
END $$;
COMMENT ON FUNCTION app.error_group_unmerge(uuid, text) IS
'Stop a hash from pointing at an error group: its next events form their own group, and the group''s events that
came with it move into that group now (new_error_id; none when no such event is kept). QSG02 when the hash does
not point at the group, QN001 for a group the caller cannot change';
GRANT EXECUTE ON FUNCTION app.error_group_unmerge(uuid, text) TO staff, org_owner, system_admin;

-- == Why ==

-- Why a group's events group there (for whoever may change the group: app._error_groups_writable): its latest event's components under the current rules (what
-- capture hashed, fingerprint included), the hash they give and whether it is the event's own
-- (an event grouped by older rules or another fingerprint rule gives another), where its
-- fingerprint came from, and the other hashes that point at the group. Texts as stored: personal
-- data reads <email> and <ip> (as grouping saw it: app.normalize_message's placeholders).
CREATE OR REPLACE FUNCTION app.error_grouping_explain(p_error_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
DECLARE
  v_group app.system_errors;
  v_event app.error_events;
  v_frames jsonb;
  v_message text;
  v_template text;
  v_fingerprint text[];
  v_chain text;
  v_frame_components text;
  v_components jsonb;
  v_hash text;
BEGIN
  SELECT * INTO v_group FROM app.system_errors s WHERE s.id = p_error_id;
  IF NOT FOUND OR NOT app._error_groups_writable(v_group.organization_id) THEN
    PERFORM app._error_group_not_found(p_error_id);
  END IF;
  SELECT * INTO v_event FROM app.error_events e
   WHERE e.organization_id = v_group.organization_id AND e.error_hash = v_group.error_hash
   ORDER BY e.received_at DESC LIMIT 1;
  IF FOUND THEN
    v_frames := coalesce(v_event.frames, app.parse_stack_trace(v_event.stack_trace));
    v_message := app.personal_data_grouping_text(v_event.message);
    v_template := app.personal_data_grouping_text(v_event.message_template);
    v_fingerprint := ARRAY(SELECT app.personal_data_grouping_text(f.part)
                             FROM unnest(v_event.fingerprint) WITH ORDINALITY AS f (part, n) ORDER BY f.n);
    v_chain := app.grouping_chain(v_event.exceptions, v_frames, v_message, v_template);
    v_frame_components := app.grouping_frame_components(v_frames);
    v_components := app.error_hash_components(v_event.error_type, v_message, v_frame_components, v_fingerprint, v_template,
                                              v_event.exceptions, v_chain);
    v_hash := app.error_hash(v_event.error_type, v_message, v_frame_components, v_fingerprint, v_template,
                             v_event.exceptions, v_chain);
  END IF;
  RETURN jsonb_build_object(
    'id', v_group.id, 'error_hash', v_group.error_hash, 'grouping_version', v_group.grouping_version,
    'current_grouping_version', app.grouping_version(),
    'event', CASE WHEN v_event.event_id IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
      'event_id', v_event.event_id, 'received_at', v_event.received_at,
      'own_hash', coalesce(v_event.grouping_hash, v_event.error_hash),
      'joined_by', CASE WHEN v_event.grouping_hash IS NOT NULL
                        THEN (SELECT h.reason FROM app.error_group_hashes h
                               WHERE h.organization_id = v_group.organization_id AND h.hash = v_event.grouping_hash) END,
      'components', v_components, 'hash', v_hash,
      'hash_is_own', v_hash = coalesce(v_event.grouping_hash, v_event.error_hash),
      'hashed_by_previous_rules', CASE WHEN v_hash <> coalesce(v_event.grouping_hash, v_event.error_hash)
        THEN app.error_hash_v1(v_event.error_type, v_message, app.grouping_frame_components_v1(v_frames), v_fingerprint, v_template)
             = coalesce(v_event.grouping_hash, v_event.error_hash) END,
      'variant', CASE WHEN cardinality(v_fingerprint) > 0 AND NOT EXISTS (SELECT FROM unnest(v_fingerprint) AS f (part)
                                                                      WHERE f.part ~ '^\s*\{\{\s*default\s*\}\}\s*$')
                           THEN 'fingerprint'
                      WHEN v_chain IS NOT NULL THEN 'exception chain'
                      WHEN v_frame_components = '' THEN 'message'
                      WHEN app.grouping_frames(v_frames, true) <> '' THEN 'in-app frames'
                      ELSE 'all frames (none in app)' END,
      'fingerprint', to_jsonb(v_event.fingerprint),
      'fingerprint_rule', v_event.metadata -> '_fingerprint_rule')) END,
    'other_hashes', (SELECT coalesce(jsonb_agg(jsonb_build_object('hash', h.hash, 'reason', h.reason,
                                                                  'grouping_version', h.grouping_version,
                                                                  'created_at', h.created_at) ORDER BY h.created_at, h.hash), '[]')
                       FROM app.error_group_hashes h
                      WHERE h.organization_id = v_group.organization_id AND h.error_hash = v_group.error_hash));
END $$;
COMMENT ON FUNCTION app.error_grouping_explain(uuid) IS
'Why an error group''s events group there: its latest event''s grouping components and hash under the current
rules (and whether that is the hash it was grouped by), the variant (in-app frames, all frames, message, exception
chain, fingerprint), its fingerprint and the rule that set it, and the other hashes pointing at the group';
GRANT EXECUTE ON FUNCTION app.error_grouping_explain(uuid) TO staff, org_owner, system_admin;
