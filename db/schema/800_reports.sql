-- User error reports (the spec's "User Error Reporting"): three ways in (the customer widget with a
-- per-project widget key, org owners' and staff's tokens, Sentry feedback), screenshots stored in
-- PostgreSQL, each report linked to the error it is about, and a queue worked through the spec's
-- statuses with a history row per change. user_error_reports keeps the spec's columns; ours are
-- appended (as ALTER TABLE puts them).
--
-- Functions: db/functions/app/8x0_reports_*.sql; triggers: db/triggers/800_reports.sql; the API:
-- db/functions/api/800_reports.sql; pgwarden web: workers/web/routes_reports.py.

-- == Error codes ==

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV801', 400, 'a report field is invalid (the field is named in details)'),
  ('QV802', 400, 'a required report field is missing'),
  ('QV803', 415, 'a screenshot is not a PNG, JPEG or WebP image of accepted dimensions'),
  ('QV804', 400, 'a widget key setting is invalid (allowed origins)'),
  ('QA801', 401, 'widget key missing or unknown (header X-Pgwarden-Widget-Key)'),
  ('QA802', 403, 'the page''s origin is not allowed for this widget key'),
  ('QA803', 403, 'this caller may not report for that organization'),
  ('QR801', 429, 'too many reports or screenshots from this address or widget key'),
  ('QN801', 404, 'report not found'),
  ('QN802', 404, 'screenshot not found'),
  ('QN803', 404, 'user to assign not found in the report''s organization'),
  ('QS801', 409, 'report status change not allowed'),
  ('QS802', 409, 'report cannot be a duplicate of that report');

-- == Reports: our columns ==

ALTER TABLE app.user_error_reports
  ADD COLUMN project_id bigint REFERENCES app.projects (id) ON DELETE SET NULL,
  ADD COLUMN event_id uuid,
  ADD COLUMN session_id varchar(100),
  ADD COLUMN request_id varchar(100),
  ADD COLUMN link_reason text CONSTRAINT user_error_reports_link_reason_check
    CHECK (link_reason IN ('event_id', 'session_id', 'request_id', 'url')),
  ADD COLUMN duplicate_of uuid REFERENCES app.user_error_reports (id) ON DELETE SET NULL,
  ADD COLUMN status_token_hash bytea;
COMMENT ON COLUMN app.user_error_reports.project_id IS 'The project whose widget key the report came through (NULL: a token or Sentry feedback without one)';
COMMENT ON COLUMN app.user_error_reports.event_id IS 'The error event the reporter''s page sent last (Sentry event id), when known';
COMMENT ON COLUMN app.user_error_reports.session_id IS 'The reporter''s session id, as the page''s captured errors carry it';
COMMENT ON COLUMN app.user_error_reports.request_id IS 'The id of the request that failed, as its captured error carries it';
COMMENT ON COLUMN app.user_error_reports.link_reason IS 'How linked_error_id was found: event_id, session_id, request_id or url';
COMMENT ON COLUMN app.user_error_reports.duplicate_of IS 'The original report of a report whose status is duplicate';
COMMENT ON COLUMN app.user_error_reports.status_token_hash IS
  'SHA-256 of the status token handed to the reporter at submission (the token itself is not kept)';
CREATE UNIQUE INDEX idx_reports_status_token ON app.user_error_reports (status_token_hash);
CREATE INDEX idx_reports_duplicate_of ON app.user_error_reports (duplicate_of) WHERE duplicate_of IS NOT NULL;
-- the minute pass (app.report_link_late) looks at recent reports not linked yet
CREATE INDEX idx_reports_awaiting_link ON app.user_error_reports (created_at) WHERE linked_error_id IS NULL;
-- the queue, newest first: an organization's (org owners and staff, by row-level security) and all
-- (system admins, the command line); a status filter walks them too (bench/reports.py)
CREATE INDEX idx_reports_org_created ON app.user_error_reports (organization_id, created_at DESC);
CREATE INDEX idx_reports_created ON app.user_error_reports (created_at DESC);
-- an error's page lists the reports linked to it
CREATE INDEX idx_reports_linked_error ON app.user_error_reports (linked_error_id) WHERE linked_error_id IS NOT NULL;

-- Org owners work their organization's reports (only the workflow columns); system admins may
-- already write every row. Staff read them.
CREATE POLICY user_error_reports_owner_update ON app.user_error_reports FOR UPDATE TO org_owner
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT UPDATE (status, assigned_to, resolved_at, resolution_notes, duplicate_of, updated_at)
  ON app.user_error_reports TO org_owner, system_admin;

