-- Lists of error groups at scale (newest, most events, most users; by status, severity, type),
-- each served by an index led by organization_id. List functions are in
-- db/functions/app/365_error_lists.sql, the API in db/functions/api/365_error_lists.sql.
--
-- Ingest updates a group row once per batch as a HOT update, which touches no index. An index
-- on a column that changes with every event (last_seen_at, occurrence_count) makes every one of
-- those updates a full one that writes all the table's indexes: measured 25-40 % of the batch
-- ingest rate. So the list indexes hold coarse bands of those columns instead, which change at
-- most every 5 seconds (last seen) or every ~1/4 of the count (occurrences) per group; a list
-- orders by band first and then by the exact value, which is the same order (the band is a
-- non-decreasing function of the value), read from the index with an incremental sort.

-- == Bands ==

CREATE FUNCTION app.last_seen_band(p_last_seen_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_bin('5 seconds', p_last_seen_at, timestamptz '2000-01-01 00:00:00+00')
$$;
COMMENT ON FUNCTION app.last_seen_band(timestamptz) IS 'The 5-second band of a last-seen time (list order: band, then time)';

-- 0 below 64 (a young group's every event would change a finer band), then the top three bits
-- of the count: a band changes about four times as the count doubles
CREATE FUNCTION app.occurrence_band(p_count integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_count < 64 THEN 0
              ELSE (p_count >> (floor(ln(p_count::float8) / ln(2::float8))::integer - 2))
                   << (floor(ln(p_count::float8) / ln(2::float8))::integer - 2) END
$$;
COMMENT ON FUNCTION app.occurrence_band(integer) IS
  'The band of an occurrence count: 0 below 64, else its top three bits (list order: band, then count)';

GRANT EXECUTE ON FUNCTION app.last_seen_band(timestamptz), app.occurrence_band(integer) TO staff, org_owner, system_admin;

ALTER TABLE app.system_errors
  ADD COLUMN last_seen_band timestamptz GENERATED ALWAYS AS (app.last_seen_band(last_seen_at)) STORED,
  ADD COLUMN occurrence_band integer GENERATED ALWAYS AS (app.occurrence_band(occurrence_count)) STORED;
COMMENT ON COLUMN app.system_errors.last_seen_band IS
  'last_seen_at in 5-second bands, for the list indexes: order by last_seen_band, last_seen_at, id';
COMMENT ON COLUMN app.system_errors.occurrence_band IS
  'occurrence_count in bands (0 below 64, then three significant bits), for the list indexes: order by occurrence_band, occurrence_count, id';

-- == List indexes ==

CREATE INDEX idx_errors_org_last_seen ON app.system_errors (organization_id, last_seen_band DESC);
CREATE INDEX idx_errors_org_occurrences ON app.system_errors (organization_id, occurrence_band DESC);
-- most users ends with the groups without users, by the tie-breaker id
CREATE INDEX idx_errors_org_id ON app.system_errors (organization_id, id DESC);
-- a filter with either order: read from the filter's index in the list's order, never walked
-- along the whole organization in search of the few matching rows
CREATE INDEX idx_errors_org_status ON app.system_errors (organization_id, status, last_seen_band DESC);
CREATE INDEX idx_errors_org_severity ON app.system_errors (organization_id, severity, last_seen_band DESC);
CREATE INDEX idx_errors_org_type ON app.system_errors (organization_id, error_type, last_seen_band DESC);
CREATE INDEX idx_errors_org_status_occurrences ON app.system_errors (organization_id, status, occurrence_band DESC);
CREATE INDEX idx_errors_org_severity_occurrences ON app.system_errors (organization_id, severity, occurrence_band DESC);
CREATE INDEX idx_errors_org_type_occurrences ON app.system_errors (organization_id, error_type, occurrence_band DESC);

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
