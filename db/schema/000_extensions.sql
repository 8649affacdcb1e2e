-- Extensions every pgwarden database needs.
CREATE EXTENSION IF NOT EXISTS pgcrypto;   -- gen_random_bytes() for project keys
CREATE EXTENSION IF NOT EXISTS pg_trgm;    -- similarity search over error messages

-- pg_cron can only be created in the database named by cron.database_name; test clones and
-- external databases without it still get everything else (schedules are then skipped).
DO $$
BEGIN
  IF current_setting('cron.database_name', true) = current_database() THEN
    CREATE EXTENSION IF NOT EXISTS pg_cron;
  END IF;
END $$;
