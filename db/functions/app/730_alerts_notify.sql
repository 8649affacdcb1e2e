-- Notifications and deliveries: what an incident's notice says (built once), which destinations
-- receive it, and the alerts.deliver job of each delivery (the payload contract:
-- ../alerts-contract.md). They run with the rights of the evaluation that calls them (owner):
-- destinations and rules hold the secrets the payload carries.

-- == Text ==

-- (STABLE like to_char, so it is inlined)
CREATE OR REPLACE FUNCTION app.alert_rfc3339(p_at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
COMMENT ON FUNCTION app.alert_rfc3339(timestamptz) IS 'A time as RFC 3339 in UTC, to the second';

CREATE OR REPLACE FUNCTION app.alert_duration_text(p_duration interval) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s < 60 THEN round(s) || ' s'
              WHEN s < 3600 THEN round(s / 60) || ' min'
              ELSE floor(s / 3600) || ' h ' || round(mod(s, 3600) / 60) || ' min' END
    FROM (SELECT greatest(extract(epoch FROM p_duration), 0) AS s) AS d
$$;
COMMENT ON FUNCTION app.alert_duration_text(interval) IS 'A duration for people: 40 s, 2 min, 3 h 5 min';

-- Events behind a signal now: an error group's occurrences since the signal opened, a spike's
-- events since its window began, else what the signal counted.
CREATE OR REPLACE FUNCTION app.alert_signal_events(p_signal app.alert_signals) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_events bigint;
BEGIN
  -- (PL/pgSQL keeps these plans; a SQL function would plan them at every call)
  IF p_signal.alert_type = 'critical_error' THEN
    SELECT e.occurrence_count - coalesce((p_signal.facts ->> 'base_count')::bigint, 0) INTO v_events
      FROM app.system_errors e WHERE e.id = (p_signal.facts ->> 'error_id')::uuid;
    RETURN greatest(v_events, 1);
  ELSIF p_signal.alert_type = 'error_spike' THEN
    SELECT coalesce(sum(m.event_count), 0) INTO v_events FROM app.error_metrics m
     WHERE m.organization_id = p_signal.organization_id
       AND m.bucket >= (p_signal.facts ->> 'window_start')::timestamptz AND m.bucket <= coalesce(p_signal.resolved_at, now());
    RETURN v_events;
  END IF;
  RETURN p_signal.event_count;
END $$;
COMMENT ON FUNCTION app.alert_signal_events(app.alert_signals) IS 'How many events a signal stands for, counted now';

-- Which came first, for an incident holding both errors and a health degradation:
-- "Errors in checkout started 2 min before API Endpoints went unhealthy."
CREATE OR REPLACE FUNCTION app.alert_correlation_text(p_incident_id uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  WITH errors AS (
    SELECT s.started_at, coalesce(s.facts ->> 'subject', 'errors') AS subject FROM app.alert_signals s
     WHERE s.incident_id = p_incident_id AND app.alert_class(s.alert_type) = 'errors' ORDER BY s.started_at, s.id LIMIT 1
  ), health AS (
    SELECT s.started_at, coalesce(s.facts ->> 'subject', s.title) AS subject FROM app.alert_signals s
     WHERE s.incident_id = p_incident_id AND app.alert_class(s.alert_type) = 'health' ORDER BY s.started_at, s.id LIMIT 1
  )
  SELECT upper(left(t.sentence, 1)) || substr(t.sentence, 2)
    FROM (SELECT CASE WHEN e.started_at <= h.started_at
                      THEN format('%s started %s before %s.', e.subject, app.alert_duration_text(h.started_at - e.started_at), h.subject)
                      ELSE format('%s %s before %s started.', h.subject, app.alert_duration_text(e.started_at - h.started_at), e.subject)
                 END AS sentence
            FROM errors e, health h) AS t
$$;
COMMENT ON FUNCTION app.alert_correlation_text(uuid) IS 'For an incident with errors and a health degradation: which came first, and by how long';

-- "1 event", "37 events", "and 1 more event"
CREATE OR REPLACE FUNCTION app.alert_plural(p_count bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN p_count = 1 THEN '' ELSE 's' END $$;
COMMENT ON FUNCTION app.alert_plural(bigint) IS 'The plural ending for a count: empty for 1, else s';

-- The notification object of the delivery contract, less rule_id (added per delivery). Events are
-- the errors' (a monitor's outage or a report is not counted in events): an incident without
-- error signals says nothing about events.
CREATE OR REPLACE FUNCTION app.alert_notification_content(p_incident_id uuid, p_kind app.alert_notification_kind)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_incident app.alert_incidents;
  v_has_errors boolean;
  v_events bigint;
  v_new bigint;
  v_counts text;
  v_lines text[] := '{}'::text[];
  v_signals text[];
  v_correlation text;
  v_reason text;
  v_suspect text;
BEGIN
  SELECT * INTO STRICT v_incident FROM app.alert_incidents i WHERE i.id = p_incident_id;
  SELECT coalesce(bool_or(app.alert_class(s.alert_type) = 'errors'), false),
         coalesce(sum(app.alert_signal_events(s)) FILTER (WHERE app.alert_class(s.alert_type) = 'errors'), 0)::bigint,
         array_agg(format('- %s (since %s%s)', s.title, to_char(s.started_at AT TIME ZONE 'UTC', 'HH24:MI'),
                          CASE WHEN s.resolved_at IS NOT NULL THEN ', cleared ' || to_char(s.resolved_at AT TIME ZONE 'UTC', 'HH24:MI') END)
                   ORDER BY s.started_at, s.id),
         (array_agg(s.facts ->> 'reason' ORDER BY s.started_at DESC) FILTER (WHERE s.facts ->> 'reason' IS NOT NULL))[1]
    INTO v_has_errors, v_events, v_signals, v_reason
    FROM app.alert_signals s WHERE s.incident_id = p_incident_id;
  v_new := greatest(v_events - v_incident.notified_event_count, 0);
  v_counts := CASE
    WHEN NOT v_has_errors THEN ''
    WHEN p_kind = 'firing' AND v_incident.notifications_sent = 0
      THEN format('; %s event%s so far', v_events, app.alert_plural(v_events))
    ELSE format('; %s event%s in all%s', v_events, app.alert_plural(v_events), CASE
           WHEN v_new > 0 THEN format(', and %s more event%s since the last notification', v_new, app.alert_plural(v_new))
           WHEN p_kind = 'firing' THEN ', none new since the last notification' ELSE '' END) END;

  v_lines := v_lines || CASE
    WHEN p_kind = 'test' THEN 'A test notification from pgwarden: this destination receives this rule''s alerts.'
    WHEN p_kind = 'resolved' THEN format('Resolved at %s UTC after %s%s.',
                                         to_char(v_incident.resolved_at AT TIME ZONE 'UTC', 'HH24:MI:SS'),
                                         app.alert_duration_text(v_incident.resolved_at - v_incident.started_at), v_counts)
    ELSE format('%s since %s UTC%s.', CASE WHEN v_incident.notifications_sent = 0 THEN 'Firing' ELSE 'Still firing' END,
                to_char(v_incident.started_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), v_counts) END;
  v_correlation := app.alert_correlation_text(p_incident_id);
  IF v_correlation IS NOT NULL THEN
    v_lines := v_lines || v_correlation;
  END IF;
  IF cardinality(v_signals) > 1 THEN
    v_lines := v_lines || v_signals;
  END IF;
  IF v_reason IS NOT NULL AND p_kind = 'firing' THEN
    v_lines := v_lines || ('Last check: ' || left(v_reason, 300));
  END IF;
  -- the deploy shortly before (db/functions/app/378_suspect_releases.sql)
  v_suspect := CASE WHEN p_kind <> 'test' THEN app.suspect_release_text(app.alert_incident_suspect_release(v_incident)) END;
  IF v_suspect IS NOT NULL THEN
    v_lines := v_lines || ('Suspect release: ' || v_suspect);
  END IF;

  RETURN jsonb_build_object(
    'kind', p_kind, 'incident_id', v_incident.id, 'organization_id', v_incident.organization_id,
    'alert_type', v_incident.alert_type, 'severity', v_incident.severity,
    -- (the kind is its own field: every channel labels it, "[RESOLVED] ...", so the title does not)
    'title', v_incident.title,
    'summary', array_to_string(v_lines, E'\n'),
    'dedup_key', 'pgwarden/' || v_incident.id,
    'started_at', app.alert_rfc3339(v_incident.started_at), 'resolved_at', app.alert_rfc3339(v_incident.resolved_at),
    'event_count', v_events, 'new_since_last', v_new,
    -- facts beyond the keys above (every channel shows severity, start and events from those)
    'fields', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', f.name, 'value', f.value) ORDER BY f.ordinal), '[]')
                 FROM (VALUES (1, 'Service', v_incident.service),
                              (2, 'Organization', (SELECT o.name::text FROM app.organizations o WHERE o.id = v_incident.organization_id)),
                              (3, 'Rule', (SELECT r.name::text FROM app.error_alerts r WHERE r.id = v_incident.rule_id)),
                              (4, 'Suspect release', v_suspect))
                        AS f (ordinal, name, value)
                WHERE f.value IS NOT NULL),
    -- (no links yet: pgwarden web has no page for an error to link to)
    'links', '[]'::jsonb);
END $$;
COMMENT ON FUNCTION app.alert_notification_content(uuid, app.alert_notification_kind) IS
  'The notification of an incident as the delivery contract has it: title, summary ("and N more events", which came first, the suspect release), counts, fields, links';

-- == Deliveries ==

-- The earliest time a delivery to this address may go: at most one per pace_seconds[channel]
-- (Slack: one per second per webhook), after the latest one planned. Read from the deliveries
-- themselves, so firings in concurrent transactions never queue on a shared row; two of them may
-- then pick the same second, which the channel's 429 and Retry-After absorb.
CREATE OR REPLACE FUNCTION app._alert_pace(p_address_hash text, p_channel text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_gap interval := make_interval(secs => coalesce((app.alert_setting('pace_seconds') ->> p_channel)::numeric, 0));
  v_last timestamptz;
BEGIN
  IF v_gap <= interval '0' THEN
    RETURN now();
  END IF;
  SELECT max(d.run_at) INTO v_last FROM app.alert_deliveries d
   WHERE d.address_hash = p_address_hash AND d.status <> 'suppressed';
  RETURN greatest(now(), v_last + v_gap);
END $$;
COMMENT ON FUNCTION app._alert_pace(text, text) IS 'When the next delivery to an address may go (alert_settings pace_seconds per channel)';

-- THE JOB PAYLOAD (../alerts-contract.md): self-contained, secrets included; listings redact
-- its destination (app.job_payload_for_listing).
CREATE OR REPLACE FUNCTION app.alert_delivery_payload(p_delivery_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'delivery_id', d.id,
    'channel', d.channel,
    'destination', CASE d.channel
      WHEN 'email' THEN jsonb_build_object('to', t.address)
      WHEN 'slack' THEN jsonb_build_object('webhook_url', t.address)
      WHEN 'webhook' THEN jsonb_build_object('url', t.address, 'secret', r.signing_secret)
      WHEN 'pagerduty' THEN jsonb_build_object(
        'url', coalesce(r.webhook_url, rtrim(app.alert_setting('pagerduty_events_url') #>> '{}', '/') || '/v2/enqueue'),
        'routing_key', t.address)
      WHEN 'apprise' THEN jsonb_build_object('url', t.address) END,
    'webhook_id', 'msg_' || replace(d.id::text, '-', ''),
    'notification', n.content || jsonb_build_object('rule_id', d.rule_id))
    FROM app.alert_deliveries d
    JOIN app.alert_notifications n ON n.id = d.notification_id
    JOIN app.alert_destinations t ON t.id = d.destination_id
    JOIN app.error_alerts r ON r.id = d.rule_id
   WHERE d.id = p_delivery_id
$$;
COMMENT ON FUNCTION app.alert_delivery_payload(uuid) IS
  'The alerts.deliver job payload of a delivery: delivery_id, channel, destination (with its secret), webhook_id, notification';

-- In-app: rows for the recipients, delivered at once, announced on NOTIFY alerts:in_app.
CREATE OR REPLACE FUNCTION app._alert_deliver_in_app(p_delivery_id uuid, p_address text, p_organization_id uuid)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_user_id uuid;
  v_row app.alert_in_app_notifications;
  v_content jsonb;
BEGIN
  SELECT n.content INTO STRICT v_content
    FROM app.alert_deliveries d JOIN app.alert_notifications n ON n.id = d.notification_id WHERE d.id = p_delivery_id;
  IF p_address NOT IN ('system_admin', 'org_owner', 'staff') THEN
    SELECT u.id INTO v_user_id FROM app.users u
     WHERE (u.id::text = lower(p_address) OR lower(u.email) = lower(p_address))
       AND (u.organization_id IS NOT DISTINCT FROM p_organization_id OR u.role = 'system_admin')
     LIMIT 1;
    IF v_user_id IS NULL THEN
      UPDATE app.alert_deliveries d SET status = 'failed', attempts = 1, last_error = 'no such user in the organization',
             updated_at = now() WHERE d.id = p_delivery_id;
      INSERT INTO app.alert_delivery_attempts (delivery_id, attempt, organization_id, outcome, provider_error, attempted_at)
      SELECT d.id, 1, d.organization_id, 'failed', 'no such user in the organization', now()
        FROM app.alert_deliveries d WHERE d.id = p_delivery_id;
      RETURN;
    END IF;
  END IF;
  INSERT INTO app.alert_in_app_notifications (delivery_id, incident_id, organization_id, recipient_role, user_id, kind,
                                              severity, title, body, link)
  SELECT d.id, d.incident_id, p_organization_id, CASE WHEN v_user_id IS NULL THEN p_address END, v_user_id,
         (v_content ->> 'kind')::app.alert_notification_kind, (v_content ->> 'severity')::app.severity_enum,
         v_content ->> 'title', v_content ->> 'summary', v_content #>> '{links,0,url}'
    FROM app.alert_deliveries d WHERE d.id = p_delivery_id
  RETURNING * INTO v_row;
  UPDATE app.alert_deliveries d SET status = 'delivered', attempts = 1, delivered_at = now(), updated_at = now()
   WHERE d.id = p_delivery_id;
  INSERT INTO app.alert_delivery_attempts (delivery_id, attempt, organization_id, outcome, attempted_at)
  SELECT d.id, 1, d.organization_id, 'delivered', now() FROM app.alert_deliveries d WHERE d.id = p_delivery_id;
  PERFORM pg_notify('alerts:in_app', json_build_object(
    'id', v_row.id, 'organization_id', v_row.organization_id, 'recipient_role', v_row.recipient_role,
    'user_id', v_row.user_id, 'severity', v_row.severity, 'title', v_row.title)::text);
END $$;
COMMENT ON FUNCTION app._alert_deliver_in_app(uuid, text, uuid) IS
  'Deliver in-app: a notification row for a role of the organization or one user, NOTIFY alerts:in_app';

-- One delivery per destination address (rules sharing an address share the delivery), for the
-- incident's rules that are active, not muted, and (for resolved notices) send_resolved; or for
-- one rule only (a test). Broken destinations get a suppressed delivery, visible in the history.
CREATE OR REPLACE FUNCTION app._alert_deliver(p_notification_id uuid, p_only_rule_id uuid DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_notification app.alert_notifications;
  v_target record;
  v_delivery_id uuid;
  v_run_at timestamptz;
  v_job_id bigint;
  v_count integer := 0;
  v_max_attempts integer := least(greatest(coalesce((app.alert_setting('delivery_max_attempts') #>> '{}')::integer, 12), 1), 100);
BEGIN
  SELECT * INTO STRICT v_notification FROM app.alert_notifications n WHERE n.id = p_notification_id;
  FOR v_target IN
    SELECT DISTINCT ON (t.address_hash) t.id, t.channel, t.address, t.address_hash, t.label, t.broken_at, t.broken_reason,
           r.id AS rule_id, r.organization_id
      FROM app.alert_destinations t JOIN app.error_alerts r ON r.id = t.rule_id
     WHERE CASE WHEN p_only_rule_id IS NOT NULL THEN r.id = p_only_rule_id
                ELSE r.id IN (SELECT s.rule_id FROM app.alert_signals s WHERE s.incident_id = v_notification.incident_id)
                     AND r.is_active AND coalesce(r.muted_until <= now(), true)
                     AND (v_notification.kind <> 'resolved' OR r.send_resolved) END
     ORDER BY t.address_hash, r.created_at, t.id
  LOOP
    v_run_at := CASE WHEN v_target.broken_at IS NULL AND v_target.channel <> 'in_app'
                     THEN app._alert_pace(v_target.address_hash, v_target.channel) ELSE now() END;
    INSERT INTO app.alert_deliveries (notification_id, incident_id, rule_id, organization_id, destination_id, channel,
                                      recipient, address_hash, status, run_at, last_error)
    VALUES (p_notification_id, v_notification.incident_id, v_target.rule_id, v_target.organization_id, v_target.id,
            v_target.channel, v_target.label, v_target.address_hash,
            CASE WHEN v_target.broken_at IS NOT NULL THEN 'suppressed' ELSE 'queued' END::app.alert_delivery_status, v_run_at,
            CASE WHEN v_target.broken_at IS NOT NULL
                 THEN format('destination broken since %s: %s', app.alert_rfc3339(v_target.broken_at), v_target.broken_reason) END)
    RETURNING id INTO v_delivery_id;
    v_count := v_count + 1;
    IF v_target.broken_at IS NOT NULL THEN
      CONTINUE;
    ELSIF v_target.channel = 'in_app' THEN
      PERFORM app._alert_deliver_in_app(v_delivery_id, v_target.address,
                                        coalesce(v_target.organization_id, v_notification.organization_id));
    ELSE
      v_job_id := app.job_enqueue('alerts.deliver', app.alert_delivery_payload(v_delivery_id), 'delivery:' || v_delivery_id,
                                  v_run_at, 0, v_max_attempts);
      UPDATE app.alert_deliveries d SET job_id = v_job_id WHERE d.id = v_delivery_id;
    END IF;
  END LOOP;
  RETURN v_count;
END $$;
COMMENT ON FUNCTION app._alert_deliver(uuid, uuid) IS
  'Create a notification''s deliveries (one per destination address) and enqueue their alerts.deliver jobs, paced per address';

-- == Notifying ==

CREATE OR REPLACE FUNCTION app._alert_notification_create(p_incident_id uuid, p_kind app.alert_notification_kind,
                                                          p_only_rule_id uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_content jsonb := app.alert_notification_content(p_incident_id, p_kind);
  v_notification_id uuid;
BEGIN
  INSERT INTO app.alert_notifications (incident_id, organization_id, kind, content, event_count, new_since_last)
  VALUES (p_incident_id, (v_content ->> 'organization_id')::uuid, p_kind, v_content,
          (v_content ->> 'event_count')::bigint, (v_content ->> 'new_since_last')::bigint)
  RETURNING id INTO v_notification_id;
  PERFORM app._alert_deliver(v_notification_id, p_only_rule_id);
  RETURN v_notification_id;
END $$;
COMMENT ON FUNCTION app._alert_notification_create(uuid, app.alert_notification_kind, uuid) IS
  'Write an incident''s notification and its deliveries';

-- Sends an incident's due notification: firing (first, update or repeat) or resolved; a
-- resolved incident that was never notified sends nothing. Then the next one is scheduled: the
-- repeat interval while firing, nothing once resolved.
CREATE OR REPLACE FUNCTION app.alert_notify(p_incident_id uuid) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  v_incident app.alert_incidents;
  v_kind app.alert_notification_kind;
  v_notification_id uuid;
  v_repeat interval;
BEGIN
  SELECT * INTO v_incident FROM app.alert_incidents i WHERE i.id = p_incident_id FOR UPDATE;
  IF NOT FOUND OR v_incident.notify_at IS NULL OR v_incident.notify_at > now() THEN
    RETURN NULL;
  END IF;
  IF v_incident.status = 'resolved' AND v_incident.last_notified_kind IS DISTINCT FROM 'firing' THEN
    UPDATE app.alert_incidents i SET notify_at = NULL, updated_at = now() WHERE i.id = p_incident_id;
    RETURN NULL;
  END IF;
  v_kind := CASE WHEN v_incident.status = 'resolved' THEN 'resolved' ELSE 'firing' END::app.alert_notification_kind;
  v_notification_id := app._alert_notification_create(p_incident_id, v_kind);
  SELECT t.repeat_interval INTO v_repeat FROM app._alert_incident_timers(v_incident.rule_id) t;
  UPDATE app.alert_incidents i
     SET last_notified_at = now(), last_notified_kind = v_kind, notifications_sent = i.notifications_sent + 1,
         notified_event_count = (SELECT n.event_count FROM app.alert_notifications n WHERE n.id = v_notification_id),
         notify_at = CASE WHEN v_kind = 'firing' THEN now() + v_repeat END, updated_at = now()
   WHERE i.id = p_incident_id;
  RETURN v_notification_id;
END $$;
COMMENT ON FUNCTION app.alert_notify(uuid) IS
  'Send an incident''s due notification (firing or resolved) and schedule the next (repeat interval); returns the notification id';

CREATE OR REPLACE FUNCTION app.alert_notify_due() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_incident_id uuid;
  v_sent integer := 0;
BEGIN
  FOR v_incident_id IN
    SELECT i.id FROM app.alert_incidents i WHERE i.notify_at <= now() ORDER BY i.notify_at, i.id FOR UPDATE SKIP LOCKED
  LOOP
    IF app.alert_notify(v_incident_id) IS NOT NULL THEN
      v_sent := v_sent + 1;
    END IF;
  END LOOP;
  RETURN v_sent;
END $$;
COMMENT ON FUNCTION app.alert_notify_due() IS 'Send every notification that is due (group wait over, group interval tick, repeat); returns how many';

-- A test notification through a rule's destinations (muted or not; broken ones are skipped):
-- its own incident, marked is_test and resolved at once.
CREATE OR REPLACE FUNCTION app.alert_test(p_rule_id uuid) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_rule app.error_alerts;
  v_incident_id uuid;
  v_notification_id uuid;
BEGIN
  SELECT * INTO v_rule FROM app.error_alerts r WHERE r.id = p_rule_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'alert rule % not found', p_rule_id USING ERRCODE = 'QNA01',
      DETAIL = 'Field: rule_id.', HINT = 'List rules with pgwarden alerts list.';
  END IF;
  INSERT INTO app.alert_incidents (organization_id, rule_id, alert_type, status, severity, title, is_test, resolved_at)
  VALUES (v_rule.organization_id, v_rule.id, v_rule.alert_type, 'resolved', 'info',
          'Test notification from pgwarden' || coalesce(': ' || v_rule.name, ''), true, now())
  RETURNING id INTO v_incident_id;
  v_notification_id := app._alert_notification_create(v_incident_id, 'test', v_rule.id);
  UPDATE app.alert_incidents i SET last_notified_at = now(), last_notified_kind = 'test', notifications_sent = 1
   WHERE i.id = v_incident_id;
  RETURN v_notification_id;
END $$;
COMMENT ON FUNCTION app.alert_test(uuid) IS 'Send a test notification (kind test) to a rule''s destinations; returns the notification id';

GRANT EXECUTE ON FUNCTION app.alert_signal_events(app.alert_signals), app.alert_correlation_text(uuid),
  app.alert_rfc3339(timestamptz), app.alert_duration_text(interval)
  TO staff, org_owner, system_admin;
GRANT EXECUTE ON FUNCTION app.alert_test(uuid) TO org_owner, system_admin;
