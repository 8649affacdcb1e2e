-- Every api function documents itself in its COMMENT, which PostgREST publishes in its OpenAPI
-- document: the first line is the summary, the rest the description. The description names each
-- parameter on a line of its own ("name: meaning"), the error codes it can answer and one example.
BEGIN;
SELECT plan(4);

CREATE TEMP VIEW api_function_docs AS
  SELECT p.oid::regprocedure::text AS signature, coalesce(obj_description(p.oid, 'pg_proc'), '') AS doc,
         p.proargnames, p.proargmodes
    FROM pg_proc p
   WHERE p.pronamespace = 'api'::regnamespace;

SELECT is_empty($$
  SELECT signature FROM api_function_docs
   WHERE split_part(doc, E'\n', 1) !~ '\S' OR length(split_part(doc, E'\n', 1)) > 120
      OR split_part(doc, E'\n', 2) <> ''$$,
  'every api function comment starts with a summary line (at most 120 characters) and a blank line');

SELECT is_empty($$
  SELECT d.signature || ': ' || a.name FROM api_function_docs d
   CROSS JOIN LATERAL unnest(d.proargnames, d.proargmodes) AS a(name, mode)  -- modes NULL: all are inputs
   WHERE coalesce(a.mode, 'i') IN ('i', 'b', 'v') AND a.name <> ''
     AND d.doc !~ ('(^|\n)\s*(- )?' || a.name || ':')$$,
  'every named parameter of an api function has a line "name: meaning" in its comment');

SELECT is_empty($$
  SELECT signature FROM api_function_docs WHERE doc !~ '(^|\n)Errors:'$$,
  'every api function comment lists the error codes it can answer (a line starting "Errors:")');

SELECT is_empty($$
  SELECT signature FROM api_function_docs WHERE doc !~ '(^|\n)Example:'$$,
  'every api function comment shows one example call (a line starting "Example:")');

SELECT * FROM finish();
ROLLBACK;
