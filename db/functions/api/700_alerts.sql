-- Alerting over HTTP: rules (readable by staff, writable by org owners for their organization
-- and by system admins for all, platform rules included), incidents, notifications, deliveries
-- and their attempts (the alert history), in-app notifications for their recipients.
-- Row-level security decides every row; secrets (signing secrets, routing keys, Slack and
-- Apprise URLs) never appear in a read.

-- == Rules ==

CREATE VIEW api.error_alerts WITH (security_invoker = true) AS
  SELECT r.id, r.alert_type, r.channel, r.trigger_conditions, r.recipients,
         app.alert_rule_url_label(r.channel, r.webhook_format, r.webhook_url)::varchar(2000) AS webhook_url,
         r.is_active, r.last_triggered_at, r.trigger_count, r.created_by, r.created_at,
         r.organization_id, r.name, r.webhook_format, r.group_wait_seconds, r.group_interval_seconds,
         r.repeat_interval_seconds, r.send_resolved, r.muted_until, r.updated_at,
         NULL::text AS pagerduty_routing_key, NULL::text AS signing_secret,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'channel', d.channel, 'recipient', d.label,
                                                       'broken_at', d.broken_at, 'broken_reason', d.broken_reason)
                                    ORDER BY d.id), '[]')
            FROM app.alert_destinations d WHERE d.rule_id = r.id) AS destinations,
         (SELECT count(*) FROM app.alert_signals s WHERE s.rule_id = r.id AND s.resolved_at IS NULL) AS open_signals
    FROM app.error_alerts r;
COMMENT ON VIEW api.error_alerts IS $$Alert rules

