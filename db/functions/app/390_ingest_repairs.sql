-- Counting what ingest repaired (db/schema/390_ingest_repairs.sql). Callers pass only the items
-- that were repaired, so clean traffic never reaches this function.

-- p_items: [{"organization_id": …, "source": "sentry:event", "repairs": {"unstorable_characters": 2}}, …]
CREATE OR REPLACE FUNCTION app.ingest_repairs_record(p_items jsonb) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  INSERT INTO app.ingest_repairs AS r (organization_id, hour, source, repair, items, occurrences)
  SELECT (i.value ->> 'organization_id')::uuid, date_trunc('hour', now()), left(i.value ->> 'source', 64), k.key,
         count(*), sum((k.value #>> '{}')::bigint)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p_items) = 'array' THEN p_items ELSE '[]' END) i
   CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(i.value -> 'repairs') = 'object' THEN i.value -> 'repairs' ELSE '{}' END) k
   WHERE k.key IN ('unstorable_characters', 'non_finite_numbers') AND jsonb_typeof(k.value) = 'number'
     AND i.value ->> 'organization_id' IS NOT NULL
   GROUP BY 1, 2, 3, 4
  ON CONFLICT (organization_id, hour, source, repair)
  DO UPDATE SET items = r.items + excluded.items, occurrences = r.occurrences + excluded.occurrences
$$;
COMMENT ON FUNCTION app.ingest_repairs_record(jsonb) IS
  'Count repaired items ([{organization_id, source, repairs}]) in app.ingest_repairs for the current hour';

-- A capture item with its repairs marked in metadata._repaired (where the stored event shows them).
CREATE OR REPLACE FUNCTION app.capture_mark_repaired(p_capture jsonb, p_repairs jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN p_repairs IS NULL OR jsonb_typeof(p_capture) IS DISTINCT FROM 'object' THEN p_capture
    WHEN p_capture -> 'metadata' IS NULL OR p_capture -> 'metadata' = 'null' THEN
      p_capture || jsonb_build_object('metadata', jsonb_build_object('_repaired', p_repairs))
    WHEN jsonb_typeof(p_capture -> 'metadata') = 'object' THEN
      jsonb_set(p_capture, '{metadata,_repaired}', p_repairs)
    ELSE p_capture  -- metadata of the wrong type: validation refuses the event anyway
  END
$$;
COMMENT ON FUNCTION app.capture_mark_repaired(jsonb, jsonb) IS
  'A capture item with metadata._repaired set to what was repaired in it (unchanged when nothing was)';

GRANT EXECUTE ON FUNCTION app.capture_mark_repaired(jsonb, jsonb) TO anon, staff, org_owner, system_admin;
