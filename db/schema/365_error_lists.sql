-- Lists of error groups at scale (newest, most events, first seen; by status, severity, type),
-- each read from an index led by organization_id in the list's exact order, then id, so a page
-- starts after the last row of the previous one (keyset pagination). List functions are in
-- db/functions/app/365_error_lists.sql, the API in db/functions/api/365_error_lists.sql.
--
-- The filters are key columns after the order: checked on the index entries, before any row is
-- read, so a rare status or severity costs a walk of the organization's entries, never of its rows.
--
-- last_seen_at and occurrence_count change with every event, so an event of a known group writes
-- every index of the table (no HOT update): the table keeps only indexes a query uses (the
-- primary key, the capture's upsert key, the message search, these lists, the assignee's and
-- (organization_id, id)); docs/architecture.md, the ingest pipeline.

CREATE INDEX idx_errors_org_last_seen ON app.system_errors
  (organization_id, last_seen_at DESC, id DESC, status, severity, error_type);
CREATE INDEX idx_errors_org_occurrences ON app.system_errors
  (organization_id, occurrence_count DESC, id DESC, status, severity, error_type);
CREATE INDEX idx_errors_org_first_seen ON app.system_errors
  (organization_id, first_seen_at DESC, id DESC, status, severity, error_type);
-- one severity and one status by most events, read whole (the dashboard's new and critical): a range
-- of the matching entries only, where the index above walks all of the organization's (migration 0036)
CREATE INDEX idx_errors_org_severity_status_occurrences ON app.system_errors
  (organization_id, severity, status, occurrence_count DESC, id DESC);
-- most users ends with the groups without users, by the tie-breaker id
CREATE INDEX idx_errors_org_id ON app.system_errors (organization_id, id DESC);

-- == Enum filters under row-level security ==

-- A filter such as status = 'new' may be an index condition under RLS only if its operator is
-- leakproof (else it must wait until the policy has filtered the rows). PostgreSQL does not mark
-- enum equality leakproof, though it compares two OIDs and cannot fail. Only a superuser may
-- mark it; elsewhere the filters still work, checked row by row after the organization index.
DO $$
BEGIN
  IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
    ALTER FUNCTION pg_catalog.enum_eq(anyenum, anyenum) LEAKPROOF;
  ELSE
    RAISE NOTICE 'enum_eq left as it is: only a superuser may mark it leakproof';
  END IF;
END $$;
