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
  session_id       varchar(100),
  exceptions       jsonb,
  grouping_hash    varchar(64)
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE app.error_events IS 'Each accepted occurrence of an error group, scrubbed; one partition per UTC day';
COMMENT ON COLUMN app.error_events.received_at IS 'Server time of capture: the partition key and the metrics minute';
COMMENT ON COLUMN app.error_events.occurred_at IS 'Client timestamp when given (never later than received_at)';
COMMENT ON COLUMN app.error_events.frames IS 'Structured stack frames the client sent (oldest first), scrubbed';
COMMENT ON COLUMN app.error_events.fingerprint IS 'Client fingerprint when given (its default placeholder stands for our grouping)';
COMMENT ON COLUMN app.error_events.exceptions IS
  'The exception chain, oldest cause first: causes {type, value, module, frames}, then the raised one {type, module}';
COMMENT ON COLUMN app.error_events.grouping_hash IS
  'The event''s own grouping hash when it joined another group (a merge, a grouping upgrade); NULL when it is error_hash';
COMMENT ON COLUMN app.error_events.user_id IS 'The client''s user identity as sent (counts affected users)';
CREATE INDEX idx_error_events_group ON app.error_events (organization_id, error_hash, received_at);

-- Catches rows for a day whose partition is missing (pg_cron down); app.error_events_ensure_partitions
-- moves them into their partition when it creates it.
CREATE TABLE app.error_events_default PARTITION OF app.error_events DEFAULT;
ALTER TABLE app.error_events_default ENABLE ROW LEVEL SECURITY;

ALTER TABLE app.error_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_events_system_admin ON app.error_events FOR SELECT TO system_admin USING (true);
CREATE POLICY error_events_own_org ON app.error_events FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_events TO staff, org_owner, system_admin;

-- == Per-minute counts ==

CREATE TABLE app.error_metrics (
  organization_id uuid NOT NULL,
  bucket          timestamptz NOT NULL,
  error_hash      varchar(64) NOT NULL,
  event_count     integer NOT NULL,
  CONSTRAINT error_metrics_pkey PRIMARY KEY (organization_id, bucket, error_hash)
) WITH (fillfactor = 40);  -- bumped once per statement per group; concurrent batches need room for many versions
COMMENT ON TABLE app.error_metrics IS 'Accepted events per organization, minute and error group';
COMMENT ON COLUMN app.error_metrics.bucket IS 'Start of the minute the events were received';
CREATE INDEX idx_error_metrics_bucket ON app.error_metrics (bucket);

ALTER TABLE app.error_metrics ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_metrics_system_admin ON app.error_metrics FOR SELECT TO system_admin USING (true);
CREATE POLICY error_metrics_own_org ON app.error_metrics FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
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
  ('regression', 'ai.analyze', 'error');
-- (alert rules are evaluated in the capturing transaction itself: db/functions/app/720_alerts_evaluate.sql)

ALTER TABLE app.capture_job_policy ENABLE ROW LEVEL SECURITY;
CREATE POLICY capture_job_policy_system_admin ON app.capture_job_policy TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON app.capture_job_policy TO system_admin;
