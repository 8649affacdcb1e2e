-- Catalog-wide rules every feature must keep (conventions R1, R6, R8).
BEGIN;
SELECT plan(7);

SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace = 'api'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL$$,
  'every api function has a COMMENT (it becomes the OpenAPI summary)');

SELECT is_empty($$
  SELECT c.relname::text FROM pg_class c
   WHERE c.relnamespace = 'api'::regnamespace AND c.relkind IN ('v', 'm')
     AND obj_description(c.oid, 'pg_class') IS NULL$$,
  'every api view has a COMMENT');

SELECT is_empty($$
  SELECT c.relname::text FROM pg_class c
   WHERE c.relnamespace = 'api'::regnamespace AND c.relkind NOT IN ('v')$$,
  'api holds only views and functions: no tables, sequences or materialized data');

SELECT is_empty($$
  SELECT c.relname::text FROM pg_class c
   WHERE c.relnamespace = 'api'::regnamespace AND c.relkind = 'v'
     AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false)$$,
  'every api view runs with the caller''s rights (security_invoker), so RLS applies');

SELECT is_empty($$
  SELECT c.relname::text FROM pg_class c
   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
   WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity$$,
  'every app table holding tenant data (organization_id) has row-level security on');

SELECT is_empty($$
  SELECT p.tablename || '.' || p.policyname FROM pg_policies p
   WHERE p.schemaname = 'app'
     AND (p.qual ~ '(?<!SELECT )app\.(current_org_id|current_user_id|jwt_claim)\('
          OR p.with_check ~ '(?<!SELECT )app\.(current_org_id|current_user_id|jwt_claim)\(')$$,
  'policies read the request''s identity through a scalar subquery (an initplan, once per statement), never per row');

SELECT is_empty($$
  SELECT p.oid::regprocedure::text || ': ' || r.message
    FROM pg_proc p
    JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
    CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid,
      relid => CASE WHEN p.prorettype = 'trigger'::regtype
                    THEN (SELECT t.tgrelid FROM pg_trigger t WHERE t.tgfoid = p.oid LIMIT 1) ELSE 0 END) r
   WHERE p.pronamespace IN ('app'::regnamespace, 'api'::regnamespace)
     AND r.level IN ('error', 'warning')
     AND (p.prorettype <> 'trigger'::regtype OR EXISTS (SELECT FROM pg_trigger t WHERE t.tgfoid = p.oid))$$,
  'plpgsql_check finds no error or warning in any app or api PL/pgSQL function');

SELECT * FROM finish();
ROLLBACK;
