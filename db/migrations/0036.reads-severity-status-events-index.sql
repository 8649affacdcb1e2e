-- 0036: a list of one severity and one status by most events (the dashboard's "new and critical",
-- read whole) is a range of its own index: the most-events index holds them as trailing key
-- columns, so reading all of them walked every entry of the organization (100,000 for 1,821 rows).

-- ---- as in db/schema/365_error_lists.sql
CREATE INDEX idx_errors_org_severity_status_occurrences ON app.system_errors
  (organization_id, severity, status, occurrence_count DESC, id DESC);
