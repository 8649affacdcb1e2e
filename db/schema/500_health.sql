-- Health monitoring: monitors as rows, their probe state machine, maintenance windows, settings
-- and the one-minute summary cache. The spec's health_checks and system_uptime (140_health.sql)
-- gain organization_id and monitor_id, appended at the end as ALTER TABLE puts them.

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV501', 400, 'invalid health monitor or maintenance window settings'),
  ('QN501', 404, 'health monitor or service not found'),
  ('QN502', 404, 'heartbeat token not found'),
  ('QN503', 404, 'maintenance window not found'),
  ('QR501', 429, 'too many on-demand health checks this minute');

-- == Enums ==

CREATE TYPE app.health_probe_kind AS ENUM (
  'http',       -- workers.probes.probe_http: api, embed, external, edge functions
  'database',   -- probe_database: SELECT 1 against a DSN (default: this database)
  'stripe',     -- probe_stripe: the stripe SDK against a configurable base address
  'smtp',       -- probe_smtp: connect, EHLO, NOOP
  'sms',        -- probe_sms: the provider's authenticated status call
  'heartbeat'   -- push: nothing is probed; SQL judges the age of the last heartbeat
);
COMMENT ON TYPE app.health_probe_kind IS 'How a monitor is observed: a worker probe (workers.probes.PROBES key) or heartbeat (push)';

-- == Settings ==

CREATE TABLE app.health_settings (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  description text NOT NULL
);
COMMENT ON TABLE app.health_settings IS 'Health tunables (retention, cache, uptime weights) and the stack URLs monitor targets may name as {key}';
ALTER TABLE app.health_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_settings_system_admin ON app.health_settings TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON app.health_settings TO system_admin;

INSERT INTO app.health_settings (key, value, description) VALUES
  ('checks_retention_days', '30', 'health_checks rows older than this are deleted nightly (uptime intervals: uptime_retention_days)'),
  ('summary_cache_seconds', '60', 'get_health_summary and get_status_page serve the cache while it is younger than this'),
  ('partial_outage_weight', '0.3', 'share of partial_outage time counted as downtime (Statuspage and Instatus use 0.3)'),
  ('degraded_weight', '0', 'share of degraded time counted as downtime (Statuspage: 0, degraded counts as up)'),
  ('default_min_tls_days', '14', 'a certificate expiring in fewer days makes an otherwise healthy check degraded'),
  ('run_now_max_wait_seconds', '30', 'system-health-check waits at most this long for probe results'),
  ('probe_grace_seconds', '60', 'a probe not answered within interval + timeout + this is given up and scheduled again'),
  ('api_url', '"http://127.0.0.1:3000"', 'PostgREST base URL ({api_url} in targets); the stack sets it at start'),
  ('web_url', '"http://127.0.0.1:8000"', 'pgwarden web base URL ({web_url} in targets); the stack sets it at start'),
  ('embed_widget_url', 'null', 'URL of a test page that loads the booking widget ({embed_widget_url}); embeds stay disabled until set'),
  ('database_probe_dsn', 'null', 'DSN the database monitor probes; null = this database over its own socket as pgwarden_worker'),
  ('run_now_per_minute', '30', 'system-health-check requests answered per minute (all callers together); more get 429'),
  ('uptime_retention_days', '3650', 'system_uptime intervals that ended longer ago than this are deleted nightly (calculate_uptime reaches back 3650 days)');