-- == Status workflow ==

CREATE TABLE app.report_status_transition (
  from_status app.report_status_enum NOT NULL,
  to_status   app.report_status_enum NOT NULL,
  CONSTRAINT report_status_transition_pkey PRIMARY KEY (from_status, to_status)
);
COMMENT ON TABLE app.report_status_transition IS
  'Status changes a person may make to a report (to duplicate only with a pointer to the original); anything else is QS801';

-- open -> in_progress -> pending_info -> resolved / closed, any way round while it is open; a
-- resolved, closed or duplicate report is reopened (open), and a resolved one may be closed.
INSERT INTO app.report_status_transition (from_status, to_status)
SELECT f.s::app.report_status_enum, t.s::app.report_status_enum
  FROM unnest(ARRAY['open', 'in_progress', 'pending_info']) AS f (s)
 CROSS JOIN unnest(ARRAY['open', 'in_progress', 'pending_info', 'resolved', 'closed', 'duplicate']) AS t (s)
 WHERE f.s <> t.s;
INSERT INTO app.report_status_transition (from_status, to_status) VALUES
  ('resolved', 'open'), ('resolved', 'closed'), ('closed', 'open'), ('duplicate', 'open');

ALTER TABLE app.report_status_transition ENABLE ROW LEVEL SECURITY;
CREATE POLICY report_status_transition_read ON app.report_status_transition FOR SELECT
  TO staff, org_owner, system_admin USING (true);
GRANT SELECT ON app.report_status_transition TO staff, org_owner, system_admin;

-- == History: one row per change ==

CREATE TABLE app.user_error_report_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id       uuid NOT NULL REFERENCES app.user_error_reports (id) ON DELETE CASCADE,
  organization_id uuid,
  change          text NOT NULL CONSTRAINT user_error_report_history_change_check
                    CHECK (change IN ('status', 'assigned_to', 'duplicate_of')),
  from_value      text,
  to_value        text,
  note            text,
  changed_by      uuid REFERENCES app.users (id) ON DELETE SET NULL,
  changed_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.user_error_report_history IS
  'Every change to a report''s status, assignee or duplicate pointer: who, when, from, to (and the note)';
COMMENT ON COLUMN app.user_error_report_history.changed_by IS 'The user who made the change; NULL for the command line';
CREATE INDEX idx_report_history_report ON app.user_error_report_history (report_id, changed_at);

ALTER TABLE app.user_error_report_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY user_error_report_history_system_admin ON app.user_error_report_history TO system_admin
  USING (true) WITH CHECK (true);
CREATE POLICY user_error_report_history_own_org ON app.user_error_report_history FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY user_error_report_history_owner_insert ON app.user_error_report_history FOR INSERT TO org_owner
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.user_error_report_history TO staff, org_owner, system_admin;
GRANT INSERT ON app.user_error_report_history TO org_owner, system_admin;

-- == Widget keys ==

-- A per-project public key of its own for the report widget (it is in every page that embeds
-- the widget, so it may submit reports and nothing else), and the page origins allowed to use it.
CREATE TABLE app.project_widget_keys (
  project_id      bigint PRIMARY KEY REFERENCES app.projects (id) ON DELETE CASCADE,
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  widget_key      text NOT NULL DEFAULT 'wk_' || encode(gen_random_bytes(16), 'hex'),
  allowed_origins text[] NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT project_widget_keys_widget_key_key UNIQUE (widget_key),
  CONSTRAINT project_widget_keys_widget_key_check CHECK (widget_key ~ '^wk_[0-9a-f]{32}$')
);
COMMENT ON TABLE app.project_widget_keys IS 'The report widget''s public key of a project and the page origins that may use it';
COMMENT ON COLUMN app.project_widget_keys.allowed_origins IS
  'Normalized origins (scheme://host[:port]) whose pages may post with this key; empty: no browser page may';

ALTER TABLE app.project_widget_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY project_widget_keys_system_admin ON app.project_widget_keys TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY project_widget_keys_own_org ON app.project_widget_keys FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
CREATE POLICY project_widget_keys_owner_insert ON app.project_widget_keys FOR INSERT TO org_owner
  WITH CHECK (organization_id = (SELECT app.current_org_id()));
