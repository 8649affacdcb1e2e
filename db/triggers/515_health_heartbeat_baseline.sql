-- A push monitor's heartbeat arrivals, per minute, for its hour-of-week baseline: whichever path
-- records a heartbeat (app.health_heartbeat and its callers) moves last_heartbeat_at.

CREATE OR REPLACE FUNCTION app.tg_health_monitor_state__heartbeat_minute() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  INSERT INTO app.health_heartbeat_minutes AS h (monitor_id, organization_id, minute)
  SELECT NEW.monitor_id, m.organization_id, date_trunc('minute', NEW.last_heartbeat_at)
    FROM app.health_monitors m WHERE m.id = NEW.monitor_id
  ON CONFLICT (monitor_id, minute) DO UPDATE SET arrivals = h.arrivals + 1;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_health_monitor_state__heartbeat_minute() IS
  'A heartbeat arrived: count it in health_heartbeat_minutes (the baseline''s history)';

CREATE OR REPLACE TRIGGER _515_heartbeat_minute AFTER UPDATE OF last_heartbeat_at ON app.health_monitor_state
  FOR EACH ROW WHEN (NEW.last_heartbeat_at IS DISTINCT FROM OLD.last_heartbeat_at)
  EXECUTE FUNCTION app.tg_health_monitor_state__heartbeat_minute();
