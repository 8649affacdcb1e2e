-- History for the tools people already use (Grafana, Metabase, psql): the read-only schema
-- `reporting` (views, rebuilt by db/functions/reporting/800_reporting.sql on every deploy) and the
-- login that reads it. pgwarden_reader sees every organization, as an operator does: its views run
-- with their owner's rights, so row-level security does not narrow them, and it holds no privilege
-- on app or api (tests/sql/_lint/030_reporting_reader.test.sql). A tenant's own numbers go through
-- PostgREST with that tenant's token instead.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgwarden_reader') THEN
    CREATE ROLE pgwarden_reader LOGIN;  -- Grafana's (or any SQL client's) login; password set by the stack
  END IF;
END $$;

-- A dashboard query is a read of at most a few seconds; a runaway one must not hold a backend (or,
-- on a replica, delay replay) for long, and a client cannot write by mistake.
ALTER ROLE pgwarden_reader SET statement_timeout = '30s';
ALTER ROLE pgwarden_reader SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE pgwarden_reader SET default_transaction_read_only = on;