-- On-demand health checks (POST /functions/v1/system-health-check, no login) per minute: the cap
-- app.health_run_now applies. Rows older than an hour are deleted as new minutes begin.
CREATE TABLE app.health_run_usage (
  minute  timestamptz PRIMARY KEY,
  runs    integer NOT NULL DEFAULT 0,
  refused integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE app.health_run_usage IS 'On-demand health checks answered (runs) and refused over the cap, per minute';
ALTER TABLE app.health_run_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_run_usage_system_admin ON app.health_run_usage FOR SELECT TO system_admin USING (true);
GRANT SELECT ON app.health_run_usage TO system_admin;

-- == Monitors ==

CREATE TABLE app.health_monitors (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id   uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  service_name      varchar(100) NOT NULL,
  display_name      varchar(255) NOT NULL,
  check_type        app.health_check_type_enum NOT NULL,
  probe             app.health_probe_kind NOT NULL,
  endpoint          varchar(500),
  target            jsonb NOT NULL DEFAULT '{}',
  interval_seconds  integer NOT NULL,
  timeout_seconds   numeric(6, 2) NOT NULL DEFAULT 10,
  failure_threshold integer NOT NULL DEFAULT 3,
  success_threshold integer NOT NULL DEFAULT 2,
  expected          jsonb NOT NULL DEFAULT '{}',
  outage_status     app.uptime_status_enum NOT NULL DEFAULT 'major_outage',
  enabled           boolean NOT NULL DEFAULT true,
  is_public         boolean NOT NULL DEFAULT true,
  heartbeat_token   text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT health_monitors_service_name_key UNIQUE NULLS NOT DISTINCT (organization_id, service_name),
  CONSTRAINT health_monitors_heartbeat_token_key UNIQUE (heartbeat_token),
  CONSTRAINT health_monitors_service_name_check CHECK (service_name ~ '^[a-z0-9][a-z0-9_.-]*$'),
  CONSTRAINT health_monitors_interval_seconds_check CHECK (interval_seconds BETWEEN 1 AND 86400),
  CONSTRAINT health_monitors_timeout_seconds_check CHECK (timeout_seconds > 0 AND timeout_seconds <= 300),
  CONSTRAINT health_monitors_failure_threshold_check CHECK (failure_threshold BETWEEN 1 AND 100),
  CONSTRAINT health_monitors_success_threshold_check CHECK (success_threshold BETWEEN 1 AND 100),
  CONSTRAINT health_monitors_target_check CHECK (jsonb_typeof(target) = 'object'),
  CONSTRAINT health_monitors_expected_check CHECK (jsonb_typeof(expected) = 'object'),
  CONSTRAINT health_monitors_outage_status_check CHECK (outage_status IN ('partial_outage', 'major_outage')),
  -- push monitors, and only they, own a heartbeat token (32 lowercase hex)
  CONSTRAINT health_monitors_heartbeat_token_check CHECK ((probe = 'heartbeat') = (heartbeat_token IS NOT NULL)),
  CONSTRAINT health_monitors_heartbeat_token_format_check CHECK (heartbeat_token ~ '^[0-9a-f]{32}$')
);
COMMENT ON TABLE app.health_monitors IS $$What is monitored and how: one row per service (per organization; NULL = platform-wide).

target is what the probe receives (url, method, headers, dsn, api_base, check, host, port ...);
string values may name health_settings as {key}, and keys ending in _env name an environment
variable of the worker holding a secret (e.g. api_key_env: PGWARDEN_STRIPE_API_KEY), so secrets are
never stored here. expected holds the conditions judged in SQL: status_codes (ints or "200-299"),
body_contains, json_path + json_equals, max_response_time_ms, min_tls_days; heartbeat monitors use
max_age_seconds (default interval_seconds).$$;
COMMENT ON COLUMN app.health_monitors.endpoint IS 'What the probe checks, for people (copied into health_checks.endpoint)';
COMMENT ON COLUMN app.health_monitors.outage_status IS 'Uptime status while unhealthy: major_outage, or partial_outage for a service that fails only in part';
COMMENT ON COLUMN app.health_monitors.is_public IS 'Shown on the public status page (platform-wide monitors only)';
COMMENT ON COLUMN app.health_monitors.heartbeat_token IS 'Secret of POST /functions/v1/heartbeat/<token> (push monitors)';
CREATE INDEX idx_health_monitors_org ON app.health_monitors (organization_id);

-- == State ==

-- One row per monitor, written only by app.health_record_observation and the scheduler.
CREATE TABLE app.health_monitor_state (
  monitor_id            bigint PRIMARY KEY REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  status                app.health_status_enum NOT NULL DEFAULT 'unknown',
  status_since          timestamptz NOT NULL DEFAULT now(),
  consecutive_failures  integer NOT NULL DEFAULT 0,
  consecutive_successes integer NOT NULL DEFAULT 0,
  consecutive_unknown   integer NOT NULL DEFAULT 0,
  unknown_since         timestamptz,
  recent_statuses       app.health_status_enum[] NOT NULL DEFAULT '{}',
  recent_checked_at     timestamptz[] NOT NULL DEFAULT '{}',
  last_status           app.health_status_enum,
  last_checked_at       timestamptz,
  last_response_time_ms integer,
  last_heartbeat_at     timestamptz,
  next_slot_at          timestamptz,
  pending_slot_at       timestamptz,
  open_uptime_id        uuid
);
COMMENT ON TABLE app.health_monitor_state IS $$Per-monitor state machine: status with failure/success hysteresis, and scheduling bookkeeping.

recent_statuses/recent_checked_at hold the latest known observations, newest first. status
worsens to S when the last failure_threshold observations are all at least as bad as S, and
improves to S when the last success_threshold are all at least as good; failure_threshold
unknown observations in a row (the probe could not run) make it unknown.$$;
COMMENT ON COLUMN app.health_monitor_state.next_slot_at IS 'The next scheduled probe time (slots are aligned per monitor, spread over the interval)';
COMMENT ON COLUMN app.health_monitor_state.pending_slot_at IS 'The last enqueued slot while it has no result; an overdue one holds the monitor back (a probe still running is not enqueued again)';
COMMENT ON COLUMN app.health_monitor_state.open_uptime_id IS 'The system_uptime interval open now (ended_at NULL), if any';

-- == Maintenance windows ==

CREATE TABLE app.health_maintenance_windows (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  monitor_id bigint NOT NULL REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  during     tstzrange NOT NULL,
  reason     text,
  created_by uuid REFERENCES app.users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT health_maintenance_windows_during_check
    CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during))
);
COMMENT ON TABLE app.health_maintenance_windows IS 'Planned maintenance: probes keep running and are recorded, but the time is excluded from uptime';
CREATE INDEX idx_health_maintenance_windows_monitor ON app.health_maintenance_windows (monitor_id, lower(during));

