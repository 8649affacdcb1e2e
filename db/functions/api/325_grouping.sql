-- Grouping for people: why an error grouped, merging and unmerging groups, fingerprint rules
-- (db/functions/app/325_grouping_*.sql). Codes other than 400 become their HTTP status.

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.explain_error_grouping(error_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.error_grouping_explain(app.uuid_of(explain_error_grouping.error_id, 'error_id'));
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.explain_error_grouping(text) IS $$Why an error's events group together

For the group's latest event: the grouping components that produced its hash, in order (type, exception
classes of the chain, the frames that counted as module or file + function, the message as grouping reads it,
the fingerprint), the variant (in-app frames, all frames, message, exception chain, fingerprint), whether the
hash is the event's own under the current grouping rules, and the fingerprint rule that set its fingerprint.
Also the other hashes that point at the group (merges, grouping upgrades) and the group's grouping rules
version. 404 for an error you cannot see.

Parameters:
- error_id: the error group (UUID)

Errors: QV001 400 (error_id is not a UUID, named in details), QN001 404 (error not found or not yours).

Example: curl -X POST "$API/rpc/explain_error_grouping" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"error_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.explain_error_grouping(text) TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.merge_errors(target_id text, source_ids text[], note text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.error_groups_merge(app.uuid_of(merge_errors.target_id, 'target_id'),
                                app.uuids_of(merge_errors.source_ids, 'source_ids'), merge_errors.note);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.merge_errors(text, text[], text) IS $$Merge error groups into one

The source groups' events, occurrence counts and per-minute counts move to the target group, their customer
reports link to it, and their hashes point at it from now on: their next events join the target. The sources
are deleted; the target's status history notes the merge. 400 (QVG02) without sources or with the target among
them, 409 (QSG01) across organizations, 404 for a group you cannot see.

Parameters:
- target_id: the group that absorbs the others (UUID)
- source_ids: the groups merged into it (array of UUIDs, target not among them)
- note: optional note kept in the status history (text)

Errors: QV001 400 (target_id or a source id is not a UUID, named in details), QVG02 400 (no source, or the target among them), QN001 404 (a group not found), QSG01 409 (groups of different organizations).

Example: curl -X POST "$API/rpc/merge_errors" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"target_id": "uuid", "source_ids": ["uuid2"]}'$$;
GRANT EXECUTE ON FUNCTION api.merge_errors(text, text[], text) TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.unmerge_error_hash(error_id text, hash text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.error_group_unmerge(app.uuid_of(unmerge_error_hash.error_id, 'error_id'), unmerge_error_hash.hash);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.unmerge_error_hash(text, text) IS $$Take a merged hash out of an error group

The hash (one of other_hashes in explain_error_grouping) stops pointing at the group: its next events form a
group of their own, and the group's events that came with that hash move into that group now (new_error_id).
409 (QSG02) when the hash does not point at the group, 404 for a group you cannot see.

Parameters:
- error_id: the group holding the merged hash (UUID)
- hash: the merged error hash to split out again (text)

Errors: QV001 400 (error_id is not a UUID, named in details), QN001 404 (error not found), QSG02 409 (the hash is not merged into this group).

Example: curl -X POST "$API/rpc/unmerge_error_hash" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"error_id": "uuid", "hash": "3f2a..."}'$$;
GRANT EXECUTE ON FUNCTION api.unmerge_error_hash(text, text) TO staff, org_owner, system_admin;

CREATE FUNCTION api.add_fingerprint_rule(project_id bigint, rule text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.fingerprint_rule_add(add_fingerprint_rule.project_id, add_fingerprint_rule.rule);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.add_fingerprint_rule(bigint, text) IS $$Add a fingerprint rule to a project

Sentry's syntax, a subset: `matcher:glob [matcher:glob ...] -> value, value`. Matchers: error.type, error.value,
message, stack.function, stack.module, stack.abs_path (short: type, value, function, module, path), level,
logger; `!` negates; globs are bare or "quoted", `*` any run (one path segment for stack.abs_path, `**` any),
`?` one character, case ignored; each matcher holds when any exception of the chain or any frame matches.
Values: text, or {{ default }}, {{ error.type }}, {{ error.value }}, {{ message }}, {{ stack.function }},
{{ stack.module }}, {{ level }}, {{ logger }}, {{ transaction }}. The project's first matching rule (in the order
added) sets the fingerprint of its next events, in place of the client's. Example:
`error.type:ConnectionError stack.module:"app.db*" -> database-down`. 400 (QVG01) when it does not parse or
the project has 50 rules, 404 for a project you cannot see.

Parameters:
- project_id: the project the rule applies to (integer)
- rule: the rule text, "matcher:glob ... -> value, ..." (text; syntax above)

Errors: QVG01 400 (rule not understood, or the project has 50 rules), QN001 404 (project not found).

Example: curl -X POST "$API/rpc/add_fingerprint_rule" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"project_id": 1, "rule": "error.type:TimeoutError -> timeouts"}'$$;
GRANT EXECUTE ON FUNCTION api.add_fingerprint_rule(bigint, text) TO staff, org_owner, system_admin;

CREATE FUNCTION api.delete_fingerprint_rule(rule_id bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.fingerprint_rule_delete(delete_fingerprint_rule.rule_id);
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
END $$;
COMMENT ON FUNCTION api.delete_fingerprint_rule(bigint) IS $$Delete a fingerprint rule

Its project's next events are fingerprinted without it. 404 for a rule you cannot see.

Parameters:
- rule_id: the rule to delete (integer)

Errors: QN001 404 (rule not found).

Example: curl -X POST "$API/rpc/delete_fingerprint_rule" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"rule_id": 3}'$$;
GRANT EXECUTE ON FUNCTION api.delete_fingerprint_rule(bigint) TO staff, org_owner, system_admin;

CREATE VIEW api.fingerprint_rules WITH (security_invoker = true) AS
  SELECT r.id, r.organization_id, r.project_id, r.position, r.rule, r.matchers, r.fingerprint, r.created_at, r.created_by
    FROM app.fingerprint_rules r;
COMMENT ON VIEW api.fingerprint_rules IS
  'Fingerprint rules per project, in the order they are tried (position); add and delete them with the rpc functions';
GRANT SELECT ON api.fingerprint_rules TO staff, org_owner, system_admin;

CREATE VIEW api.error_group_hashes WITH (security_invoker = true) AS
  SELECT h.organization_id, h.hash, h.error_hash, h.reason, h.grouping_version, h.created_at
    FROM app.error_group_hashes h;
COMMENT ON VIEW api.error_group_hashes IS
  'Hashes whose events join another error group (error_hash): merged groups, and hashes of newer grouping rules';
GRANT SELECT ON api.error_group_hashes TO staff, org_owner, system_admin;
