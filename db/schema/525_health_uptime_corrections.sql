-- Auditable uptime: a correction (a false positive, a maintenance window entered late, a probe bug)
-- is a row saying who, why and which range; app.health_uptime_breakdown applies every correction,
-- and each one keeps, per UTC day it touches (and only those), the day's figures before and after:
-- its lineage. The status page marks corrected days. Corrections are never edited or deleted: a
-- wrong one is corrected by another.

INSERT INTO app.error_code (code, http_status, description) VALUES
  ('QV535', 400, 'invalid uptime correction (kind, range, reason)');

CREATE TABLE app.uptime_corrections (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  monitor_id      bigint NOT NULL REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  kind            text NOT NULL,
  during          tstzrange NOT NULL,
  reason          text NOT NULL,
  author          text NOT NULL,
  created_by      uuid REFERENCES app.users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT uptime_corrections_kind_check CHECK (kind IN ('false_positive', 'late_maintenance', 'probe_bug')),
  CONSTRAINT uptime_corrections_during_check
    CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)),
  CONSTRAINT uptime_corrections_reason_check CHECK (length(reason) BETWEEN 1 AND 1000)
);
COMMENT ON TABLE app.uptime_corrections IS $$Corrections of a monitor's recorded uptime over a range, with who and why.

false_positive: the service was up; the range counts as operational. late_maintenance: planned
work entered after the fact; probe_bug: the probe's verdicts cannot be trusted. Both leave the
range out of uptime (like maintenance).$$;
COMMENT ON COLUMN app.uptime_corrections.author IS 'Who corrected: the signed-in user''s e-mail, or the command line''s operating-system user';
CREATE INDEX idx_uptime_corrections_monitor ON app.uptime_corrections (monitor_id);

CREATE TABLE app.uptime_correction_days (
  correction_id   bigint NOT NULL REFERENCES app.uptime_corrections (id) ON DELETE CASCADE,
  organization_id uuid REFERENCES app.organizations (id) ON DELETE CASCADE,
  monitor_id      bigint NOT NULL REFERENCES app.health_monitors (id) ON DELETE CASCADE,
  day             date NOT NULL,
  previous        jsonb NOT NULL,
  corrected       jsonb NOT NULL,
  CONSTRAINT uptime_correction_days_pkey PRIMARY KEY (correction_id, day)
);
COMMENT ON TABLE app.uptime_correction_days IS
  'Lineage: a correction''s UTC days (only those its range touches), each with its figures before and after (app.health_uptime_breakdown)';
CREATE INDEX idx_uptime_correction_days_monitor ON app.uptime_correction_days (monitor_id, day);

ALTER TABLE app.uptime_corrections ENABLE ROW LEVEL SECURITY;
CREATE POLICY uptime_corrections_system_admin ON app.uptime_corrections FOR SELECT TO system_admin USING (true);
CREATE POLICY uptime_corrections_own_org ON app.uptime_corrections FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
ALTER TABLE app.uptime_correction_days ENABLE ROW LEVEL SECURITY;
CREATE POLICY uptime_correction_days_system_admin ON app.uptime_correction_days FOR SELECT TO system_admin USING (true);
CREATE POLICY uptime_correction_days_own_org ON app.uptime_correction_days FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.uptime_corrections, app.uptime_correction_days TO staff, org_owner, system_admin;
