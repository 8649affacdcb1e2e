-- Keeps the spec's updated_at columns honest on every UPDATE.

CREATE OR REPLACE FUNCTION app.tg_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- (not called when the UPDATE sets updated_at itself, as counting an event into its group does:
-- the call costs more than the one-row update of a group)
CREATE OR REPLACE TRIGGER _100_set_updated_at BEFORE UPDATE ON app.system_errors
  FOR EACH ROW WHEN (NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) EXECUTE FUNCTION app.tg_set_updated_at();
CREATE OR REPLACE TRIGGER _100_set_updated_at BEFORE UPDATE ON app.user_error_reports
  FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
