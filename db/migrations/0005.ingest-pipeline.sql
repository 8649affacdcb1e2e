-- 0005: the ingest pipeline: capture, rate limits, events and metrics, error status, retention.

-- ---- as in db/schema/330_capture.sql
-- Capture (DESIGN.md section 5): what app.capture_batch needs besides the spec's tables.
-- Functions are in db/functions/app/330_capture.sql, the HTTP entry points in
-- db/functions/api/330_capture.sql.

-- == Error groups: one row per (organization, error_hash) ==

-- Dedupe key of the pipeline (captured errors always have an organization). The upsert locks
-- these rows in (organization_id, error_hash) order, so concurrent batches never deadlock.
CREATE UNIQUE INDEX system_errors_organization_id_error_hash_key ON app.system_errors (organization_id, error_hash);
-- text search over messages in the listing views (ILIKE '%…%' and similarity())
CREATE INDEX idx_errors_message_trgm ON app.system_errors USING gin (message gin_trgm_ops);
-- a hot group is updated once per batch: leave room on its page for HOT updates
ALTER TABLE app.system_errors SET (fillfactor = 80);

-- == One event as it moves through app.capture_batch ==

CREATE TYPE app.capture_item AS (
  ordinal          integer,                    -- position in the batch, from 1
  error            jsonb,                      -- {code, message, details, hint[, retry_after]} when refused
  event_id         uuid,
  client_event_id  boolean,                    -- the client sent event_id (idempotent retries)
  occurred_at      timestamptz,
  error_type       app.error_type_enum,
  severity         app.severity_enum,
  message          text,
  stack_trace      text,
  frames           jsonb,
  fingerprint      text[],
  message_template text,
  component        text,
  file_path        text,
  line_number      integer,
  column_number    integer,
  url              text,
  user_agent       text,
  user_id          text,
  metadata         jsonb,
  request_id       text,
  session_id       text,
  error_hash       text,
  browser          text,
  os               text,
  device_type      text
);
COMMENT ON TYPE app.capture_item IS 'One event inside app.capture_batch: validated, then scrubbed, fingerprinted and enriched';

-- == Idempotency: a client event_id is stored once per organization ==

-- A separate small table rather than a unique index on the partitioned events (which would have
-- to include the partition key, so a retry on another day would slip through).
CREATE TABLE app.error_event_ids (
  organization_id uuid NOT NULL,
  event_id        uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT error_event_ids_pkey PRIMARY KEY (organization_id, event_id)
);
COMMENT ON TABLE app.error_event_ids IS 'Client event ids already stored, with their group; purged after the event retention';
CREATE INDEX idx_error_event_ids_received ON app.error_event_ids (received_at);

-- written only by app.capture_batch (SECURITY DEFINER); nobody reads it over the API
ALTER TABLE app.error_event_ids ENABLE ROW LEVEL SECURITY;

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QAI01', 401, 'project key missing or unknown (header X-Pgwarden-Key)'),
  ('QAI02', 403, 'this caller may not capture errors for that organization');

-- ---- as in db/schema/340_rate_limits.sql
-- Rate limits per organization (spec: max 100 errors/minute per org). Events are counted when
-- they are accepted, inside the capture transaction, so a flood cannot outrun the limit; every
-- refused event is counted too, per organization and minute. Functions are in
-- db/functions/app/340_rate_limits.sql.

-- == Settings ==

CREATE TABLE app.rate_limit_setting (
  id                 boolean PRIMARY KEY DEFAULT true CONSTRAINT rate_limit_setting_id_check CHECK (id),
  default_per_minute integer NOT NULL DEFAULT 100
    CONSTRAINT rate_limit_setting_default_per_minute_check CHECK (default_per_minute >= 0)
);
COMMENT ON TABLE app.rate_limit_setting IS 'The one row of rate-limit policy';
COMMENT ON COLUMN app.rate_limit_setting.default_per_minute IS
  'Events an organization may capture per minute unless it has an override; 0 = unlimited';
INSERT INTO app.rate_limit_setting DEFAULT VALUES;

