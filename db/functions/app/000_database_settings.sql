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
