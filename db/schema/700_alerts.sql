-- Alerting: rules are the spec's error_alerts rows (130_error_alerts.sql) with our columns appended
-- (as ALTER TABLE puts them); firings open incidents, incidents send notifications, and every
-- notification is delivered per destination by an alerts.deliver job whose attempts are recorded.
--
--   rule condition holds --> signal (one open per rule and dedup key) --> incident (signals of one
--   problem: correlated errors + health share one) --> notification (firing | resolved | test, timed
--   by group_wait / group_interval / repeat_interval) --> delivery (one per destination) --> attempts
--
-- Functions: db/functions/app/7x0_alerts_*.sql; triggers: db/triggers/700_alerts.sql; the API:
-- db/functions/api/700_alerts.sql.

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QVA01', 400, 'unknown key in an alert rule''s trigger_conditions'),
  ('QVA02', 400, 'an alert rule''s trigger_conditions value has the wrong type or is out of range'),
  ('QVA03', 400, 'a required trigger_conditions key is missing'),
  ('QVA04', 400, 'alert rule destination (recipients, webhook_url, routing key) invalid for its channel'),
  ('QVA05', 400, 'invalid alert rule setting (timers, format, name, a read-only field)'),
  ('QNA01', 404, 'alert rule not found');

-- == Enums ==

CREATE TYPE app.alert_incident_status AS ENUM (
  'firing',    -- at least one of its signals holds
  'resolved'   -- every signal cleared (monitor healthy again, spike over, error resolved)
);
COMMENT ON TYPE app.alert_incident_status IS 'Incident life cycle: firing -> resolved';

CREATE TYPE app.alert_notification_kind AS ENUM (
  'firing',    -- first notice, an update (signals joined or cleared) or a repeat
  'resolved',  -- the incident cleared after a firing notice went out
  'test'       -- pgwarden alerts test / api.test_alert
);
COMMENT ON TYPE app.alert_notification_kind IS 'What a notification says about its incident';

CREATE TYPE app.alert_delivery_status AS ENUM (
  'queued',      -- its alerts.deliver job waits for run_at and a worker
  'retrying',    -- an attempt failed; the job runs again at next_retry_at
  'delivered',   -- the channel accepted it
  'failed',      -- out of attempts, or a permanent error
  'suppressed'   -- not sent: the destination is broken
);
COMMENT ON TYPE app.alert_delivery_status IS 'Delivery life cycle: queued -> delivered | retrying -> ... | failed; suppressed';

-- == Settings ==

CREATE TABLE app.alert_settings (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  description text NOT NULL
);
COMMENT ON TABLE app.alert_settings IS 'Alerting tunables: correlation window, PagerDuty endpoint, delivery attempts, pacing, retention';
ALTER TABLE app.alert_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_settings_system_admin ON app.alert_settings TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON app.alert_settings TO system_admin;

INSERT INTO app.alert_settings (key, value, description) VALUES
  ('correlation_window_seconds', '600',
   'an error signal and a health signal of one service or organization this close together are one incident'),
  ('pagerduty_events_url', '"https://events.pagerduty.com"',
   'base URL of the PagerDuty Events API; deliveries post to {base}/v2/enqueue (tests point it at 127.0.0.1)'),
  ('delivery_max_attempts', '12', 'attempts per delivery before it fails (backoff: app.job_setting)'),
  ('pace_seconds', '{"slack": 1, "pagerduty": 0.5, "apprise": 1, "webhook": 0, "email": 0}',
   'minimum spacing of deliveries to one destination address, per channel (Slack allows 1 message/s per webhook)'),
  ('spike_min_count', '10', 'an error_spike rule with baseline_factor fires only from this many events in its window'),
  ('history_retention_days', '90', 'resolved incidents (with their notifications, deliveries, attempts), and finished notifications of open ones, are kept this long');

-- == Rules: our columns on the spec's error_alerts ==