CREATE TABLE app.organization_rate_limits (
  organization_id uuid PRIMARY KEY REFERENCES app.organizations (id) ON DELETE CASCADE,
  per_minute      integer NOT NULL CONSTRAINT organization_rate_limits_per_minute_check CHECK (per_minute >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.organization_rate_limits IS 'Per-organization override of the default limit (pgwarden org limit)';
COMMENT ON COLUMN app.organization_rate_limits.per_minute IS 'Events per minute; 0 lifts the limit';

-- == Usage ==

CREATE TABLE app.rate_limit_usage (
  organization_id uuid NOT NULL,
  minute          timestamptz NOT NULL,
  accepted        integer NOT NULL DEFAULT 0,
  refused         integer NOT NULL DEFAULT 0,
  CONSTRAINT rate_limit_usage_pkey PRIMARY KEY (organization_id, minute)
) WITH (fillfactor = 70);  -- one row per org and minute, updated by every capture: keep updates HOT
COMMENT ON TABLE app.rate_limit_usage IS 'Events accepted and refused per organization and minute (limited organizations only)';
COMMENT ON COLUMN app.rate_limit_usage.minute IS 'Start of the minute (date_trunc)';
CREATE INDEX idx_rate_limit_usage_minute ON app.rate_limit_usage (minute);

-- == Row-level security ==

ALTER TABLE app.rate_limit_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY rate_limit_setting_system_admin ON app.rate_limit_setting TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY rate_limit_setting_read ON app.rate_limit_setting FOR SELECT TO staff, org_owner USING (true);

ALTER TABLE app.organization_rate_limits ENABLE ROW LEVEL SECURITY;
CREATE POLICY organization_rate_limits_system_admin ON app.organization_rate_limits TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY organization_rate_limits_own_org ON app.organization_rate_limits FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());

ALTER TABLE app.rate_limit_usage ENABLE ROW LEVEL SECURITY;
CREATE POLICY rate_limit_usage_system_admin ON app.rate_limit_usage FOR SELECT TO system_admin USING (true);
CREATE POLICY rate_limit_usage_own_org ON app.rate_limit_usage FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());

GRANT SELECT, UPDATE ON app.rate_limit_setting TO system_admin;
GRANT SELECT ON app.rate_limit_setting TO staff, org_owner;
GRANT SELECT ON app.organization_rate_limits, app.rate_limit_usage TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE, DELETE ON app.organization_rate_limits TO system_admin;

-- ---- as in db/schema/350_events.sql
-- Every accepted occurrence (error_events, partitioned by day), per-minute counts (error_metrics,
-- the spec's diagram) and which jobs new and regressed groups enqueue. A statement-level trigger
-- on error_events (db/triggers/350_events.sql) folds each INSERT into system_errors and
-- error_metrics once per group; partitions are created and dropped by
-- db/functions/app/380_retention.sql.

-- == Events ==

-- No foreign keys: each would lock the organization row once per event (multixacts under load).
CREATE TABLE app.error_events (
  received_at      timestamptz NOT NULL DEFAULT now(),
  organization_id  uuid NOT NULL,
  error_hash       varchar(64) NOT NULL,
  event_id         uuid NOT NULL DEFAULT gen_random_uuid(),
  project_id       bigint,
  occurred_at      timestamptz NOT NULL DEFAULT now(),
  error_type       app.error_type_enum NOT NULL,
  severity         app.severity_enum NOT NULL DEFAULT 'error',
  message          text NOT NULL,
  message_template text,
  stack_trace      text,
  frames           jsonb,
  fingerprint      text[],
  component        varchar(255),
  file_path        varchar(500),
  line_number      integer,
  column_number    integer,
  url              varchar(2000),
  user_agent       text,
  browser          varchar(100),
  os               varchar(100),
  device_type      varchar(50),
  user_id          varchar(255),
  metadata         jsonb NOT NULL DEFAULT '{}',
  request_id       varchar(100),
  session_id       varchar(100)
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE app.error_events IS 'Each accepted occurrence of an error group, scrubbed; one partition per UTC day';
COMMENT ON COLUMN app.error_events.received_at IS 'Server time of capture: the partition key and the metrics minute';
COMMENT ON COLUMN app.error_events.occurred_at IS 'Client timestamp when given (never later than received_at)';
COMMENT ON COLUMN app.error_events.frames IS 'Structured stack frames the client sent (oldest first), scrubbed';
COMMENT ON COLUMN app.error_events.fingerprint IS 'Client fingerprint when given (its default placeholder stands for our grouping)';
COMMENT ON COLUMN app.error_events.user_id IS 'The client''s user identity as sent (counts affected users)';
CREATE INDEX idx_error_events_group ON app.error_events (organization_id, error_hash, received_at);

-- Catches rows for a day whose partition is missing (pg_cron down); app.error_events_ensure_partitions
-- moves them into their partition when it creates it.
CREATE TABLE app.error_events_default PARTITION OF app.error_events DEFAULT;
ALTER TABLE app.error_events_default ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.error_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_events_system_admin ON app.error_events FOR SELECT TO system_admin USING (true);
CREATE POLICY error_events_own_org ON app.error_events FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());
GRANT SELECT ON app.error_events TO staff, org_owner, system_admin;

-- == Per-minute counts ==

CREATE TABLE app.error_metrics (
  organization_id uuid NOT NULL,
  bucket          timestamptz NOT NULL,
  error_hash      varchar(64) NOT NULL,
  event_count     integer NOT NULL,
  CONSTRAINT error_metrics_pkey PRIMARY KEY (organization_id, bucket, error_hash)
) WITH (fillfactor = 70);  -- bumped once per statement per group: keep updates HOT
COMMENT ON TABLE app.error_metrics IS 'Accepted events per organization, minute and error group';
COMMENT ON COLUMN app.error_metrics.bucket IS 'Start of the minute the events were received';
CREATE INDEX idx_error_metrics_bucket ON app.error_metrics (bucket);

ALTER TABLE app.error_metrics ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_metrics_system_admin ON app.error_metrics FOR SELECT TO system_admin USING (true);
CREATE POLICY error_metrics_own_org ON app.error_metrics FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());
GRANT SELECT ON app.error_metrics TO staff, org_owner, system_admin;

