-- Health monitors: updated_at, and a state row for every new monitor.

CREATE OR REPLACE TRIGGER _100_set_updated_at BEFORE UPDATE ON app.health_monitors
  FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();

CREATE OR REPLACE FUNCTION app.tg_health_monitors__create_state() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app.health_monitor_state (monitor_id) VALUES (NEW.id) ON CONFLICT (monitor_id) DO NOTHING;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_health_monitors__create_state() IS 'Every monitor starts in state unknown';

CREATE OR REPLACE TRIGGER _500_create_state AFTER INSERT ON app.health_monitors
  FOR EACH ROW EXECUTE FUNCTION app.tg_health_monitors__create_state();

-- How a probe result reaches the state machine: the worker completes a health.probe job with
-- the handler's result, and app.job_complete_all moves the job into app.job_history in the same
-- transaction. A job that died (the handler crashed on every attempt) is an observation too:
-- the probe could not run, so the verdict is unknown.
CREATE OR REPLACE FUNCTION app.tg_job_history__health_probe_result() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NEW.state = 'succeeded' THEN
    PERFORM app.health_on_probe_result(NEW.result);
  ELSE
    PERFORM app.health_on_probe_result(jsonb_build_object(
      'monitor_id', NEW.payload -> 'monitor_id', 'scheduled_for', NEW.payload -> 'scheduled_for',
      'run_id', NEW.payload -> 'run_id', 'started_at', coalesce(NEW.claimed_at, NEW.finished_at),
      'observation', jsonb_build_object('probe_error', coalesce(NEW.last_error, 'the probe job died'))));
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_job_history__health_probe_result() IS 'Record a finished health.probe job''s result as an observation';

CREATE OR REPLACE TRIGGER _500_health_probe_result AFTER INSERT ON app.job_history
  FOR EACH ROW WHEN (NEW.kind = 'health.probe') EXECUTE FUNCTION app.tg_job_history__health_probe_result();
