-- Prometheus metrics (GET /metrics on pgwarden web; db/functions/app/810_metrics.sql). Counters must
-- only grow, but the rows they are counted from are trimmed by retention: every minute pg_cron folds
-- the minutes older than app.metric_fold_state.lag into app.metric_totals, and a scrape adds the
-- rows newer than folded_through to those totals. A scrape therefore reads a few minutes of rows,
-- whatever the history holds.

-- == Folded counters ==

CREATE TABLE app.metric_totals (
  metric text NOT NULL,                       -- sample name, e.g. pgwarden_events_accepted_total
  labels jsonb NOT NULL DEFAULT '{}',         -- {"organization_id": "...", "reason": "rate_limit"}
  value  double precision NOT NULL DEFAULT 0,
  CONSTRAINT metric_totals_pkey PRIMARY KEY (metric, labels)
);
COMMENT ON TABLE app.metric_totals IS 'Counter samples folded up to app.metric_fold_state.folded_through (never decrease)';

CREATE TABLE app.metric_fold_state (
  id             boolean PRIMARY KEY DEFAULT true CONSTRAINT metric_fold_state_id_check CHECK (id),
  folded_through timestamptz NOT NULL DEFAULT '-infinity',
  -- a capture's minute can still receive rows until its transaction commits: statement timeouts
  -- (at most 30 s for the roles that capture) keep that far below this
  lag            interval NOT NULL DEFAULT '5 minutes'
    CONSTRAINT metric_fold_state_lag_check CHECK (lag >= interval '1 minute')
);
COMMENT ON TABLE app.metric_fold_state IS 'The one row: how far counters are folded into app.metric_totals, and how old a minute must be to fold';
COMMENT ON COLUMN app.metric_fold_state.folded_through IS 'Rows before this instant are in app.metric_totals; a scrape counts the rows from it on';
INSERT INTO app.metric_fold_state DEFAULT VALUES;

ALTER TABLE app.metric_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.metric_fold_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY metric_fold_state_system_admin ON app.metric_fold_state TO system_admin USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE (lag) ON app.metric_fold_state TO system_admin;

-- == Refusals counted outside the rate limit ==

-- Requests pgwarden web refuses before parsing (a body or an item over its size), counted per
-- organization, minute and reason when the request named a project and its key. Refusals by the
-- rate limit are counted in app.rate_limit_usage.
CREATE TABLE app.ingest_refusals (
  organization_id uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  minute          timestamptz NOT NULL,
  reason          text NOT NULL CONSTRAINT ingest_refusals_reason_check CHECK (reason IN ('too_large')),
  requests        bigint NOT NULL DEFAULT 0,
  CONSTRAINT ingest_refusals_pkey PRIMARY KEY (organization_id, minute, reason)
);
COMMENT ON TABLE app.ingest_refusals IS 'Ingest requests refused before parsing, per organization, minute and reason (too_large: body or item over its limit, 413)';
CREATE INDEX idx_ingest_refusals_minute ON app.ingest_refusals (minute);

ALTER TABLE app.ingest_refusals ENABLE ROW LEVEL SECURITY;
CREATE POLICY ingest_refusals_system_admin ON app.ingest_refusals FOR SELECT TO system_admin USING (true);
CREATE POLICY ingest_refusals_own_org ON app.ingest_refusals FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.ingest_refusals TO staff, org_owner, system_admin;

-- A scrape counts the delivery attempts made since the last fold: by time, not by delivery.
CREATE INDEX idx_alert_delivery_attempts_attempted_at ON app.alert_delivery_attempts USING brin (attempted_at);

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QA810', 403, 'metrics are served to loopback clients only unless a metrics token is configured'),
  ('QA811', 401, 'metrics token missing or not accepted');