ALTER TABLE app.error_alerts
  ADD COLUMN name varchar(200),
  ADD COLUMN webhook_format text NOT NULL DEFAULT 'standard',
  ADD COLUMN pagerduty_routing_key text,
  ADD COLUMN signing_secret text,
  ADD COLUMN group_wait_seconds integer,
  ADD COLUMN group_interval_seconds integer NOT NULL DEFAULT 300,
  ADD COLUMN repeat_interval_seconds integer NOT NULL DEFAULT 14400,
  ADD COLUMN send_resolved boolean NOT NULL DEFAULT true,
  ADD COLUMN muted_until timestamptz,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT error_alerts_webhook_format_check CHECK (webhook_format IN ('standard', 'pagerduty', 'apprise')),
  ADD CONSTRAINT error_alerts_group_wait_seconds_check CHECK (group_wait_seconds BETWEEN 0 AND 3600),
  ADD CONSTRAINT error_alerts_group_interval_seconds_check CHECK (group_interval_seconds BETWEEN 1 AND 86400),
  ADD CONSTRAINT error_alerts_repeat_interval_seconds_check CHECK (repeat_interval_seconds BETWEEN 60 AND 604800);
COMMENT ON COLUMN app.error_alerts.organization_id IS 'The organization whose rule it is; NULL = a platform rule (system admins)';
COMMENT ON COLUMN app.error_alerts.webhook_format IS
  'channel webhook only: standard (signed JSON, Standard Webhooks), pagerduty (Events API v2), apprise (an Apprise URL)';
COMMENT ON COLUMN app.error_alerts.pagerduty_routing_key IS 'PagerDuty integration key (secret: never readable through the API)';
COMMENT ON COLUMN app.error_alerts.signing_secret IS
  'Standard Webhooks signing secret (whsec_ + base64 of 32 random bytes); shown once, then by pgwarden alerts secret';
COMMENT ON COLUMN app.error_alerts.group_wait_seconds IS 'Wait before an incident''s first notification; NULL: 30 for error_spike, else 0';
COMMENT ON COLUMN app.error_alerts.group_interval_seconds IS 'At most one notification per incident per this many seconds; what arrives meanwhile is summarised';
COMMENT ON COLUMN app.error_alerts.repeat_interval_seconds IS 'A firing incident is notified again after this long without changes';
COMMENT ON COLUMN app.error_alerts.send_resolved IS 'Whether a resolved notification follows a firing one';
COMMENT ON COLUMN app.error_alerts.muted_until IS 'Snoozed: the rule neither fires nor notifies before this time';
CREATE INDEX idx_error_alerts_type_active ON app.error_alerts (alert_type, organization_id) WHERE is_active;

-- Org owners write their organization's rules; platform rules (organization_id NULL) stay with
-- system admins (their policy already allows everything). Secrets are never selectable.
CREATE POLICY error_alerts_owner_insert ON app.error_alerts FOR INSERT TO org_owner
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
CREATE POLICY error_alerts_owner_update ON app.error_alerts FOR UPDATE TO org_owner
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
CREATE POLICY error_alerts_owner_delete ON app.error_alerts FOR DELETE TO org_owner
  USING (organization_id = (SELECT app.current_org_id()));
REVOKE SELECT ON app.error_alerts FROM staff, org_owner, system_admin;
GRANT SELECT (id, alert_type, channel, trigger_conditions, recipients, webhook_url, is_active, last_triggered_at,
              trigger_count, created_by, created_at, organization_id, name, webhook_format, group_wait_seconds,
              group_interval_seconds, repeat_interval_seconds, send_resolved, muted_until, updated_at)
  ON app.error_alerts TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE, DELETE ON app.error_alerts TO org_owner, system_admin;

-- == What trigger_conditions may hold, per alert type ==

CREATE TABLE app.alert_condition_keys (
  alert_type  app.alert_type_enum NOT NULL,
  key         text NOT NULL,
  value_type  text NOT NULL CONSTRAINT alert_condition_keys_value_type_check
    CHECK (value_type IN ('boolean', 'integer', 'number', 'text', 'text_array', 'integer_array')),
  enum_type   regtype,
  allowed     text[],
  pattern     text,
  min_value   numeric,
  max_value   numeric,
  description text NOT NULL,
  CONSTRAINT alert_condition_keys_pkey PRIMARY KEY (alert_type, key)
);
COMMENT ON TABLE app.alert_condition_keys IS $$The keys trigger_conditions may hold per alert_type, with their types.

