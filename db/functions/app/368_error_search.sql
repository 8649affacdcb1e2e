-- Message search (db/schema/368_error_search.sql): the messages of new groups, written once. A
-- group already there (an unmerge racing a capture) keeps its row.
CREATE OR REPLACE FUNCTION app.error_messages_add(p_error_ids uuid[]) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
  INSERT INTO app.error_messages (error_id, organization_id, message)
  SELECT s.id, s.organization_id, s.message FROM app.system_errors s
   WHERE s.id = ANY (p_error_ids)
   ORDER BY s.id
  ON CONFLICT (error_id) DO NOTHING
$$;
COMMENT ON FUNCTION app.error_messages_add(uuid[]) IS 'Write the searchable messages of new error groups';
GRANT EXECUTE ON FUNCTION app.error_messages_add(uuid[]) TO anon, staff, org_owner, system_admin, pgwarden_web;

-- The groups whose message contains p_text (case-insensitive), as the caller may see them.
CREATE OR REPLACE FUNCTION app.error_ids_matching(p_text text) RETURNS SETOF uuid
LANGUAGE sql STABLE AS $$
  SELECT m.error_id FROM app.error_messages m WHERE m.message ILIKE '%' || p_text || '%'
$$;
COMMENT ON FUNCTION app.error_ids_matching(text) IS
  'Ids of the error groups whose message contains the text (trigram index of app.error_messages)';
GRANT EXECUTE ON FUNCTION app.error_ids_matching(text) TO staff, org_owner, system_admin;
