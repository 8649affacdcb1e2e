-- Alerting triggers: rules validated and kept in step with their destinations; the events that
-- evaluate rules in their own transaction (a monitor's state changes, a report arrives, an error
-- or report is closed); and the alerts.deliver jobs' outcomes recorded as delivery attempts.
-- (Captures evaluate critical_error rules from db/triggers/350_events.sql.)

-- == Rules ==

CREATE OR REPLACE FUNCTION app.tg_error_alerts__normalize() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.trigger_conditions := app.alert_conditions_validate(NEW.alert_type, coalesce(NEW.trigger_conditions, '{}'));
  NEW.name := nullif(btrim(NEW.name), '');
  NEW.webhook_url := nullif(btrim(NEW.webhook_url), '');
  NEW.pagerduty_routing_key := nullif(btrim(NEW.pagerduty_routing_key), '');
  NEW.recipients := nullif(ARRAY(SELECT btrim(r) FROM unnest(NEW.recipients) r WHERE btrim(r) <> ''), '{}');
  IF length(NEW.name) > 200 THEN
    RAISE EXCEPTION 'name is too long' USING ERRCODE = 'QVA05', DETAIL = 'Field: name.', HINT = 'Use at most 200 characters.';
  END IF;
  IF NEW.webhook_format IS NULL OR NEW.webhook_format NOT IN ('standard', 'pagerduty', 'apprise') THEN
    RAISE EXCEPTION 'unknown webhook_format %', NEW.webhook_format USING ERRCODE = 'QVA05',
      DETAIL = 'Field: webhook_format.', HINT = 'Use standard, pagerduty or apprise.';
  END IF;
  PERFORM app.alert_destination_validate(NEW.channel, NEW.webhook_format, NEW.recipients, NEW.webhook_url,
                                         NEW.pagerduty_routing_key);
  IF NEW.group_wait_seconds NOT BETWEEN 0 AND 3600 THEN
    RAISE EXCEPTION 'group_wait_seconds out of range' USING ERRCODE = 'QVA05',
      DETAIL = 'Field: group_wait_seconds.', HINT = 'Use 0 to 3600 seconds, or leave it out (30 for error_spike, else 0).';
  END IF;
  IF NEW.group_interval_seconds IS NULL OR NEW.group_interval_seconds NOT BETWEEN 1 AND 86400 THEN
    RAISE EXCEPTION 'group_interval_seconds out of range' USING ERRCODE = 'QVA05',
      DETAIL = 'Field: group_interval_seconds.', HINT = 'Use 1 to 86400 seconds (default 300).';
  END IF;
  IF NEW.repeat_interval_seconds IS NULL OR NEW.repeat_interval_seconds NOT BETWEEN 60 AND 604800
     OR NEW.repeat_interval_seconds < NEW.group_interval_seconds THEN
    RAISE EXCEPTION 'repeat_interval_seconds out of range' USING ERRCODE = 'QVA05',
      DETAIL = 'Field: repeat_interval_seconds.',
      HINT = 'Use 60 to 604800 seconds, at least group_interval_seconds (default 14400).';
  END IF;
  -- only a standard webhook signs; it always has a secret
  NEW.signing_secret := CASE WHEN NEW.channel = 'webhook' AND NEW.webhook_format = 'standard'
                             THEN coalesce(NEW.signing_secret, app.alert_new_signing_secret()) END;
  NEW.is_active := coalesce(NEW.is_active, true);
  NEW.trigger_count := coalesce(NEW.trigger_count, 0);
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION app.tg_error_alerts__normalize() IS
  'Validate a rule (trigger_conditions per alert_type, destination per channel, timers) and give a standard webhook its secret';

-- (not on the counters alert_fire bumps: firing never re-validates a rule)
CREATE OR REPLACE TRIGGER _100_normalize
  BEFORE INSERT OR UPDATE OF alert_type, channel, trigger_conditions, recipients, webhook_url, is_active, organization_id,
    name, webhook_format, pagerduty_routing_key, signing_secret, group_wait_seconds, group_interval_seconds,
    repeat_interval_seconds, send_resolved, muted_until
  ON app.error_alerts FOR EACH ROW EXECUTE FUNCTION app.tg_error_alerts__normalize();

