-- AI analysis: a finished ai.analyze job (succeeded with the provider's answer, or dead after its
-- retries) is recorded on its analysis run in the same transaction that moves it to
-- app.job_history (app.job_complete_all, app.job_fail): db/functions/app/465_ai_runs.sql.

CREATE OR REPLACE FUNCTION app.tg_job_history__ai_outcome() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.ai_record_job(NEW);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_job_history__ai_outcome() IS 'Record a finished ai.analyze job on its analysis run';

CREATE OR REPLACE TRIGGER _500_ai_outcome AFTER INSERT ON app.job_history
  FOR EACH ROW WHEN (NEW.kind = 'ai.analyze') EXECUTE FUNCTION app.tg_job_history__ai_outcome();
