-- The reporting schema and its login (db/schema/800_reporting.sql, db/functions/reporting/):
-- pgwarden_reader reads every organization through reporting and nothing else; nobody else reads
-- reporting.
BEGIN;
SELECT * FROM no_plan();

SELECT is_empty($$
  SELECT c.relname::text FROM pg_class c
   WHERE c.relnamespace = 'reporting'::regnamespace AND c.relkind <> 'v'$$,
  'reporting holds only views (and functions): no data of its own');

SELECT is_empty($$
  SELECT c.relname::text FROM pg_class c
   WHERE c.relnamespace = 'reporting'::regnamespace AND obj_description(c.oid, 'pg_class') IS NULL$$,
  'every reporting view has a COMMENT');

SELECT is_empty($$
  SELECT c.relname || ': ' || g.rolname
    FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) x JOIN pg_roles g ON g.oid = x.grantee
   WHERE c.relnamespace = 'reporting'::regnamespace AND g.oid NOT IN ('pgwarden_reader'::regrole, c.relowner)
   UNION ALL
  SELECT p.proname || ': ' || coalesce(g.rolname, 'PUBLIC')
    FROM pg_proc p CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
    LEFT JOIN pg_roles g ON g.oid = x.grantee
   WHERE p.pronamespace = 'reporting'::regnamespace AND x.grantee NOT IN ('pgwarden_reader'::regrole, p.proowner)
   UNION ALL
  SELECT c.relname::text FROM pg_class c
   WHERE c.relnamespace = 'reporting'::regnamespace AND NOT has_table_privilege('pgwarden_reader', c.oid, 'SELECT')$$,
  'pgwarden_reader, and no other role, may read every reporting view and call its functions');

SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c
   WHERE c.relnamespace IN ('app'::regnamespace, 'api'::regnamespace)
     AND has_table_privilege('pgwarden_reader', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
   UNION ALL
  SELECT p.oid::regprocedure::text FROM pg_proc p
   WHERE p.pronamespace IN ('app'::regnamespace, 'api'::regnamespace) AND has_function_privilege('pgwarden_reader', p.oid, 'EXECUTE')
   UNION ALL
  SELECT n.nspname::text FROM pg_namespace n
   WHERE n.nspname IN ('app', 'api') AND has_schema_privilege('pgwarden_reader', n.oid, 'USAGE')$$,
  'pgwarden_reader holds no privilege on app or api');

-- two organizations' data, read as pgwarden_reader: both are there (an operator's view)
INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'Acme'), ('00000000-0000-0000-0000-0000000000b2', 'Globex');
INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count) VALUES
  ('00000000-0000-0000-0000-0000000000a1', date_trunc('minute', now()), 'h1', 3),
  ('00000000-0000-0000-0000-0000000000a1', date_trunc('minute', now()), 'h2', 1),
  ('00000000-0000-0000-0000-0000000000b2', date_trunc('minute', now()), 'h1', 5);
SET LOCAL ROLE pgwarden_reader;

SELECT lives_ok(format('SELECT * FROM reporting.%I LIMIT 1', c.relname), 'pgwarden_reader reads reporting.' || c.relname)
  FROM pg_class c WHERE c.relnamespace = 'reporting'::regnamespace ORDER BY c.relname;

SELECT set_eq($$SELECT organization_id::text, events, groups FROM reporting.errors_per_hour$$,
  $$VALUES ('00000000-0000-0000-0000-0000000000a1', 4::bigint, 2::bigint),
           ('00000000-0000-0000-0000-0000000000b2', 5, 1)$$,
  'pgwarden_reader sees every organization''s errors, summed per hour');

SELECT throws_ok($$SELECT count(*) FROM app.error_metrics$$, '42501', NULL,
  'pgwarden_reader cannot read the tables behind the views');

SELECT ok((SELECT r.rolconfig @> ARRAY['default_transaction_read_only=on', 'statement_timeout=30s']
              FROM pg_roles r WHERE r.rolname = 'pgwarden_reader'),
  'pgwarden_reader''s sessions are read-only, and its statements end after 30 s');

SELECT * FROM finish();
ROLLBACK;