Text values (and array elements) must be labels of enum_type, or of allowed when given, or match
pattern; numbers lie within min_value..max_value. Anything else is QVA01 (unknown key) or QVA02.$$;
ALTER TABLE app.alert_condition_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_condition_keys_read ON app.alert_condition_keys FOR SELECT TO staff, org_owner, system_admin USING (true);
GRANT SELECT ON app.alert_condition_keys TO staff, org_owner, system_admin;

INSERT INTO app.alert_condition_keys (alert_type, key, value_type, enum_type, allowed, pattern, min_value, max_value, description) VALUES
  ('critical_error', 'severity_at_least', 'text', 'app.severity_enum', NULL, NULL, NULL, NULL,
   'the error group''s severity is at least this (default critical)'),
  ('critical_error', 'new_only', 'boolean', NULL, NULL, NULL, NULL, NULL,
   'only new and regressed groups fire (default false: also a group seen again, once a minute)'),
  ('critical_error', 'error_types', 'text_array', 'app.error_type_enum', NULL, NULL, NULL, NULL,
   'only these error types (default: all)'),
  ('critical_error', 'project_ids', 'integer_array', NULL, NULL, NULL, 1, NULL, 'only events of these projects (default: all)'),
  ('error_spike', 'threshold', 'integer', NULL, NULL, NULL, 1, NULL, 'fires at this many events in the window'),
  ('error_spike', 'window_minutes', 'integer', NULL, NULL, NULL, 1, 1440, 'the window, minutes (default 5)'),
  ('error_spike', 'baseline_factor', 'number', NULL, NULL, NULL, 1, 1000,
   'fires at this many times the events of the same hour a week earlier (scaled to the window)'),
  ('error_spike', 'min_count', 'integer', NULL, NULL, NULL, 1, NULL,
   'baseline_factor fires only from this many events (default: alert_settings spike_min_count)'),
  ('health_degraded', 'services', 'text_array', NULL, NULL, '^[a-z0-9][a-z0-9_.-]*$', NULL, NULL,
   'only these services (default: all monitors the rule may see)'),
  ('health_degraded', 'status_at_least', 'text', NULL, ARRAY['degraded', 'unhealthy'], NULL, NULL, NULL,
   'the monitor''s state is at least this bad (default degraded)'),
  ('health_degraded', 'for_minutes', 'integer', NULL, NULL, NULL, 0, 1440, 'for at least this long (default 0)'),
  ('uptime_incident', 'services', 'text_array', NULL, NULL, '^[a-z0-9][a-z0-9_.-]*$', NULL, NULL,
   'only these services (default: all monitors the rule may see)'),
  ('uptime_incident', 'statuses', 'text_array', 'app.uptime_status_enum', NULL, NULL, NULL, NULL,
   'the uptime statuses that fire (default partial_outage and major_outage)'),
  ('new_user_report', 'priority_at_least', 'text', 'app.priority_enum', NULL, NULL, NULL, NULL,
   'the report''s priority is at least this (default low)'),
  ('new_user_report', 'report_types', 'text_array', 'app.report_type_enum', NULL, NULL, NULL, NULL,
   'only these report types (default: all)');

-- == Destinations: where a rule's notifications go ==

-- One row per address a rule sends to (its recipients, webhook URL or routing key), kept in step
-- with the rule by a trigger. address holds secrets (Slack URLs, routing keys) and is not
-- selectable by API roles; label is what people see.
CREATE TABLE app.alert_destinations (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id         uuid NOT NULL REFERENCES app.error_alerts (id) ON DELETE CASCADE,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  channel         text NOT NULL CONSTRAINT alert_destinations_channel_check
    CHECK (channel IN ('email', 'slack', 'webhook', 'pagerduty', 'apprise', 'in_app')),
  address         text NOT NULL,
  address_hash    text NOT NULL,
  label           text NOT NULL,
  broken_at       timestamptz,
  broken_reason   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alert_destinations_rule_address_key UNIQUE (rule_id, address_hash)
);
COMMENT ON TABLE app.alert_destinations IS $$Where a rule's notifications go: one row per recipient, webhook, routing key or in-app audience.

