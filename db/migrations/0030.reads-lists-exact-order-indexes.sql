-- 0030: lists in the exact order (last_seen_at, occurrence_count, first_seen_at, each then id), read
-- from three indexes led by organization_id that carry the list filters as key columns, in place of
-- the banded list indexes and the single-column indexes no query used. An event of a known group
-- now writes every index of the table (last_seen_at changes), so the table keeps as few as it can.

-- ---- as in db/schema/110_system_errors.sql
DROP INDEX app.idx_errors_hash, app.idx_errors_type, app.idx_errors_severity, app.idx_errors_status,
  app.idx_errors_org, app.idx_errors_created;

-- ---- as in db/schema/365_error_lists.sql
DROP INDEX app.idx_errors_org_last_seen, app.idx_errors_org_occurrences, app.idx_errors_org_status,
  app.idx_errors_org_severity, app.idx_errors_org_type, app.idx_errors_org_status_occurrences,
  app.idx_errors_org_severity_occurrences, app.idx_errors_org_type_occurrences, app.idx_errors_org_assignee;
-- the views that show the bands are rebuilt by the code layer (db/functions/api)
ALTER TABLE app.system_errors DROP COLUMN last_seen_band CASCADE, DROP COLUMN occurrence_band CASCADE;
DROP FUNCTION app.last_seen_band(timestamptz), app.occurrence_band(integer);
CREATE INDEX idx_errors_org_last_seen ON app.system_errors
  (organization_id, last_seen_at DESC, id DESC, status, severity, error_type);
CREATE INDEX idx_errors_org_occurrences ON app.system_errors
  (organization_id, occurrence_count DESC, id DESC, status, severity, error_type);
CREATE INDEX idx_errors_org_first_seen ON app.system_errors
  (organization_id, first_seen_at DESC, id DESC, status, severity, error_type);

-- ---- as in db/schema/372_error_assignment.sql
CREATE INDEX idx_errors_org_assignee ON app.system_errors (organization_id, assigned_to, last_seen_at DESC, id DESC)
  WHERE assigned_to IS NOT NULL;