-- == Summary cache ==

CREATE TABLE app.health_summary_cache (
  monitor_id      bigint PRIMARY KEY REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  summary         jsonb NOT NULL,
  computed_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.health_summary_cache IS 'get_health_summary entries per monitor, refreshed each minute by pg_cron (the spec caches one minute)';

CREATE TABLE app.health_status_page_cache (
  singleton   boolean PRIMARY KEY DEFAULT true,
  payload     jsonb NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT health_status_page_cache_singleton_check CHECK (singleton)
);
COMMENT ON TABLE app.health_status_page_cache IS 'The public status page document, refreshed with the summary cache';

-- == The spec's tables: who and which monitor ==

ALTER TABLE app.health_checks
  ADD COLUMN organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  ADD COLUMN monitor_id bigint REFERENCES app.health_monitors (id) ON DELETE CASCADE;
CREATE INDEX idx_health_checks_monitor ON app.health_checks (monitor_id, checked_at DESC);
-- retention deletes by age; BRIN stays tiny on an append-only table
CREATE INDEX idx_health_checks_checked_at ON app.health_checks USING brin (checked_at);

ALTER TABLE app.system_uptime
  ADD COLUMN organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  ADD COLUMN monitor_id bigint REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  ADD CONSTRAINT system_uptime_ended_at_check CHECK (ended_at IS NULL OR ended_at >= started_at);
CREATE INDEX idx_system_uptime_monitor ON app.system_uptime (monitor_id, started_at);
CREATE UNIQUE INDEX system_uptime_one_open_key ON app.system_uptime (monitor_id) WHERE ended_at IS NULL;

-- == Row-level security ==
-- Platform-wide monitors (no organization) are read by every signed-in role, as the public status
-- page shows them to everyone; only system admins write.

ALTER TABLE app.health_monitors ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_monitors_system_admin ON app.health_monitors TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY health_monitors_own_org ON app.health_monitors FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.health_monitor_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_monitor_state_system_admin ON app.health_monitor_state TO system_admin USING (true);
CREATE POLICY health_monitor_state_own_org ON app.health_monitor_state FOR SELECT TO org_owner, staff
  USING (EXISTS (SELECT FROM app.health_monitors m WHERE m.id = monitor_id));

ALTER TABLE app.health_maintenance_windows ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_maintenance_windows_system_admin ON app.health_maintenance_windows TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY health_maintenance_windows_own_org ON app.health_maintenance_windows FOR SELECT TO org_owner, staff
  USING (EXISTS (SELECT FROM app.health_monitors m WHERE m.id = monitor_id));

ALTER TABLE app.health_summary_cache ENABLE ROW LEVEL SECURITY;
CREATE POLICY health_summary_cache_system_admin ON app.health_summary_cache TO system_admin USING (true);
CREATE POLICY health_summary_cache_own_org ON app.health_summary_cache FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));