Platform rules (organization_id null; system admins) and your organization's. POST, PATCH and
DELETE as org_owner (your organization's rules) or system_admin. trigger_conditions is checked
per alert_type (GET /alert_condition_keys): an unknown key is QVA01, a wrong value QVA02, a
missing one QVA03, each naming the key in details. Channels: email (recipients), slack
(webhook_url), webhook (webhook_url; webhook_format standard = signed JSON, pagerduty = Events
API v2 with pagerduty_routing_key, apprise = an Apprise URL) and in_app (recipients: roles or
users; default the rule's owners). A standard webhook's signing_secret is returned once, in the
answer to the POST that creates it (Prefer: return=representation); rotate it with
/rpc/rotate_alert_secret. Secrets never appear in reads: webhook_url is shown cut, routing keys
not at all. destinations lists where notifications go, with broken_at when a channel refused
one for good (it then receives nothing). group_wait_seconds null means 30 for error_spike and
0 otherwise; muted_until snoozes the rule.$$;
COMMENT ON COLUMN api.error_alerts.webhook_url IS 'Where it posts, with secret parts cut (Slack and Apprise paths, query strings)';
COMMENT ON COLUMN api.error_alerts.pagerduty_routing_key IS 'Write-only: the PagerDuty integration key (reads are null)';
COMMENT ON COLUMN api.error_alerts.signing_secret IS 'The Standard Webhooks secret, returned once when a standard webhook rule is created';
COMMENT ON COLUMN api.error_alerts.destinations IS 'Where notifications go: channel, recipient (cut), broken_at and broken_reason';
COMMENT ON COLUMN api.error_alerts.open_signals IS 'How many of its firings are open now';
GRANT SELECT ON api.error_alerts TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE, DELETE ON api.error_alerts TO org_owner, system_admin;

-- Writes through the view: the row-level security of app.error_alerts decides (invoker rights).
-- An update passes only the fields that changed, so a cut webhook_url read back is no change.
CREATE OR REPLACE FUNCTION app.tg_error_alerts_api__write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid;
  v_secret text;
  v_changes jsonb;
  v_row jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM app.error_alerts r WHERE r.id = OLD.id;
    RETURN CASE WHEN FOUND THEN OLD END;
  ELSIF TG_OP = 'INSERT' THEN
    SELECT c.id, c.signing_secret INTO v_id, v_secret FROM app.alert_rule_create(jsonb_strip_nulls(to_jsonb(NEW))) c;
  ELSE
    SELECT jsonb_object_agg(n.key, n.value) INTO v_changes
      FROM jsonb_each(to_jsonb(NEW)) n WHERE n.value IS DISTINCT FROM to_jsonb(OLD) -> n.key;
    SELECT c.id, c.signing_secret INTO v_id, v_secret FROM app.alert_rule_update(OLD.id, coalesce(v_changes, '{}')) c;
  END IF;
  -- the row as the view shows it (dynamic: app must not depend on api)
  EXECUTE 'SELECT to_jsonb(v) FROM api.error_alerts v WHERE v.id = $1' INTO v_row USING v_id;
  NEW := jsonb_populate_record(NEW, v_row || jsonb_build_object('signing_secret', v_secret));
  RETURN NEW;
END $$;
COMMENT ON FUNCTION app.tg_error_alerts_api__write() IS
  'INSERT, UPDATE and DELETE on api.error_alerts: create or change the rule (signing secret returned once), or delete it';

CREATE TRIGGER error_alerts_write INSTEAD OF INSERT OR UPDATE OR DELETE ON api.error_alerts
  FOR EACH ROW EXECUTE FUNCTION app.tg_error_alerts_api__write();

CREATE VIEW api.alert_condition_keys WITH (security_invoker = true) AS
  SELECT k.alert_type, k.key, k.value_type,
         coalesce(k.allowed, (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e
                               WHERE e.enumtypid = k.enum_type)) AS allowed_values,
         k.min_value, k.max_value, k.description
    FROM app.alert_condition_keys k;
COMMENT ON VIEW api.alert_condition_keys IS $$What trigger_conditions may hold, per alert_type

value_type is boolean, integer, number, text, text_array or integer_array; text values must be
one of allowed_values when given; numbers lie within min_value..max_value.$$;
GRANT SELECT ON api.alert_condition_keys TO staff, org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.rotate_alert_secret(rule_id text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_state text; v_message text; v_detail text; v_hint text;
BEGIN
  RETURN app.alert_rule_rotate_secret(app.uuid_of(rotate_alert_secret.rule_id, 'rule_id'));
EXCEPTION WHEN SQLSTATE 'QV000' OR SQLSTATE 'QN000' OR SQLSTATE 'QS000' OR SQLSTATE 'QR000' OR SQLSTATE 'QA000' THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
    v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
  PERFORM app.raise_http(v_state, v_message, v_detail, v_hint);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION api.rotate_alert_secret(text) IS $$Give a standard webhook rule a new signing secret

Returns the new whsec_ secret, this once; deliveries enqueued from now on are signed with it.
404 (QNA01) for a rule you cannot write or that is not a standard webhook.

Parameters:
- rule_id: the standard-webhook alert rule (UUID)

Errors: QV001 400 (rule_id is not a UUID, named in details), QNA01 404 (rule not found, not yours to write, or not a standard webhook).

Example: curl -X POST "$API/rpc/rotate_alert_secret" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"rule_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.rotate_alert_secret(text) TO org_owner, system_admin;

-- ids as text, read by app.uuid_of: typed uuid, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.test_alert(rule_id text) RETURNS uuid
LANGUAGE plpgsql AS $$
BEGIN
  -- row-level security: another organization's rule reads as not found
  IF NOT EXISTS (SELECT FROM app.error_alerts r WHERE r.id = app.uuid_of(test_alert.rule_id, 'rule_id')) THEN
    PERFORM app.raise_http('QNA01', format('alert rule %s not found', app.uuid_of(test_alert.rule_id, 'rule_id')), 'Field: rule_id.',
                           'List your rules with GET /error_alerts.');
  END IF;
  RETURN app.alert_test(app.uuid_of(test_alert.rule_id, 'rule_id'));
END $$;
COMMENT ON FUNCTION api.test_alert(text) IS $$Send a test notification through a rule's destinations

Creates a notification of kind test (its own incident, marked is_test) and one delivery per
destination, sent by the workers like any other; returns the notification id. Follow it in
/alert_deliveries?notification_id=eq.<id>. 404 for a rule you cannot see.

Parameters:
- rule_id: the alert rule (UUID)

Errors: QV001 400 (rule_id is not a UUID, named in details), QNA01 404 (rule not found).

Example: curl -X POST "$API/rpc/test_alert" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"rule_id": "uuid"}'$$;
GRANT EXECUTE ON FUNCTION api.test_alert(text) TO org_owner, system_admin;

-- == History ==

CREATE VIEW api.alert_incidents WITH (security_invoker = true) AS
  SELECT i.id, i.organization_id, i.rule_id, i.alert_type, i.status, i.severity, i.title, i.service, i.is_test,
         i.started_at, i.resolved_at, i.notifications_sent, i.last_notified_at, i.last_notified_kind,
         i.notify_at AS next_notification_at, app.alert_correlation_text(i.id) AS correlation,
         (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'rule_id', s.rule_id, 'alert_type', s.alert_type, 'dedup_key', s.dedup_key, 'title', s.title,
                   'severity', s.severity, 'service', s.service, 'started_at', s.started_at,
                   'last_seen_at', s.last_seen_at, 'resolved_at', s.resolved_at, 'events', app.alert_signal_events(s))
                 ORDER BY s.started_at, s.id), '[]')
            FROM app.alert_signals s WHERE s.incident_id = i.id) AS signals
    FROM app.alert_incidents i;