A destination the channel refused for good (Slack no_service, HTTP 410, a rejected routing key,
an SMTP recipient refused) is broken: it receives nothing until its rule's address changes or an
admin clears the mark (pgwarden alerts edit RULE --clear-broken).$$;
COMMENT ON COLUMN app.alert_destinations.address IS 'e-mail address, webhook or Apprise URL, routing key, or in-app role / user (secret-bearing)';
COMMENT ON COLUMN app.alert_destinations.address_hash IS 'sha256 of channel:address: deliveries are paced per address, whichever rules share it';
COMMENT ON COLUMN app.alert_destinations.label IS 'The address with its secret parts cut (what the API and CLI show)';
CREATE INDEX idx_alert_destinations_org ON app.alert_destinations (organization_id);

ALTER TABLE app.alert_destinations ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_destinations_system_admin ON app.alert_destinations FOR SELECT TO system_admin USING (true);
CREATE POLICY alert_destinations_own_org ON app.alert_destinations FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT (id, rule_id, organization_id, channel, label, broken_at, broken_reason, created_at)
  ON app.alert_destinations TO staff, org_owner, system_admin;

-- == Incidents and their signals ==

CREATE TABLE app.alert_incidents (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id      uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  rule_id              uuid REFERENCES app.error_alerts (id) ON DELETE SET NULL,
  alert_type           app.alert_type_enum NOT NULL,
  status               app.alert_incident_status NOT NULL DEFAULT 'firing',
  severity             app.severity_enum NOT NULL,
  title                text NOT NULL,
  service              text,
  is_test              boolean NOT NULL DEFAULT false,
  started_at           timestamptz NOT NULL DEFAULT now(),
  resolved_at          timestamptz,
  notify_at            timestamptz,
  last_notified_at     timestamptz,
  last_notified_kind   app.alert_notification_kind,
  notifications_sent   integer NOT NULL DEFAULT 0,
  notified_event_count bigint NOT NULL DEFAULT 0,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alert_incidents_resolved_check CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
COMMENT ON TABLE app.alert_incidents IS $$One problem, notified as one: the signals of one rule and dedup key, plus correlated ones.

An error spike or critical error and a health degradation of the same organization (or of a
platform monitor whose service the errors name) within the correlation window share one
incident. Timers (group_wait, group_interval, repeat_interval) are those of rule_id, the rule
whose signal opened it; notify_at is when the next notification is due.$$;
COMMENT ON COLUMN app.alert_incidents.organization_id IS 'The organization affected (NULL: platform-wide, e.g. a platform monitor)';
COMMENT ON COLUMN app.alert_incidents.rule_id IS 'The rule whose signal opened the incident (its timers apply)';
COMMENT ON COLUMN app.alert_incidents.notify_at IS 'When the next notification is due (group wait, group interval or repeat); NULL: none pending';
COMMENT ON COLUMN app.alert_incidents.notified_event_count IS 'Events counted at the last notification ("and N more events" counts from here)';
CREATE INDEX idx_alert_incidents_notify ON app.alert_incidents (notify_at) WHERE notify_at IS NOT NULL;
CREATE INDEX idx_alert_incidents_org ON app.alert_incidents (organization_id, started_at DESC);
CREATE INDEX idx_alert_incidents_resolved ON app.alert_incidents (resolved_at) WHERE status = 'resolved';

CREATE TABLE app.alert_signals (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id     uuid NOT NULL REFERENCES app.alert_incidents (id) ON DELETE CASCADE,
  rule_id         uuid REFERENCES app.error_alerts (id) ON DELETE SET NULL,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  alert_type      app.alert_type_enum NOT NULL,
  dedup_key       text NOT NULL,
  service         text,
  severity        app.severity_enum NOT NULL,
  title           text NOT NULL,
  facts           jsonb NOT NULL DEFAULT '{}',
  event_count     bigint NOT NULL DEFAULT 1,
  started_at      timestamptz NOT NULL DEFAULT now(),
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz
);
COMMENT ON TABLE app.alert_signals IS 'One firing of a rule for one dedup key (error:<id>, spike:<org>, monitor:<id>, report:<id>), from first seen until it clears';
COMMENT ON COLUMN app.alert_signals.facts IS 'What fired: error id and counts, spike window and counts, monitor status, report; read by the notification text';
CREATE UNIQUE INDEX alert_signals_open_key ON app.alert_signals (rule_id, dedup_key) WHERE resolved_at IS NULL;
CREATE INDEX idx_alert_signals_incident ON app.alert_signals (incident_id);
CREATE INDEX idx_alert_signals_open_dedup ON app.alert_signals (dedup_key) WHERE resolved_at IS NULL;
-- correlation looks for open signals of the other class started within the window
CREATE INDEX idx_alert_signals_open_type ON app.alert_signals (alert_type, started_at) WHERE resolved_at IS NULL;

-- == Notifications, deliveries, attempts (the spec's alert history) ==

CREATE TABLE app.alert_notifications (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  incident_id     uuid NOT NULL REFERENCES app.alert_incidents (id) ON DELETE CASCADE,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  kind            app.alert_notification_kind NOT NULL,
  content         jsonb NOT NULL,
  event_count     bigint NOT NULL,
  new_since_last  bigint NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.alert_notifications IS 'What was said about an incident, once: its content is the "notification" of every delivery''s job payload';
CREATE INDEX idx_alert_notifications_incident ON app.alert_notifications (incident_id, created_at);
-- the Overview's latest alerts of an organization, newest first
CREATE INDEX idx_alert_notifications_org_created ON app.alert_notifications (organization_id, created_at DESC);

CREATE TABLE app.alert_deliveries (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  notification_id uuid NOT NULL REFERENCES app.alert_notifications (id) ON DELETE CASCADE,
  incident_id     uuid NOT NULL REFERENCES app.alert_incidents (id) ON DELETE CASCADE,
  rule_id         uuid REFERENCES app.error_alerts (id) ON DELETE SET NULL,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  destination_id  bigint REFERENCES app.alert_destinations (id) ON DELETE SET NULL,
  channel         text NOT NULL,
  recipient       text NOT NULL,
  address_hash    text NOT NULL,
  status          app.alert_delivery_status NOT NULL DEFAULT 'queued',
  job_id          bigint,
  run_at          timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error      text,
  next_retry_at   timestamptz,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.alert_deliveries IS 'One notification to one destination, sent by one alerts.deliver job (idempotency key delivery:<id>)';
COMMENT ON COLUMN app.alert_deliveries.organization_id IS 'The organization of the rule that sent it (NULL: a platform rule)';
COMMENT ON COLUMN app.alert_deliveries.recipient IS 'The destination''s label (secrets cut)';
COMMENT ON COLUMN app.alert_deliveries.address_hash IS 'The destination address''s hash: deliveries to one address are paced';
COMMENT ON COLUMN app.alert_deliveries.run_at IS 'When it may be sent first (paced per destination address)';
CREATE INDEX idx_alert_deliveries_notification ON app.alert_deliveries (notification_id);
CREATE INDEX idx_alert_deliveries_rule ON app.alert_deliveries (rule_id, created_at DESC);
CREATE INDEX idx_alert_deliveries_org ON app.alert_deliveries (organization_id, created_at DESC);
CREATE INDEX idx_alert_deliveries_incident ON app.alert_deliveries (incident_id);
CREATE INDEX idx_alert_deliveries_pacing ON app.alert_deliveries (address_hash, run_at);

CREATE TABLE app.alert_delivery_attempts (
  delivery_id       uuid NOT NULL REFERENCES app.alert_deliveries (id) ON DELETE CASCADE,
  attempt           integer NOT NULL,
  organization_id   uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  outcome           text NOT NULL CONSTRAINT alert_delivery_attempts_outcome_check
    CHECK (outcome IN ('delivered', 'retry', 'failed')),
  status_code       integer,
  latency_ms        numeric,
  provider_response text,
  provider_error    text,
  broken            boolean NOT NULL DEFAULT false,
  worker            text,
  next_retry_at     timestamptz,
  attempted_at      timestamptz NOT NULL,
  CONSTRAINT alert_delivery_attempts_pkey PRIMARY KEY (delivery_id, attempt)
);
COMMENT ON TABLE app.alert_delivery_attempts IS 'Every attempt of a delivery, from its job''s failures (details) and result';
COMMENT ON COLUMN app.alert_delivery_attempts.attempt IS '1, 2, ... in the order the job made them (an admin retry of a dead job continues the count)';
COMMENT ON COLUMN app.alert_delivery_attempts.broken IS 'The channel refused the destination for good: it is marked broken';

-- == In-app notifications ==

CREATE TABLE app.alert_in_app_notifications (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  delivery_id     uuid NOT NULL REFERENCES app.alert_deliveries (id) ON DELETE CASCADE,
  incident_id     uuid NOT NULL REFERENCES app.alert_incidents (id) ON DELETE CASCADE,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  recipient_role  text CONSTRAINT alert_in_app_notifications_recipient_role_check
    CHECK (recipient_role IN ('system_admin', 'org_owner', 'staff')),
  user_id         uuid REFERENCES app.users (id) ON DELETE CASCADE,
  kind            app.alert_notification_kind NOT NULL,
  severity        app.severity_enum NOT NULL,
  title           text NOT NULL,
  body            text NOT NULL,
  link            text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  read_at         timestamptz,
  CONSTRAINT alert_in_app_notifications_recipient_check CHECK ((recipient_role IS NULL) <> (user_id IS NULL))
);
COMMENT ON TABLE app.alert_in_app_notifications IS 'Notifications shown in the app, to everyone of a role in an organization or to one user; NOTIFY alerts:in_app announces them';
CREATE INDEX idx_alert_in_app_notifications_org ON app.alert_in_app_notifications (organization_id, created_at DESC);
CREATE INDEX idx_alert_in_app_notifications_user ON app.alert_in_app_notifications (user_id, created_at DESC);

-- == Row-level security: system admins see all; org owners and staff their organization's ==

ALTER TABLE app.alert_incidents ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_incidents_system_admin ON app.alert_incidents FOR SELECT TO system_admin USING (true);
CREATE POLICY alert_incidents_own_org ON app.alert_incidents FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
ALTER TABLE app.alert_signals ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_signals_system_admin ON app.alert_signals FOR SELECT TO system_admin USING (true);
CREATE POLICY alert_signals_own_org ON app.alert_signals FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
ALTER TABLE app.alert_notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_notifications_system_admin ON app.alert_notifications FOR SELECT TO system_admin USING (true);
CREATE POLICY alert_notifications_own_org ON app.alert_notifications FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
ALTER TABLE app.alert_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_deliveries_system_admin ON app.alert_deliveries FOR SELECT TO system_admin USING (true);
CREATE POLICY alert_deliveries_own_org ON app.alert_deliveries FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
ALTER TABLE app.alert_delivery_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_delivery_attempts_system_admin ON app.alert_delivery_attempts FOR SELECT TO system_admin USING (true);
CREATE POLICY alert_delivery_attempts_own_org ON app.alert_delivery_attempts FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.alert_incidents, app.alert_signals, app.alert_notifications, app.alert_deliveries,
  app.alert_delivery_attempts TO staff, org_owner, system_admin;

-- In-app notifications: only their recipients (a role within the organization, or one user).
ALTER TABLE app.alert_in_app_notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_in_app_notifications_recipient ON app.alert_in_app_notifications
  TO staff, org_owner, system_admin
  USING (user_id = (SELECT app.current_user_id())
         OR (recipient_role = current_user
             AND (current_user = 'system_admin' OR organization_id = (SELECT app.current_org_id()))))
  WITH CHECK (user_id = (SELECT app.current_user_id())
              OR (recipient_role = current_user
                  AND (current_user = 'system_admin' OR organization_id = (SELECT app.current_org_id()))));
GRANT SELECT, UPDATE (read_at) ON app.alert_in_app_notifications TO staff, org_owner, system_admin;
