-- Firing and clearing: a rule's condition holds for a dedup key -> one open signal per (rule, key),
-- inside an incident (a new one, or a correlated one); it clears -> the incident resolves once no
-- signal holds. Notifications are timed on the incident (Alertmanager's timers, per rule):
--   group_wait      before the first notice (a flap that clears meanwhile is never notified)
--   group_interval  at most one notice per interval; changes wait for the next tick
--   repeat_interval a firing incident with no change is notified again after this long
-- Evaluation runs inside whatever transaction saw the change (a capture, a probe result, a status
-- change by an org owner), entered through a definer function or trigger; the functions here run
-- with its rights and are granted to no API role.

-- == Timers and classes ==

CREATE OR REPLACE FUNCTION app.alert_rule_group_wait(p_alert_type app.alert_type_enum, p_group_wait_seconds integer)
RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(p_group_wait_seconds, CASE WHEN p_alert_type = 'error_spike' THEN 30 ELSE 0 END)
$$;
COMMENT ON FUNCTION app.alert_rule_group_wait(app.alert_type_enum, integer) IS
  'A rule''s group wait in seconds: its own, else 30 for error_spike (Alertmanager''s default) and 0 for the rest';

-- The timers of an incident are its opening rule's (the defaults when that rule is gone).
CREATE OR REPLACE FUNCTION app._alert_incident_timers(
  p_rule_id uuid, OUT group_interval interval, OUT repeat_interval interval
)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  SELECT make_interval(secs => r.group_interval_seconds), make_interval(secs => r.repeat_interval_seconds)
    INTO group_interval, repeat_interval FROM app.error_alerts r WHERE r.id = p_rule_id;
  group_interval := coalesce(group_interval, interval '5 minutes');
  repeat_interval := coalesce(repeat_interval, interval '4 hours');
END $$;
COMMENT ON FUNCTION app._alert_incident_timers(uuid) IS 'Group and repeat interval of a rule (defaults 5 min and 4 h when it is gone)';

-- Errors and health correlate; reports stand alone.
CREATE OR REPLACE FUNCTION app.alert_class(p_alert_type app.alert_type_enum) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_alert_type IN ('critical_error', 'error_spike') THEN 'errors'
              WHEN p_alert_type IN ('health_degraded', 'uptime_incident') THEN 'health'
              ELSE 'reports' END
$$;
COMMENT ON FUNCTION app.alert_class(app.alert_type_enum) IS 'errors (critical_error, error_spike), health (health_degraded, uptime_incident) or reports';

-- == Correlation ==

-- The firing incident a new signal joins: one holding an open signal of the other class (errors vs
-- health) that started within the correlation window, of the same organization, or naming the
-- same service where one side is platform-wide. An incident never mixes two organizations.
CREATE OR REPLACE FUNCTION app._alert_correlated_incident(p_alert_type app.alert_type_enum, p_organization_id uuid,
                                                          p_service text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_class text := app.alert_class(p_alert_type);
  v_other app.alert_type_enum[] := CASE v_class WHEN 'errors' THEN '{health_degraded,uptime_incident}'::app.alert_type_enum[]
                                                WHEN 'health' THEN '{critical_error,error_spike}'::app.alert_type_enum[] END;
  v_window interval := make_interval(secs => coalesce((app.alert_setting('correlation_window_seconds') #>> '{}')::numeric, 600));
  v_incident_id uuid;
BEGIN
  IF v_other IS NULL THEN
    RETURN NULL;
  END IF;
  -- from the few open signals of the other class in the window (idx_alert_signals_open_type)
  SELECT i.id INTO v_incident_id
    FROM app.alert_signals s
    JOIN app.alert_incidents i ON i.id = s.incident_id
   WHERE s.resolved_at IS NULL AND s.alert_type = ANY (v_other) AND s.started_at >= now() - v_window
     AND (s.organization_id = p_organization_id
          OR (s.service = p_service AND (s.organization_id IS NULL OR p_organization_id IS NULL)))
     AND i.status = 'firing' AND NOT i.is_test
     AND (i.organization_id IS NULL OR p_organization_id IS NULL OR i.organization_id = p_organization_id)
   ORDER BY i.started_at DESC, i.id
   LIMIT 1
   FOR UPDATE OF i;
  RETURN v_incident_id;
END $$;
COMMENT ON FUNCTION app._alert_correlated_incident(app.alert_type_enum, uuid, text) IS
  'The firing incident an error or health signal joins (other class, same organization or service, within the correlation window), or NULL';

-- == Scheduling ==

-- Something changed in an incident (a signal joined or cleared): notify at the next group
-- interval tick after the last notice; before any notice the group wait still runs. A resolved
-- incident that was never notified is dropped silently (Alertmanager's flap damping).
CREATE OR REPLACE FUNCTION app._alert_incident_changed(p_incident_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_incident app.alert_incidents;
  v_group_interval interval;
BEGIN
  SELECT * INTO STRICT v_incident FROM app.alert_incidents i WHERE i.id = p_incident_id FOR UPDATE;
  SELECT t.group_interval INTO v_group_interval FROM app._alert_incident_timers(v_incident.rule_id) t;
  UPDATE app.alert_incidents i
     SET notify_at = CASE
           WHEN i.status = 'resolved' AND i.last_notified_kind IS DISTINCT FROM 'firing' THEN NULL
           WHEN i.last_notified_at IS NULL THEN i.notify_at
           ELSE least(coalesce(i.notify_at, 'infinity'), greatest(now(), i.last_notified_at + v_group_interval)) END,
         updated_at = now()
   WHERE i.id = p_incident_id;
END $$;
COMMENT ON FUNCTION app._alert_incident_changed(uuid) IS
  'Reschedule an incident''s next notification after a change: the next group-interval tick (or the pending group wait)';

-- A notice due within the hour (the end of a group wait, the next group-interval tick) gets a
-- timer: an alerts.notify job that comes due at that moment; a worker wakes for it, and its
-- completion sends the notice (db/triggers/700_alerts.sql). One timer per incident and time.
-- Later ones (a repeat after 4 h) and any a missing worker leaves go out with the minute tick:
-- a minute late matters little there, and firing incidents do not each keep a job waiting.
CREATE OR REPLACE FUNCTION app.alert_notice_timer(p_incident_id uuid, p_notify_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_notify_at > now() AND p_notify_at < now() + interval '1 hour' THEN
    PERFORM app.job_enqueue('alerts.notify', jsonb_build_object('incident_id', p_incident_id, 'notify_at', p_notify_at),
                            format('notice:%s:%s', p_incident_id, extract(epoch FROM p_notify_at)), p_notify_at, 0, 3);
  END IF;
END $$;
COMMENT ON FUNCTION app.alert_notice_timer(uuid, timestamptz) IS
  'Enqueue the alerts.notify job that sends an incident''s notice when it comes due within the hour (a group wait or interval)';

CREATE OR REPLACE FUNCTION app.alert_notify_if_due(p_incident_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM app.alert_incidents i WHERE i.id = p_incident_id AND i.notify_at <= now()) THEN
    PERFORM app.alert_notify(p_incident_id);
  END IF;
END $$;
COMMENT ON FUNCTION app.alert_notify_if_due(uuid) IS 'Send an incident''s notification now when it is due (same transaction); later ones go by app.alert_tick';

-- == Firing ==

-- p_signal: {organization_id, service, severity, title, facts, first_facts, event_count, started_at};
-- facts are merged at every firing, first_facts kept from the first; started_at (default now) dates
-- what fired, e.g. a monitor's outage from its first failed check. Returns the incident.
CREATE OR REPLACE FUNCTION app.alert_fire(p_rule_id uuid, p_dedup_key text, p_signal jsonb,
                                          OUT incident_id uuid, OUT opened boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_rule app.error_alerts;
  v_signal app.alert_signals;
  v_incident_id uuid;
  v_notified boolean;
  v_org uuid := (p_signal ->> 'organization_id')::uuid;
  v_service text := p_signal ->> 'service';
  v_severity app.severity_enum := coalesce((p_signal ->> 'severity')::app.severity_enum, 'error');
  v_title text := left(coalesce(p_signal ->> 'title', 'alert'), 500);
  v_facts jsonb := coalesce(p_signal -> 'facts', '{}');
  v_count bigint := coalesce((p_signal ->> 'event_count')::bigint, 1);
  v_started timestamptz := least(coalesce((p_signal ->> 'started_at')::timestamptz, now()), now());
BEGIN
  SELECT * INTO STRICT v_rule FROM app.error_alerts r WHERE r.id = p_rule_id;
  -- one firing per rule and key at a time, even from concurrent transactions
  PERFORM pg_advisory_xact_lock(hashtextextended('alert:' || p_rule_id || ':' || p_dedup_key, 0));
  SELECT * INTO v_signal FROM app.alert_signals s
   WHERE s.rule_id = p_rule_id AND s.dedup_key = p_dedup_key AND s.resolved_at IS NULL;
  IF FOUND THEN
    -- still firing: no notice of its own; the next one summarises what arrived meanwhile
    UPDATE app.alert_signals s
       SET last_seen_at = now(), severity = v_severity, title = v_title, facts = s.facts || v_facts,
           event_count = greatest(s.event_count, v_count)
     WHERE s.id = v_signal.id;
    UPDATE app.alert_incidents i SET severity = v_severity, updated_at = now()
     WHERE i.id = v_signal.incident_id AND i.severity < v_severity;
    incident_id := v_signal.incident_id;
    opened := false;
    RETURN;
  END IF;

  v_incident_id := app._alert_correlated_incident(v_rule.alert_type, v_org, v_service);
  IF v_incident_id IS NULL THEN
    INSERT INTO app.alert_incidents (organization_id, rule_id, alert_type, severity, title, service, started_at, notify_at)
    VALUES (v_org, p_rule_id, v_rule.alert_type, v_severity, v_title, v_service, v_started,
            now() + make_interval(secs => app.alert_rule_group_wait(v_rule.alert_type, v_rule.group_wait_seconds)))
    RETURNING id INTO v_incident_id;
  ELSE
    UPDATE app.alert_incidents i
       SET organization_id = coalesce(i.organization_id, v_org), severity = greatest(i.severity, v_severity),
           service = coalesce(i.service, v_service), updated_at = now()
     WHERE i.id = v_incident_id
    RETURNING i.last_notified_at IS NOT NULL INTO v_notified;
  END IF;
  INSERT INTO app.alert_signals (incident_id, rule_id, organization_id, alert_type, dedup_key, service, severity, title,
                                 facts, event_count, started_at)
  VALUES (v_incident_id, p_rule_id, v_org, v_rule.alert_type, p_dedup_key, v_service, v_severity, v_title,
          coalesce(p_signal -> 'first_facts', '{}') || v_facts, v_count, v_started);
  IF v_notified THEN
    PERFORM app._alert_incident_changed(v_incident_id);
  END IF;
  PERFORM app.alert_notify_if_due(v_incident_id);
  incident_id := v_incident_id;
  opened := true;
END $$;
COMMENT ON FUNCTION app.alert_fire(uuid, text, jsonb) IS
  'A rule''s condition holds for a dedup key: open a signal in a new or correlated incident (opened), or refresh the open one';

-- The spec's trigger_count and last_triggered_at, once per rule for all the signals an evaluation
-- opened: one update of the rule row per statement, not one per firing (rows locked in id order).
CREATE OR REPLACE FUNCTION app._alert_rules_triggered(p_rule_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(p_rule_ids) > 0 THEN
    -- (NO KEY UPDATE: concurrent firings hold the row in KEY SHARE through the incidents and signals
    -- they wrote; FOR UPDATE would wait for them, and two such firings deadlock)
    PERFORM FROM app.error_alerts r WHERE r.id = ANY (p_rule_ids) ORDER BY r.id FOR NO KEY UPDATE;
    UPDATE app.error_alerts r SET trigger_count = coalesce(r.trigger_count, 0) + f.firings, last_triggered_at = now()
      FROM (SELECT u.rule_id, count(*)::integer AS firings FROM unnest(p_rule_ids) AS u (rule_id) GROUP BY u.rule_id) AS f
     WHERE r.id = f.rule_id;
  END IF;
END $$;
COMMENT ON FUNCTION app._alert_rules_triggered(uuid[]) IS 'Count firings (one rule id per opened signal) into the rules'' trigger_count and last_triggered_at';

-- == Clearing ==

-- Close the given signals; an incident left without open signals resolves. With p_silently
-- (the rule was deleted or switched off) nothing more is notified about incidents that resolve.
CREATE OR REPLACE FUNCTION app._alert_signals_clear(p_signal_ids bigint[], p_silently boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_incident_id uuid;
  v_cleared integer := 0;
BEGIN
  FOR v_incident_id IN
    WITH cleared AS (
      UPDATE app.alert_signals s SET resolved_at = now()
       WHERE s.id = ANY (p_signal_ids) AND s.resolved_at IS NULL
      RETURNING s.incident_id)
    SELECT DISTINCT c.incident_id FROM cleared c ORDER BY c.incident_id
  LOOP
    v_cleared := v_cleared + 1;
    UPDATE app.alert_incidents i
       SET status = 'resolved', resolved_at = now(), updated_at = now(),
           notify_at = CASE WHEN p_silently THEN NULL ELSE i.notify_at END
     WHERE i.id = v_incident_id AND i.status = 'firing'
       AND NOT EXISTS (SELECT FROM app.alert_signals s WHERE s.incident_id = i.id AND s.resolved_at IS NULL);
    IF NOT p_silently THEN
      PERFORM app._alert_incident_changed(v_incident_id);
      PERFORM app.alert_notify_if_due(v_incident_id);
    END IF;
  END LOOP;
  RETURN v_cleared;
END $$;
COMMENT ON FUNCTION app._alert_signals_clear(bigint[], boolean) IS
  'Clear signals; incidents left without an open signal resolve (notified at the next tick unless silently)';

CREATE OR REPLACE FUNCTION app.alert_clear(p_rule_id uuid, p_dedup_key text) RETURNS integer
LANGUAGE sql AS $$
  SELECT app._alert_signals_clear(ARRAY(SELECT s.id FROM app.alert_signals s
                                          WHERE s.rule_id = p_rule_id AND s.dedup_key = p_dedup_key
                                            AND s.resolved_at IS NULL))
$$;
COMMENT ON FUNCTION app.alert_clear(uuid, text) IS 'A rule''s condition no longer holds for a dedup key: clear its open signal';

CREATE OR REPLACE FUNCTION app.alert_clear_key(p_alert_types app.alert_type_enum[], p_dedup_key text) RETURNS integer
LANGUAGE sql AS $$
  SELECT app._alert_signals_clear(ARRAY(SELECT s.id FROM app.alert_signals s
                                          WHERE s.dedup_key = p_dedup_key AND s.resolved_at IS NULL
                                            AND s.alert_type = ANY (p_alert_types)
                                          ORDER BY s.id))
$$;
COMMENT ON FUNCTION app.alert_clear_key(app.alert_type_enum[], text) IS
  'The thing behind a dedup key is fine again (error resolved, report closed): clear every rule''s open signal for it';

CREATE OR REPLACE FUNCTION app.alert_rule_retire(p_rule_id uuid) RETURNS integer
LANGUAGE sql AS $$
  SELECT app._alert_signals_clear(ARRAY(SELECT s.id FROM app.alert_signals s
                                          WHERE s.rule_id = p_rule_id AND s.resolved_at IS NULL ORDER BY s.id), true)
$$;
COMMENT ON FUNCTION app.alert_rule_retire(uuid) IS 'A rule was deleted or switched off: clear its open signals without notifying';

GRANT EXECUTE ON FUNCTION app.alert_rule_group_wait(app.alert_type_enum, integer), app.alert_class(app.alert_type_enum)
  TO anon, staff, org_owner, system_admin;