CREATE POLICY project_widget_keys_owner_update ON app.project_widget_keys FOR UPDATE TO org_owner
  USING (organization_id = (SELECT app.current_org_id())) WITH CHECK (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.project_widget_keys TO staff, org_owner, system_admin;
GRANT INSERT, UPDATE ON app.project_widget_keys TO org_owner, system_admin;
-- revoking a key deletes it (app.widget_key_revoke): the widget stops working until a new one
CREATE POLICY project_widget_keys_owner_delete ON app.project_widget_keys FOR DELETE TO org_owner
  USING (organization_id = (SELECT app.current_org_id()));
GRANT DELETE ON app.project_widget_keys TO org_owner, system_admin;

-- == Screenshots ==

CREATE TABLE app.report_screenshots (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  project_id      bigint REFERENCES app.projects (id) ON DELETE SET NULL,
  report_id       uuid REFERENCES app.user_error_reports (id) ON DELETE CASCADE,
  source          text NOT NULL CONSTRAINT report_screenshots_source_check CHECK (source IN ('upload', 'sentry_attachment')),
  media_type      text NOT NULL CONSTRAINT report_screenshots_media_type_check
                    CHECK (media_type IN ('image/png', 'image/jpeg', 'image/webp')),
  width           integer NOT NULL CONSTRAINT report_screenshots_width_check CHECK (width BETWEEN 1 AND 10000),
  height          integer NOT NULL CONSTRAINT report_screenshots_height_check CHECK (height BETWEEN 1 AND 10000),
  content         bytea NOT NULL CONSTRAINT report_screenshots_content_check CHECK (octet_length(content) <= 2097152),
  uploaded_by     uuid REFERENCES app.users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE app.report_screenshots IS
  'Screenshots attached to reports (uploaded through pgwarden web, or Sentry feedback attachments), checked as images';
COMMENT ON COLUMN app.report_screenshots.report_id IS 'The report citing it in screenshot_urls; NULL until then (pruned after a day)';
-- images are compressed already: stored out of line without another compression attempt
ALTER TABLE app.report_screenshots ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX idx_report_screenshots_report ON app.report_screenshots (report_id);
CREATE INDEX idx_report_screenshots_unclaimed ON app.report_screenshots (created_at) WHERE report_id IS NULL;

ALTER TABLE app.report_screenshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY report_screenshots_system_admin ON app.report_screenshots TO system_admin USING (true) WITH CHECK (true);
CREATE POLICY report_screenshots_own_org ON app.report_screenshots FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.report_screenshots TO staff, org_owner, system_admin;

-- == Abuse limits of the widget ==

-- Per widget key and client address, and per widget key as a whole, in fixed windows.
CREATE TABLE app.report_rate_limit (
  kind           text PRIMARY KEY CONSTRAINT report_rate_limit_kind_check CHECK (kind IN ('report', 'screenshot')),
  per_client     integer NOT NULL CONSTRAINT report_rate_limit_per_client_check CHECK (per_client > 0),
  per_key        integer NOT NULL CONSTRAINT report_rate_limit_per_key_check CHECK (per_key > 0),
  window_seconds integer NOT NULL CONSTRAINT report_rate_limit_window_seconds_check CHECK (window_seconds BETWEEN 1 AND 86400)
);
COMMENT ON TABLE app.report_rate_limit IS
  'How many reports (and screenshots) a widget key takes per client address and in all, per window';
COMMENT ON COLUMN app.report_rate_limit.per_key IS
  'The ceiling for the key as a whole: what holds when client addresses cannot be trusted (no proxy in front)';
INSERT INTO app.report_rate_limit (kind, per_client, per_key, window_seconds) VALUES
  ('report', 10, 100, 600),
  ('screenshot', 25, 250, 600);
ALTER TABLE app.report_rate_limit ENABLE ROW LEVEL SECURITY;
CREATE POLICY report_rate_limit_system_admin ON app.report_rate_limit TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON app.report_rate_limit TO system_admin;

CREATE TABLE app.report_rate_usage (
  project_id   bigint NOT NULL,
  kind         text NOT NULL,
  client       text NOT NULL,            -- the client address, or '*' for the key as a whole
  window_start timestamptz NOT NULL,
  taken        integer NOT NULL DEFAULT 0,
  CONSTRAINT report_rate_usage_pkey PRIMARY KEY (project_id, kind, client, window_start)
);
COMMENT ON TABLE app.report_rate_usage IS 'Widget submissions counted per key, kind, client address and window; pruned after the window';
CREATE INDEX idx_report_rate_usage_window ON app.report_rate_usage (window_start);
-- written only by the SECURITY DEFINER limiter; nobody reads it over the API
ALTER TABLE app.report_rate_usage ENABLE ROW LEVEL SECURITY;
