-- 0024: statistics in O(buckets): organization counts by type and severity, the top groups of
-- each hourly and daily bucket, and each group's last active minute, all folded with the rollups;
-- the fold starts over (the next run rebuilds every rollup from the minute rows).
-- ---- as in db/schema/360_stats_rollups.sql
-- == Organization counts, top groups, activity (statistics in O(buckets)) ==

-- Events per organization, bucket, error type and severity at every level (0 minutes, 1 hours,
-- 2 days), folded with the group rollups: totals, series, by type and by severity are read from
-- these, a few rows per bucket however many groups were active. A group's type and severity are
-- those it had when its minutes were folded (severity only ever rises, by an event).
CREATE TABLE app.error_org_counts (
  organization_id uuid NOT NULL,
  level           smallint NOT NULL CONSTRAINT error_org_counts_level_check CHECK (level BETWEEN 0 AND 2),
  bucket          timestamptz NOT NULL,
  error_type      app.error_type_enum NOT NULL,
  severity        app.severity_enum NOT NULL,
  event_count     bigint NOT NULL,
  CONSTRAINT error_org_counts_pkey PRIMARY KEY (organization_id, level, bucket, error_type, severity) INCLUDE (event_count)
) WITH (fillfactor = 70);  -- the current hour's and day's rows are bumped by every fold
COMMENT ON TABLE app.error_org_counts IS
  'Accepted events per organization, bucket (level 0 minutes, 1 hours, 2 days), type and severity (minutes folded so far)';

-- The groups with most events of each hourly and daily bucket (app.stats_top_candidates() of
-- them) and the count no other group of the bucket exceeds: the top errors of a range are summed
-- exactly for these candidates only, and proven complete by the thresholds (app.error_stats).
CREATE TABLE app.error_bucket_top (
  organization_id uuid NOT NULL,
  level           smallint NOT NULL CONSTRAINT error_bucket_top_level_check CHECK (level BETWEEN 1 AND 2),
  bucket          timestamptz NOT NULL,
  error_hashes    varchar(64)[] NOT NULL,
  threshold       bigint NOT NULL,
  CONSTRAINT error_bucket_top_pkey PRIMARY KEY (organization_id, level, bucket)
);
COMMENT ON TABLE app.error_bucket_top IS 'The groups with most events in each hourly and daily bucket (folded so far)';
COMMENT ON COLUMN app.error_bucket_top.threshold IS
  'No group left out of error_hashes has more events in the bucket (0: the bucket has no other group)';

-- Each group's last folded minute with events, with the attributes the statistics count groups
-- by: the groups active in a range are an index range, never a pass over the counts. Status and
-- first seen are kept current by a trigger on system_errors (db/triggers/360_stats.sql).
CREATE TABLE app.error_group_activity (
  organization_id uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  last_bucket     timestamptz NOT NULL,
  status          app.error_status_enum,
  first_seen_at   timestamptz,
  CONSTRAINT error_group_activity_pkey PRIMARY KEY (organization_id, error_hash)
);
COMMENT ON TABLE app.error_group_activity IS
  'Per error group: the last folded minute with events (-infinity: none yet), its status and first seen time';
CREATE INDEX idx_error_group_activity_last ON app.error_group_activity (organization_id, last_bucket)
  INCLUDE (status, first_seen_at);

ALTER TABLE app.error_org_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_org_counts_system_admin ON app.error_org_counts FOR SELECT TO system_admin USING (true);
CREATE POLICY error_org_counts_own_org ON app.error_org_counts FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_org_counts TO staff, org_owner, system_admin;

ALTER TABLE app.error_bucket_top ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_bucket_top_system_admin ON app.error_bucket_top FOR SELECT TO system_admin USING (true);
CREATE POLICY error_bucket_top_own_org ON app.error_bucket_top FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_bucket_top TO staff, org_owner, system_admin;

ALTER TABLE app.error_group_activity ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_activity_system_admin ON app.error_group_activity FOR SELECT TO system_admin USING (true);
CREATE POLICY error_group_activity_own_org ON app.error_group_activity FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_activity TO staff, org_owner, system_admin;

-- The groups active in a range, counted without visiting each: app.error_group_activity's rows
-- counted by the hour of their last folded minute, status and hour first seen, kept by
-- statement triggers on it (db/triggers/360_stats.sql). The statistics add whole hours from
-- here and take the rows of the hour the range starts in, and of the hour it was first seen in,
-- one by one (the index on first_seen_at below). Changes are appended as signed rows, never
-- updated in place: a bulk triage changes a count once per group in one transaction, and
-- ingest never waits for the fold's row locks; the fold sums each key's rows into one.
CREATE TABLE app.error_activity_counts (
  organization_id uuid NOT NULL,
  last_hour       timestamptz NOT NULL,
  status          app.error_status_enum,
  first_seen_hour timestamptz,
  groups          bigint NOT NULL
);
COMMENT ON TABLE app.error_activity_counts IS
  'Changes of the count of error groups per organization, hour of their last folded minute, status and hour first seen (their sum is app.error_group_activity counted)';
CREATE INDEX idx_error_activity_counts_hour ON app.error_activity_counts (organization_id, last_hour)
  INCLUDE (status, first_seen_hour, groups);
CREATE INDEX idx_error_group_activity_first_seen ON app.error_group_activity (organization_id, first_seen_at)
  INCLUDE (last_bucket, status);
-- a candidate's days of a range (top errors), as idx_error_metrics_hourly_group for hours
CREATE INDEX idx_error_metrics_daily_group ON app.error_metrics_daily (organization_id, error_hash, bucket)
  INCLUDE (event_count);

ALTER TABLE app.error_activity_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_activity_counts_system_admin ON app.error_activity_counts FOR SELECT TO system_admin USING (true);
CREATE POLICY error_activity_counts_own_org ON app.error_activity_counts FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_activity_counts TO staff, org_owner, system_admin;

DELETE FROM app.error_metrics_hourly;
DELETE FROM app.error_metrics_daily;
DELETE FROM app.error_group_users;
DELETE FROM app.error_group_user_counts;
UPDATE app.error_rollup SET folded_until = '-infinity', folded_at = NULL;