ALTER TABLE app.health_status_page_cache ENABLE ROW LEVEL SECURITY;

CREATE POLICY health_checks_own_org ON app.health_checks FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));
CREATE POLICY system_uptime_own_org ON app.system_uptime FOR SELECT TO org_owner, staff
  USING (organization_id IS NULL OR organization_id = (SELECT app.current_org_id()));

GRANT SELECT ON app.health_monitors, app.health_monitor_state, app.health_maintenance_windows,
  app.health_summary_cache, app.health_checks, app.system_uptime TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE ON app.health_monitors TO system_admin;
GRANT INSERT, UPDATE, DELETE ON app.health_maintenance_windows TO system_admin;

-- == Seed: the spec's monitors (platform-wide) ==

-- Stripe waits for a key (PGWARDEN_STRIPE_API_KEY in the worker's environment) and embeds for
-- a widget test page (setting embed_widget_url): both start disabled.
INSERT INTO app.health_monitors
  (service_name, display_name, check_type, probe, endpoint, target, interval_seconds, timeout_seconds,
   expected, enabled, heartbeat_token)
VALUES
  ('api', 'API Endpoints', 'api', 'http', '/health',
   '{"url": "{web_url}/health"}', 300, 10, '{"status_codes": ["200-299"]}', true, NULL),
  ('database', 'Database', 'database', 'database', 'SELECT 1',
   '{"query": "SELECT 1"}', 300, 5, '{}', true, NULL),
  ('stripe', 'Payment Processing', 'stripe', 'stripe', 'stripe.paymentIntents.list({limit:1})',
   '{"check": "payment_intents", "api_key_env": "PGWARDEN_STRIPE_API_KEY"}', 900, 10, '{}', false, NULL),
  ('webhooks', 'Webhook Deliveries', 'webhook', 'heartbeat', 'last delivery',
   '{}', 900, 10, '{"max_age_seconds": 900}', true, encode(gen_random_bytes(16), 'hex')),
  ('embeds', 'Booking Widgets', 'embed', 'http', 'widget load',
   '{"url": "{embed_widget_url}"}', 1800, 30, '{"status_codes": ["200-299"]}', false, NULL),
  ('edge_functions', 'Edge Functions', 'api', 'http', '/rpc/whoami',
   '{"url": "{api_url}/rpc/whoami"}', 600, 15,
   '{"status_codes": [200], "json_path": "$.role", "json_equals": "anon"}', true, NULL);

-- state rows for the seeds (later monitors get theirs from a trigger in db/triggers/500_health.sql)
INSERT INTO app.health_monitor_state (monitor_id) SELECT id FROM app.health_monitors;
