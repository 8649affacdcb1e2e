-- The statistics count the groups active in a range by status and first seen time from
-- app.error_group_activity (db/schema/360_stats_rollups.sql); this keeps those two current when
-- a group changes them (triage, a regression, an event older than the group). Ingest updates a
-- group's row with each batch, but the WHEN clause lets through only the rare real changes.
CREATE OR REPLACE FUNCTION app.tg_system_errors__activity() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- a group not folded yet gets its row now (-infinity: no folded minute), so a fold racing
  -- this change finds the new values and keeps them (the fold sets them on insert only)
  INSERT INTO app.error_group_activity AS a (organization_id, error_hash, last_bucket, status, first_seen_at)
  VALUES (NEW.organization_id, NEW.error_hash, '-infinity', NEW.status, NEW.first_seen_at)
  ON CONFLICT (organization_id, error_hash) DO UPDATE SET status = excluded.status, first_seen_at = excluded.first_seen_at;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_system_errors__activity() IS
  'After a group''s status or first seen time changes: the same in app.error_group_activity';

CREATE OR REPLACE TRIGGER _500_activity AFTER UPDATE OF status, first_seen_at ON app.system_errors
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.first_seen_at IS DISTINCT FROM NEW.first_seen_at)
  EXECUTE FUNCTION app.tg_system_errors__activity();
