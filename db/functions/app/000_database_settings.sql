-- Settings of the pgwarden database itself, for every session in it (PostgREST's, the workers',
-- pg_cron's); re-applied with the code layer at every deploy.
--
-- JIT off: our queries are short, and compiling them with LLVM costs more than it saves. The
-- status page refresh that pg_cron runs every minute took 93 ms a run with JIT (compiled every
-- time) and 12 ms without.
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END $$;

-- == Durability of ingest (PGWARDEN_INGEST_SYNC) ==

-- The synchronous_commit every capture transaction runs with, from the database setting
-- pgwarden.ingest_sync that the stack applies at start (app.set_ingest_sync). 'off' unless it is
-- 'on': an accepted error is acknowledged before its commit reaches the disk, so an immediate
-- PostgreSQL crash can lose the last ~200 ms of acknowledged events (wal_writer_delay; never
-- corrupting anything), and a hot group's row lock is not held through an fsync, which would cap
-- one error's rate at one commit per fsync. 'on' waits for the disk. Read on every capture: an
-- inlined expression over the session's settings, no query.
CREATE OR REPLACE FUNCTION app.ingest_sync() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE pg_catalog.current_setting('pgwarden.ingest_sync', true) WHEN 'on' THEN 'on' ELSE 'off' END
$$;
COMMENT ON FUNCTION app.ingest_sync() IS
  'synchronous_commit for capture transactions: on, or off (the default: ~200 ms of acknowledged events at risk on a PostgreSQL crash)';

-- Sets pgwarden.ingest_sync for every new session of this database (NULL: the default, off).
-- Returns whether that changes what this session's captures ran with: sessions opened before keep
-- the old value, so the stack restarts its processes when it does.
CREATE OR REPLACE FUNCTION app.set_ingest_sync(p_sync text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog AS $$
DECLARE
  v_sync text := lower(btrim(p_sync));
BEGIN
  IF v_sync IS NULL OR v_sync = '' THEN
    EXECUTE format('ALTER DATABASE %I RESET pgwarden.ingest_sync', current_database());
    RETURN app.ingest_sync() <> 'off';
  END IF;
  IF v_sync NOT IN ('on', 'off') THEN
    RAISE EXCEPTION 'ingest sync must be on or off, not %', p_sync USING ERRCODE = 'QV001',
      DETAIL = 'Field: PGWARDEN_INGEST_SYNC.',
      HINT = 'Use on (every acknowledged event is on disk) or off (faster; ~200 ms at risk on a crash).';
  END IF;
  EXECUTE format('ALTER DATABASE %I SET pgwarden.ingest_sync = %L', current_database(), v_sync);
  RETURN app.ingest_sync() <> v_sync;
END $$;
COMMENT ON FUNCTION app.set_ingest_sync(text) IS
  'Set on or off (NULL: the default, off) for new sessions of this database; true when it differs from this session''s';
