-- Related errors: pg_trgm similarity between short documents of error groups (type, normalized
-- message, newest in-app frames), within one organization. The document of a new group is written
-- by capture (db/triggers/350_events.sql, new groups only: ~0.1 ms each); groups from before this
-- feature get theirs from app.error_similarity_fill on pg_cron. Nearest first among a bounded
-- number of candidates from two btree indexes (db/schema/450_ai.sql): about a millisecond at 20,000
-- groups alike (bench/ai.py).

-- == Documents ==

-- The newest three frames of the default grouping (in-app ones, else all) as "function file".
CREATE OR REPLACE FUNCTION app.error_similarity_document(p_error_type app.error_type_enum, p_message text,
                                                         p_stack_trace text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_components text;
  v_frames text;
BEGIN
  IF p_stack_trace IS NOT NULL THEN
    -- a stack trace is cut to 64 KB at capture; its newest frames are at the start for V8 and Sentry's
    -- rendering, at the end for Python
    v_components := app.grouping_frame_components(app.parse_stack_trace(
      CASE WHEN length(p_stack_trace) <= 20000 THEN p_stack_trace ELSE left(p_stack_trace, 10000) || right(p_stack_trace, 10000) END));
    IF v_components <> '' THEN
      SELECT string_agg(concat_ws(' ', f.frame ->> 2, regexp_replace(f.frame ->> 1, '^.*[/\\]', '')), ' ' ORDER BY f.n DESC)
        INTO v_frames
        FROM (SELECT x.frame, x.n, count(*) OVER () AS frames
                FROM jsonb_array_elements(('[' || v_components || ']')::jsonb) WITH ORDINALITY AS x (frame, n)) AS f
       WHERE f.n > f.frames - 3;
    END IF;
  END IF;
  RETURN left(concat_ws(' ', p_error_type::text, left(app.normalize_message(left(p_message, 2000)), 300), v_frames), 500);
END $$;
COMMENT ON FUNCTION app.error_similarity_document(app.error_type_enum, text, text) IS
  'What a group is compared on: error type, normalized message (300 characters), newest three in-app frames (function file)';

-- New groups of a capture statement (its outcomes, app.tg_error_events__aggregate).
CREATE OR REPLACE FUNCTION app.error_similarity_add(p_outcomes jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
  INSERT INTO app.error_similarity (error_id, organization_id, document)
  SELECT s.id, s.organization_id, app.error_similarity_document(s.error_type, s.message, s.stack_trace)
    FROM jsonb_to_recordset(p_outcomes) AS o (id uuid, is_new boolean)
    JOIN app.system_errors s ON s.id = o.id
   WHERE o.is_new
   ORDER BY s.id
  ON CONFLICT (error_id) DO NOTHING;
END $$;
COMMENT ON FUNCTION app.error_similarity_add(jsonb) IS 'Write the similarity documents of the new groups among a capture''s outcomes';
GRANT EXECUTE ON FUNCTION app.error_similarity_add(jsonb) TO anon, staff, org_owner, system_admin, pgwarden_web;

-- Groups without a document (from before this feature), a bounded number per call (pg_cron).
CREATE OR REPLACE FUNCTION app.error_similarity_fill(p_limit integer DEFAULT 5000) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_added integer;
BEGIN
  INSERT INTO app.error_similarity (error_id, organization_id, document)
  SELECT s.id, s.organization_id, app.error_similarity_document(s.error_type, s.message, s.stack_trace)
    FROM app.system_errors s
   WHERE NOT EXISTS (SELECT FROM app.error_similarity x WHERE x.error_id = s.id)
   LIMIT greatest(coalesce(p_limit, 5000), 1)
  ON CONFLICT (error_id) DO NOTHING;
  GET DIAGNOSTICS v_added = ROW_COUNT;
  RETURN v_added;
END $$;
COMMENT ON FUNCTION app.error_similarity_fill(integer) IS 'Write missing similarity documents (at most p_limit); returns how many';

-- == Nearest groups ==

-- A bounded candidate search, then exact scores. The candidates are the groups whose document
-- sorts next to this one's, twice: as written (same type and message first, then the nearest
-- frames) and reversed (same frames first, then the end of the message), p_limit * 2 (at least 10)
-- on each side of each: two btree indexes (db/schema/450_ai.sql), at most 4 * that many
-- similarity() calls, whatever the size of the organization. Their trigram similarity ranks them.
-- Near-duplicates (groups alike but for a name) share a long prefix or suffix, so they come out
-- as nearest-first search over a GiST trigram index would find them; that search could not stop
-- early among thousands of them (an inner page's signature bounds its entries' distance loosely)
-- and read 40% of the index at 20,000 similar groups, 20-30 ms a query.
-- Definer rights: row-level security would check every candidate. Callers check that the caller
-- may see p_error_id (api.related_errors does); the answer stays inside that error's organization.
CREATE OR REPLACE FUNCTION app.related_errors(p_error_id uuid, p_limit integer DEFAULT 5, p_min_score real DEFAULT 0.3)
RETURNS TABLE (id uuid, score real)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  v_limit integer := least(coalesce(p_limit, 0), 100);
  v_side integer;
  v_organization_id uuid;
  v_document text;
BEGIN
  SELECT s.organization_id, coalesce(x.document, app.error_similarity_document(s.error_type, s.message, s.stack_trace))
    INTO v_organization_id, v_document
    FROM app.system_errors s
    LEFT JOIN app.error_similarity x ON x.error_id = s.id
   WHERE s.id = p_error_id;
  IF NOT FOUND OR v_limit < 1 THEN
    RETURN;
  END IF;
  v_side := greatest(10, 2 * v_limit);
  RETURN QUERY
    SELECT n.error_id, n.score
      FROM (SELECT c.error_id, similarity(c.document, v_document) AS score
              FROM ((SELECT x.error_id, x.document FROM app.error_similarity x
                      WHERE x.organization_id = v_organization_id AND x.document COLLATE "C" < v_document
                      ORDER BY x.document COLLATE "C" DESC LIMIT v_side)
                    UNION
                    (SELECT x.error_id, x.document FROM app.error_similarity x
                      WHERE x.organization_id = v_organization_id AND x.document COLLATE "C" >= v_document
                        AND x.error_id <> p_error_id
                      ORDER BY x.document COLLATE "C" LIMIT v_side)
                    UNION
                    (SELECT x.error_id, x.document FROM app.error_similarity x
                      WHERE x.organization_id = v_organization_id AND reverse(x.document) COLLATE "C" < reverse(v_document)
                      ORDER BY reverse(x.document) COLLATE "C" DESC LIMIT v_side)
                    UNION
                    (SELECT x.error_id, x.document FROM app.error_similarity x
                      WHERE x.organization_id = v_organization_id AND reverse(x.document) COLLATE "C" >= reverse(v_document)
                        AND x.error_id <> p_error_id
                      ORDER BY reverse(x.document) COLLATE "C" LIMIT v_side)) AS c
             OFFSET 0) AS n  -- (one similarity() per candidate, not one more for the ORDER BY)
     WHERE n.score >= greatest(coalesce(p_min_score, 0.3), 0.3)
     ORDER BY n.score DESC, n.error_id
     LIMIT v_limit;
END $$;
COMMENT ON FUNCTION app.related_errors(uuid, integer, real) IS
  'The groups of the same organization most similar to an error (trigram similarity of their documents, from 0.3), nearest first, among the groups whose document sorts next to its own (as written and reversed)';
