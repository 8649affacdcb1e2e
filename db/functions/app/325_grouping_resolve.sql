-- Which group a captured event joins (tables in db/schema/325_grouping.sql): the group of its own
-- hash, unless that hash was merged into another group (error_group_hashes), or, while a grouping
-- upgrade is in transition, the previous rules' group of the event when its new hash finds none.
-- app.capture_batch and app.capture_one ask app.grouping_needs first: one probe, after which an
-- organization with no merged hashes and no transition pays nothing more.

CREATE OR REPLACE FUNCTION app.grouping_transition_version() RETURNS smallint
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN c.transition_until > now() THEN c.previous_version END FROM app.grouping_config c
$$;
COMMENT ON FUNCTION app.grouping_transition_version() IS
  'The previous grouping rules version while its transition lasts (events that find no group are hashed that way too), else NULL';

CREATE OR REPLACE FUNCTION app.grouping_version() RETURNS smallint
LANGUAGE sql STABLE AS $$
  SELECT c.version FROM app.grouping_config c
$$;
COMMENT ON FUNCTION app.grouping_version() IS 'The current grouping rules version (system_errors.grouping_version of new groups)';

-- Captures and the changes of an organization's hashes (merge, unmerge) take turns: a capture
-- holds this lock shared from before it reads error_group_hashes until it commits, a merge holds it
-- exclusively. Without it a capture that read the hashes before a merge committed (or that waited
-- for the merged group's row lock) would recreate the merged-away group. Taken before any row lock.
CREATE OR REPLACE FUNCTION app.grouping_lock(p_organization_id uuid, p_exclusive boolean) RETURNS void
LANGUAGE sql VOLATILE AS $$  -- (SQL: inlined into the capture's statement)
  SELECT CASE WHEN p_exclusive
              THEN pg_advisory_xact_lock(hashtext('pgwarden:grouping'), hashtext(p_organization_id::text))
              ELSE pg_advisory_xact_lock_shared(hashtext('pgwarden:grouping'), hashtext(p_organization_id::text)) END
$$;
COMMENT ON FUNCTION app.grouping_lock(uuid, boolean) IS
  'The lock by which captures (shared, till commit) and merges and unmerges (exclusive) of an organization take turns';

-- What a capture has to do besides hashing, in one statement: apply the project's fingerprint
-- rules (before hashing), resolve hashes (after). PL/pgSQL, so its plan is kept for the session (a
-- SQL function returning a record is planned at every call). It takes app.grouping_lock first;
-- VOLATILE so that its query reads what a merge it waited for committed.
CREATE OR REPLACE FUNCTION app.grouping_needs(p_organization_id uuid, p_project_id bigint,
                                              OUT fingerprint_rules boolean, OUT resolve boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM app.grouping_lock(p_organization_id, false);
  SELECT p_project_id IS NOT NULL AND EXISTS (SELECT FROM app.fingerprint_rules r
                                                  WHERE r.organization_id = p_organization_id AND r.project_id = p_project_id),
         EXISTS (SELECT FROM app.error_group_hashes h WHERE h.organization_id = p_organization_id)
         OR EXISTS (SELECT FROM app.grouping_config c WHERE c.transition_until > now())
    INTO fingerprint_rules, resolve;
END $$;
COMMENT ON FUNCTION app.grouping_needs(uuid, bigint) IS
  'Whether a capture for this organization and project applies fingerprint rules, and resolves hashes to other groups';

-- The events with error_hash set to the group they join and grouping_hash to their own hash when
-- that is another. Per distinct hash: a merged hash points at its group; a hash that finds no
-- group while a transition lasts is hashed by the previous rules (app.capture_item_hash_v1, of the
-- first event with it), and a previous-version group that hash finds (or the group it was merged
-- into) takes it: the new hash is remembered, so it needs no second hashing again.
CREATE OR REPLACE FUNCTION app.grouping_resolve(p_organization_id uuid, p_items app.capture_item[])
RETURNS app.capture_item[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_previous smallint := app.grouping_transition_version();
  v_targets jsonb;   -- {own hash: the group's hash}
  v_candidate app.capture_item;
  v_old text;
  v_target text;
BEGIN
  SELECT coalesce(jsonb_object_agg(h.hash, h.error_hash), '{}') INTO v_targets
    FROM app.error_group_hashes h
   WHERE h.organization_id = p_organization_id
     AND h.hash IN (SELECT DISTINCT i.error_hash FROM unnest(p_items) AS i);
  IF v_previous IS NOT NULL THEN
    FOR v_candidate IN
      SELECT DISTINCT ON (i.error_hash) i.*
        FROM unnest(p_items) AS i
       WHERE NOT v_targets ? i.error_hash
         AND NOT EXISTS (SELECT FROM app.system_errors s WHERE s.organization_id = p_organization_id AND s.error_hash = i.error_hash)
       ORDER BY i.error_hash, i.ordinal
    LOOP
      v_old := app.capture_item_hash_v1(v_candidate);
      CONTINUE WHEN v_old = v_candidate.error_hash;
      v_target := coalesce((SELECT h.error_hash FROM app.error_group_hashes h
                             WHERE h.organization_id = p_organization_id AND h.hash = v_old),
                           (SELECT s.error_hash FROM app.system_errors s
                             WHERE s.organization_id = p_organization_id AND s.error_hash = v_old
                               AND s.grouping_version <= v_previous));
      CONTINUE WHEN v_target IS NULL;
      INSERT INTO app.error_group_hashes (organization_id, hash, error_hash, reason, grouping_version)
      VALUES (p_organization_id, v_candidate.error_hash, v_target, 'grouping upgrade', app.grouping_version())
      ON CONFLICT DO NOTHING;
      v_targets := v_targets || jsonb_build_object(v_candidate.error_hash, v_target);
    END LOOP;
  END IF;
  IF v_targets = '{}' THEN
    RETURN p_items;
  END IF;
  RETURN ARRAY(SELECT CASE WHEN v_targets ? i.error_hash
                           THEN jsonb_populate_record(i, jsonb_build_object('error_hash', v_targets ->> i.error_hash,
                                                                            'grouping_hash', i.error_hash))
                           ELSE i END
                 FROM unnest(p_items) AS i ORDER BY i.ordinal);
END $$;
COMMENT ON FUNCTION app.grouping_resolve(uuid, app.capture_item[]) IS
'Captured events with error_hash set to the group they join (a merged hash''s group; while a grouping upgrade is
in transition, the previous version''s group of an event whose hash finds none) and grouping_hash to their own';