CREATE OR REPLACE FUNCTION app.tg_error_alerts__sync_destinations() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.alert_destinations_sync(NEW.id);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_error_alerts__sync_destinations() IS 'Keep a rule''s destinations in step with its recipients, URL or routing key';

CREATE OR REPLACE TRIGGER _500_sync_destinations
  AFTER INSERT OR UPDATE OF channel, webhook_format, recipients, webhook_url, pagerduty_routing_key, organization_id
  ON app.error_alerts FOR EACH ROW EXECUTE FUNCTION app.tg_error_alerts__sync_destinations();

-- A rule deleted, switched off, or turned into another type or organization stops what it had
-- firing, silently (its incidents resolve without a notice from it).
CREATE OR REPLACE FUNCTION app.tg_error_alerts__retire() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.alert_rule_retire(OLD.id);
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD END;
END $$;
COMMENT ON FUNCTION app.tg_error_alerts__retire() IS 'Clear the open signals of a rule that was deleted, switched off or changed type or organization';

CREATE OR REPLACE TRIGGER _500_retire_on_delete BEFORE DELETE ON app.error_alerts
  FOR EACH ROW EXECUTE FUNCTION app.tg_error_alerts__retire();
CREATE OR REPLACE TRIGGER _500_retire_on_change AFTER UPDATE OF is_active, alert_type, organization_id ON app.error_alerts
  FOR EACH ROW
  WHEN ((OLD.is_active AND NEW.is_active IS NOT TRUE) OR OLD.alert_type <> NEW.alert_type
        OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
  EXECUTE FUNCTION app.tg_error_alerts__retire();

-- == Events that evaluate rules ==

CREATE OR REPLACE FUNCTION app.tg_health_monitor_state__alerts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.alert_on_monitor(NEW.monitor_id);
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  -- alerting must never cost a probe result
  RAISE WARNING 'alert evaluation failed for monitor %: % (%)', NEW.monitor_id, SQLERRM, SQLSTATE;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_health_monitor_state__alerts() IS 'A monitor changed state: judge its health_degraded and uptime_incident rules';

CREATE OR REPLACE TRIGGER _900_alerts AFTER UPDATE OF status ON app.health_monitor_state
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION app.tg_health_monitor_state__alerts();

CREATE OR REPLACE FUNCTION app.tg_user_error_reports__alerts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
-- @plpgsql_check_options: newtable = new_reports
BEGIN
  PERFORM app.alert_on_reports(ARRAY(SELECT r.id FROM new_reports r));
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  -- alerting must never cost a report
  RAISE WARNING 'alert evaluation failed for new reports: % (%)', SQLERRM, SQLSTATE;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_user_error_reports__alerts() IS 'New reports: fire new_user_report rules (once per INSERT statement)';

CREATE OR REPLACE TRIGGER _900_alerts AFTER INSERT ON app.user_error_reports
  REFERENCING NEW TABLE AS new_reports FOR EACH STATEMENT EXECUTE FUNCTION app.tg_user_error_reports__alerts();

-- Closing what an alert is about clears it: an error resolved or ignored, a report resolved,
-- closed or marked duplicate.
CREATE OR REPLACE FUNCTION app.tg_alerts__clear_closed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_TABLE_NAME = 'error_status_history' THEN
    PERFORM app.alert_clear_key(ARRAY['critical_error']::app.alert_type_enum[], 'error:' || (to_jsonb(NEW) ->> 'error_id'));
  ELSE
    PERFORM app.alert_clear_key(ARRAY['new_user_report']::app.alert_type_enum[], 'report:' || (to_jsonb(NEW) ->> 'id'));
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_alerts__clear_closed() IS 'An error resolved or ignored, or a report closed: clear the alerts about it';

CREATE OR REPLACE TRIGGER _900_alerts AFTER INSERT ON app.error_status_history
  FOR EACH ROW WHEN (NEW.to_status IN ('resolved', 'ignored')) EXECUTE FUNCTION app.tg_alerts__clear_closed();
CREATE OR REPLACE TRIGGER _900_alerts_clear AFTER UPDATE OF status ON app.user_error_reports
  FOR EACH ROW WHEN (NEW.status IN ('resolved', 'closed', 'duplicate') AND OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION app.tg_alerts__clear_closed();

-- == Notices due later: timers ==

-- An incident whose next notice is scheduled ahead gets an alerts.notify job for that moment
-- (app.alert_notice_timer: when it is within the hour).
CREATE OR REPLACE FUNCTION app.tg_alert_incidents__notice_timer() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.alert_notice_timer(NEW.id, NEW.notify_at);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_alert_incidents__notice_timer() IS 'An incident''s next notice is due later: set a timer (an alerts.notify job) for it';

CREATE OR REPLACE TRIGGER _500_notice_timer AFTER INSERT ON app.alert_incidents
  FOR EACH ROW WHEN (NEW.notify_at > now()) EXECUTE FUNCTION app.tg_alert_incidents__notice_timer();
CREATE OR REPLACE TRIGGER _500_notice_timer_moved AFTER UPDATE OF notify_at ON app.alert_incidents
  FOR EACH ROW WHEN (NEW.notify_at > now() AND NEW.notify_at IS DISTINCT FROM OLD.notify_at)
  EXECUTE FUNCTION app.tg_alert_incidents__notice_timer();

-- A timer went off (its alerts.notify job finished): send the notice if it is still due (a
-- notice the tick sent meanwhile, or a rescheduled one, makes this a no-op).
CREATE OR REPLACE FUNCTION app.tg_job_history__alert_notice_due() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NEW.payload ->> 'incident_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    PERFORM app.alert_notify_if_due((NEW.payload ->> 'incident_id')::uuid);
  END IF;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  -- never costs the worker the completion of the jobs reported with it; the tick sends it later
  RAISE WARNING 'alert notice for job % failed: % (%)', NEW.id, SQLERRM, SQLSTATE;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_job_history__alert_notice_due() IS 'A notice timer (alerts.notify job) went off: send the incident''s notice if still due';

CREATE OR REPLACE TRIGGER _500_alert_notice_due AFTER INSERT ON app.job_history
  FOR EACH ROW WHEN (NEW.kind = 'alerts.notify') EXECUTE FUNCTION app.tg_job_history__alert_notice_due();

-- == Delivery outcomes: THE TRIGGERS THAT RECORD ATTEMPTS ==

-- A failed attempt that will be retried (app.job_fail, app.job_reap) appends to app.job.failures;
-- the claim, the hot update, does not name that column and never runs this.
CREATE OR REPLACE FUNCTION app.tg_job__alert_attempt() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.alert_record_attempts(NEW.payload, NEW.failures, NEW.state, NULL, NEW.locked_by, now());
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_job__alert_attempt() IS 'Record a retried alerts.deliver attempt (with the handler''s details) on its delivery';

CREATE OR REPLACE TRIGGER _500_alert_attempt AFTER UPDATE OF failures ON app.job
  FOR EACH ROW WHEN (NEW.kind = 'alerts.deliver') EXECUTE FUNCTION app.tg_job__alert_attempt();

-- A finished job: succeeded (the handler's result) or dead (the last failure's details).
CREATE OR REPLACE FUNCTION app.tg_job_history__alert_outcome() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM app.alert_record_attempts(NEW.payload, NEW.failures, NEW.state, NEW.result, NEW.worker, NEW.finished_at);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_job_history__alert_outcome() IS 'Record a finished alerts.deliver job (delivered, or failed for good) on its delivery';

CREATE OR REPLACE TRIGGER _500_alert_outcome AFTER INSERT ON app.job_history
  FOR EACH ROW WHEN (NEW.kind = 'alerts.deliver') EXECUTE FUNCTION app.tg_job_history__alert_outcome();
