-- Capture (DESIGN.md section 5): what app.capture_batch needs besides the spec's tables.
-- Functions are in db/functions/app/300_capture.sql, the HTTP entry points in
-- db/functions/api/300_capture.sql.

-- == Error groups: one row per (organization, error_hash) ==

-- Dedupe key of the pipeline (captured errors always have an organization). The upsert locks
-- these rows in (organization_id, error_hash) order, so concurrent batches never deadlock. It
-- carries what the statistics need of each active group (an index-only scan). (The list indexes
-- hold last_seen_at, so an event's update of its group is not HOT: 365_error_lists.sql keeps the
-- indexes few, and the message search lives in a table of its own, 368_error_search.sql.)
CREATE UNIQUE INDEX system_errors_organization_id_error_hash_key ON app.system_errors (organization_id, error_hash)
  INCLUDE (id, error_type, severity, status, first_seen_at);
-- a group is updated once per batch: leave room on its page for HOT updates. A new version can
-- only go to the page once no running batch can see the old ones, so concurrent batches need
-- room for several versions of ~800 bytes: at 80 (and 50) half the updates went non-HOT under 4
-- concurrent batches (9 index insertions each, one of them GIN), at 40 one in ten (groups are
-- few next to events: the space is cheap). Since the list indexes (0030) no update is HOT; the
-- room still keeps a group's new version on its page.
ALTER TABLE app.system_errors SET (fillfactor = 40);

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
  device_type      text,
  exceptions       jsonb,                      -- the exception chain (app.capture_item_of); NULL without one
  grouping_hash    text                        -- its own hash when error_hash is another group's (a merge)
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