COMMENT ON VIEW api.alert_incidents IS $$Alert incidents: what fired, as one problem

One incident per rule and dedup key while it fires (an error group, an organization's error
spike, a monitor, a report); an error spike or critical error and a health degradation of the
same service or organization within ten minutes share one, and correlation says which came
first. signals lists its firings (yours); next_notification_at is when its next notice is due.$$;
GRANT SELECT ON api.alert_incidents TO staff, org_owner, system_admin;

CREATE VIEW api.alert_notifications WITH (security_invoker = true) AS
  SELECT n.id, n.incident_id, n.organization_id, n.kind, n.content ->> 'title' AS title, n.content ->> 'summary' AS summary,
         n.content -> 'fields' AS fields, n.content -> 'links' AS links, n.event_count, n.new_since_last, n.created_at
    FROM app.alert_notifications n;
COMMENT ON VIEW api.alert_notifications IS $$Notifications sent about incidents

firing (first, update or repeat), resolved or test, with the text every channel renders;
new_since_last counts the events since the previous notice ("and N more events").$$;
GRANT SELECT ON api.alert_notifications TO staff, org_owner, system_admin;

CREATE VIEW api.alert_deliveries WITH (security_invoker = true) AS
  SELECT d.id, d.notification_id, d.incident_id, d.rule_id, d.organization_id, n.kind, n.content ->> 'title' AS title,
         d.channel, d.recipient, d.status, d.attempts, d.last_status_code, d.last_error, d.run_at, d.next_retry_at,
         d.delivered_at, d.created_at, d.updated_at
    FROM app.alert_deliveries d LEFT JOIN app.alert_notifications n ON n.id = d.notification_id;
COMMENT ON VIEW api.alert_deliveries IS $$Alert history: one notification to one destination

Deliveries of your organization's rules (all of them for system admins). status: queued,
retrying (next_retry_at), delivered, failed (out of attempts or refused), suppressed (the
destination is broken). Every attempt is in /alert_delivery_attempts.$$;
GRANT SELECT ON api.alert_deliveries TO staff, org_owner, system_admin;

CREATE VIEW api.alert_delivery_attempts WITH (security_invoker = true) AS
  SELECT a.delivery_id, a.attempt, a.organization_id, a.outcome, a.status_code, a.latency_ms, a.provider_response,
         a.provider_error, a.broken, a.next_retry_at, a.attempted_at
    FROM app.alert_delivery_attempts a;
COMMENT ON VIEW api.alert_delivery_attempts IS $$Every attempt of every delivery

outcome delivered, retry (next_retry_at: when the next attempt runs, honouring Retry-After) or
failed; status_code and latency_ms as the channel answered; broken when it refused the
destination for good.$$;
GRANT SELECT ON api.alert_delivery_attempts TO staff, org_owner, system_admin;

-- == In-app notifications ==

CREATE VIEW api.in_app_notifications WITH (security_invoker = true) AS
  SELECT n.id, n.organization_id, n.incident_id, n.kind, n.severity, n.title, n.body, n.link, n.recipient_role,
         n.user_id, n.created_at, n.read_at, n.read_at IS NOT NULL AS is_read
    FROM app.alert_in_app_notifications n;
COMMENT ON VIEW api.in_app_notifications IS $$Your in-app notifications

Those addressed to your role in your organization, or to you. New ones are announced on
NOTIFY alerts:in_app; mark them read with /rpc/mark_notifications_read.$$;
GRANT SELECT ON api.in_app_notifications TO staff, org_owner, system_admin;

-- ids as text, read by app.uuids_of: typed, PostgREST's cast would answer 22P02 before the body runs
CREATE FUNCTION api.mark_notifications_read(ids text[] DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_count integer;
  v_ids uuid[] := app.uuids_of(mark_notifications_read.ids, 'ids');
BEGIN
  UPDATE app.alert_in_app_notifications n SET read_at = now()
   WHERE n.read_at IS NULL AND (v_ids IS NULL OR n.id = ANY (v_ids));
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END $$;
COMMENT ON FUNCTION api.mark_notifications_read(text[]) IS $$Mark in-app notifications read

The given ones (all of yours when ids is left out); returns how many were unread. Others'
notifications are not touched.

Parameters:
- ids: the notifications to mark (array of UUIDs; omitted = all of yours)

Errors: QV001 400 (an id is not a UUID, named in details), QA042 401 (no token).

Example: curl -X POST "$API/rpc/mark_notifications_read" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"ids": ["uuid"]}'$$;
GRANT EXECUTE ON FUNCTION api.mark_notifications_read(text[]) TO staff, org_owner, system_admin;
