-- pg_cron schedules. A cron command is always one call to an app.* function, so the logic is
-- versioned and tested like any other function. Scheduling by name updates a job in place.

CREATE OR REPLACE FUNCTION app.cron_ensure(p_name text, p_schedule text, p_command text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_cron_schema text := to_regnamespace('cron')::text;
BEGIN
  IF v_cron_schema IS NULL THEN
    RETURN;  -- no pg_cron in this database (test clones, external databases without it)
  END IF;
  -- dynamic, so databases without pg_cron still compile (and lint) this function
  EXECUTE format('SELECT %s.schedule($1, $2, $3)', v_cron_schema) USING p_name, p_schedule, p_command;
END $$;
COMMENT ON FUNCTION app.cron_ensure(text, text, text) IS 'Create or update a named pg_cron job when pg_cron is installed here';
