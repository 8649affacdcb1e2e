-- Wake workers when jobs arrive: one NOTIFY per INSERT statement, however many rows, with the
-- number that are due now. It only wakes; workers claim through app.job_claim and poll as well.
-- Jobs due within the minute (an alert's group wait, a paced delivery) wake idle workers too
-- ({"count": 0}): they then sleep until the job is due rather than a whole poll interval.
-- Payloads are JSON ({"count": n}) on channel "jobs:insert"; within one transaction identical
-- payloads arrive once, which is all a wake-up needs.

-- plpgsql_check cannot see transition tables, so the trigger passes the table's name as its
-- argument and the count runs through EXECUTE.
CREATE OR REPLACE FUNCTION app.tg_job__notify_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_due bigint;
  v_soon bigint;
BEGIN
  EXECUTE format('SELECT count(*) FILTER (WHERE run_at <= now()), count(*) FILTER (WHERE run_at < now() + interval ''1 minute'')'
                 ' FROM %I', TG_ARGV[0]) INTO v_due, v_soon;
  IF v_soon > 0 THEN
    PERFORM pg_notify('jobs:insert', json_build_object('count', v_due)::text);
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_job__notify_insert() IS 'NOTIFY "jobs:insert" {"count": n} once per INSERT statement on app.job';

CREATE OR REPLACE TRIGGER _900_notify_insert AFTER INSERT ON app.job
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION app.tg_job__notify_insert('inserted');