-- == Analysis policy ==

CREATE TABLE app.capture_job_policy (
  transition   text NOT NULL CONSTRAINT capture_job_policy_transition_check CHECK (transition IN ('new', 'regression')),
  job_kind     text NOT NULL,
  min_severity app.severity_enum NOT NULL DEFAULT 'debug',
  enabled      boolean NOT NULL DEFAULT true,
  CONSTRAINT capture_job_policy_pkey PRIMARY KEY (transition, job_kind)
);
COMMENT ON TABLE app.capture_job_policy IS
  'Which job kinds a new or regressed error group enqueues, from which group severity up (ignored groups enqueue nothing)';
INSERT INTO app.capture_job_policy (transition, job_kind, min_severity) VALUES
  ('new', 'ai.analyze', 'error'),
  ('regression', 'ai.analyze', 'error'),
  ('new', 'alerts.evaluate', 'debug'),
  ('regression', 'alerts.evaluate', 'debug');

ALTER TABLE app.capture_job_policy ENABLE ROW LEVEL SECURITY;
CREATE POLICY capture_job_policy_system_admin ON app.capture_job_policy TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.capture_job_policy TO system_admin;

-- ---- as in db/schema/370_error_status.sql
-- The error status workflow (the spec's error_status_enum), Sentry-like: work on an open error,
-- resolve it, ignore it, reopen it. Only ingest sets `recurring` (a resolved error seen again);
-- `new` is entered by hand only to reopen a resolved or ignored error. Same status = no change.
-- Functions are in db/functions/app/370_error_status.sql.

-- == Allowed transitions ==

CREATE TABLE app.error_status_transition (
  from_status app.error_status_enum NOT NULL,
  to_status   app.error_status_enum NOT NULL,
  CONSTRAINT error_status_transition_pkey PRIMARY KEY (from_status, to_status)
);
COMMENT ON TABLE app.error_status_transition IS 'Status changes a person may make (api.update_error_status); anything else is QS001';

INSERT INTO app.error_status_transition (from_status, to_status)
SELECT f.s::app.error_status_enum, t.s::app.error_status_enum
  FROM unnest(ARRAY['new', 'investigating', 'identified', 'fixing', 'recurring']) AS f (s)
 CROSS JOIN unnest(ARRAY['investigating', 'identified', 'fixing', 'resolved', 'ignored']) AS t (s)
 WHERE f.s <> t.s;
INSERT INTO app.error_status_transition (from_status, to_status) VALUES
  ('resolved', 'new'), ('resolved', 'ignored'), ('ignored', 'new'), ('ignored', 'resolved');

ALTER TABLE app.error_status_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_status_transition_read ON app.error_status_transition FOR SELECT
  TO staff, org_owner, system_admin USING (true);
GRANT SELECT ON app.error_status_transition TO staff, org_owner, system_admin;

-- == History ==

CREATE TABLE app.error_status_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  error_id        uuid NOT NULL REFERENCES app.system_errors (id) ON DELETE CASCADE,
  organization_id uuid,
  from_status     app.error_status_enum,
  to_status       app.error_status_enum NOT NULL,
  note            text,
  changed_by      uuid REFERENCES app.users (id) ON DELETE SET NULL,
  changed_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.error_status_history IS 'Every status change of an error group: by a person (with note) or by ingest (regression)';
COMMENT ON COLUMN app.error_status_history.changed_by IS 'The user who changed it; NULL for ingest and for callers without a user';
CREATE INDEX idx_error_status_history_error ON app.error_status_history (error_id, changed_at);

ALTER TABLE app.error_status_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_status_history_system_admin ON app.error_status_history TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY error_status_history_own_org ON app.error_status_history FOR SELECT TO org_owner, staff
  USING (organization_id = app.current_org_id());
CREATE POLICY error_status_history_own_org_insert ON app.error_status_history FOR INSERT TO org_owner, staff
  WITH CHECK (organization_id = app.current_org_id());
GRANT SELECT, INSERT ON app.error_status_history TO staff, org_owner, system_admin;

-- Org owners and staff change the status of their own organization's errors (RLS), and only
-- the workflow columns (column grants); system admins may already write every row.
CREATE POLICY system_errors_own_org_update ON app.system_errors FOR UPDATE TO org_owner, staff
  USING (organization_id = app.current_org_id()) WITH CHECK (organization_id = app.current_org_id());
GRANT UPDATE (status, resolved_at, resolved_by, updated_at) ON app.system_errors TO staff, org_owner, system_admin;

-- ---- as in db/schema/380_retention.sql
-- Retention (spec: resolved errors are deleted after 30 days). pg_cron runs app.retention_run
-- nightly and app.error_events_ensure_partitions hourly (db/functions/app/930_ingest_cron.sql).

CREATE TABLE app.retention_setting (
  id                 boolean PRIMARY KEY DEFAULT true CONSTRAINT retention_setting_id_check CHECK (id),
  resolved_errors    interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_resolved_errors_check CHECK (resolved_errors > interval '0'),
  events             interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_events_check CHECK (events >= interval '1 day'),
  metrics            interval NOT NULL DEFAULT '90 days'
    CONSTRAINT retention_setting_metrics_check CHECK (metrics >= interval '1 day'),
  rate_limit_usage   interval NOT NULL DEFAULT '30 days'
    CONSTRAINT retention_setting_rate_limit_usage_check CHECK (rate_limit_usage >= interval '1 hour'),
  partitions_ahead   integer NOT NULL DEFAULT 7
    CONSTRAINT retention_setting_partitions_ahead_check CHECK (partitions_ahead BETWEEN 1 AND 60)
);
COMMENT ON TABLE app.retention_setting IS 'The one row of retention policy (app.retention_run)';
COMMENT ON COLUMN app.retention_setting.resolved_errors IS 'Resolved error groups older than this (by resolved_at) are deleted with their events';
COMMENT ON COLUMN app.retention_setting.events IS 'Event partitions (days) entirely older than this are dropped; client event ids expire too';
COMMENT ON COLUMN app.retention_setting.metrics IS 'Per-minute error_metrics rows older than this are deleted';
COMMENT ON COLUMN app.retention_setting.rate_limit_usage IS 'Accepted/refused counters older than this are deleted';
COMMENT ON COLUMN app.retention_setting.partitions_ahead IS 'Daily event partitions kept ready ahead of today';
INSERT INTO app.retention_setting DEFAULT VALUES;

ALTER TABLE app.retention_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY retention_setting_system_admin ON app.retention_setting TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON app.retention_setting TO system_admin;
