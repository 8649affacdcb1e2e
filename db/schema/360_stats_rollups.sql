-- Rollups for reads at scale: per-hour and per-day counts beside the per-minute error_metrics,
-- and the distinct users of each group. pg_cron folds the minute rows (and the events behind
-- them) into these every minute below a watermark (app.error_rollup_fold,
-- db/functions/app/360_stats_rollups.sql); the statistics read the coarsest rollup that covers
-- each part of a range plus the minute rows above the watermark, so answers stay exact and
-- current while the ingest path writes only the minute rows, as before.

-- == Watermark ==

CREATE TABLE app.error_rollup (
  id           boolean PRIMARY KEY DEFAULT true CONSTRAINT error_rollup_id_check CHECK (id),
  folded_until timestamptz NOT NULL DEFAULT '-infinity',
  folded_at    timestamptz,
  windows_until timestamptz NOT NULL DEFAULT '-infinity'
);
COMMENT ON TABLE app.error_rollup IS 'The one row of rollup state: how far the minute counts and events are folded';
COMMENT ON COLUMN app.error_rollup.folded_until IS
  'Every minute before this (and no later one) is in the hourly, daily and users rollups; minute rows before it never change';
COMMENT ON COLUMN app.error_rollup.folded_at IS 'When the last fold ran';
COMMENT ON COLUMN app.error_rollup.windows_until IS
  'The watermark app.error_group_windows is counted to: the windows are read only when it is folded_until, and built afresh by the next fold when it is not';
INSERT INTO app.error_rollup DEFAULT VALUES;

ALTER TABLE app.error_rollup ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_rollup_read ON app.error_rollup FOR SELECT TO staff, org_owner, system_admin USING (true);
GRANT SELECT ON app.error_rollup TO staff, org_owner, system_admin;

-- == Hourly and daily counts ==

-- Buckets are UTC hours and days (date_bin from 2000-01-01 00:00 UTC, as the stats series). The
-- bucket holding the watermark is partial: it counts the minutes before the watermark only. Only
-- the primary key: the statistics read one organization's range from it alone (index-only);
-- all organizations at once and the nightly retention read it whole.
CREATE TABLE app.error_metrics_hourly (
  organization_id uuid NOT NULL,
  bucket          timestamptz NOT NULL,
  error_hash      varchar(64) NOT NULL,
  event_count     bigint NOT NULL,
  -- the count too: a range of one organization is an index-only scan
  CONSTRAINT error_metrics_hourly_pkey PRIMARY KEY (organization_id, bucket, error_hash) INCLUDE (event_count)
) WITH (fillfactor = 70);  -- the current hour's rows are bumped by every fold
COMMENT ON TABLE app.error_metrics_hourly IS 'Accepted events per organization, UTC hour and error group (minutes folded so far)';
-- a few groups' hours (sparklines, an error's page): written by the fold only, never by ingest
CREATE INDEX idx_error_metrics_hourly_group ON app.error_metrics_hourly (organization_id, error_hash, bucket)
  INCLUDE (event_count);

CREATE TABLE app.error_metrics_daily (
  organization_id uuid NOT NULL,
  bucket          timestamptz NOT NULL,
  error_hash      varchar(64) NOT NULL,
  event_count     bigint NOT NULL,
  -- the count too: a range of one organization is an index-only scan
  CONSTRAINT error_metrics_daily_pkey PRIMARY KEY (organization_id, bucket, error_hash) INCLUDE (event_count)
) WITH (fillfactor = 50);  -- today's rows are bumped by every fold
COMMENT ON TABLE app.error_metrics_daily IS 'Accepted events per organization, UTC day and error group (minutes folded so far)';

ALTER TABLE app.error_metrics_hourly ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_metrics_hourly_system_admin ON app.error_metrics_hourly FOR SELECT TO system_admin USING (true);
CREATE POLICY error_metrics_hourly_own_org ON app.error_metrics_hourly FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_metrics_hourly TO staff, org_owner, system_admin;

ALTER TABLE app.error_metrics_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_metrics_daily_system_admin ON app.error_metrics_daily FOR SELECT TO system_admin USING (true);
CREATE POLICY error_metrics_daily_own_org ON app.error_metrics_daily FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_metrics_daily TO staff, org_owner, system_admin;

-- == All counts in one shape ==

-- The per-minute counts and their rollups as one relation with a level (0 minutes, 1 hours,
-- 2 days): the statistics read each piece of a range from its level (app._stats_segments).
CREATE VIEW app.error_counts WITH (security_invoker = true) AS
  SELECT 0 AS level, m.organization_id, m.bucket, m.error_hash, m.event_count::bigint AS event_count
    FROM app.error_metrics m
  UNION ALL
  SELECT 1, h.organization_id, h.bucket, h.error_hash, h.event_count FROM app.error_metrics_hourly h
  UNION ALL
  SELECT 2, d.organization_id, d.bucket, d.error_hash, d.event_count FROM app.error_metrics_daily d;
COMMENT ON VIEW app.error_counts IS 'Accepted events per organization, bucket and error group: minutes (level 0), hours (1), days (2)';
GRANT SELECT ON app.error_counts TO staff, org_owner, system_admin;

-- == Users affected ==

CREATE TABLE app.error_group_users (
  organization_id uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  user_id         varchar(255) NOT NULL,
  CONSTRAINT error_group_users_pkey PRIMARY KEY (organization_id, error_hash, user_id)
);
COMMENT ON TABLE app.error_group_users IS 'Each user id seen in a group''s events (folded so far)';

-- one row per group with at least one user; the "most users" list walks its index
CREATE TABLE app.error_group_user_counts (
  organization_id uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  error_id        uuid NOT NULL,
  users_affected  integer NOT NULL,
  CONSTRAINT error_group_user_counts_pkey PRIMARY KEY (organization_id, error_hash)
);
COMMENT ON TABLE app.error_group_user_counts IS 'Distinct users per error group (the rows of app.error_group_users, counted)';
COMMENT ON COLUMN app.error_group_user_counts.error_id IS 'The group (system_errors.id): the tie-breaker of the list order';
CREATE INDEX idx_error_group_user_counts_rank ON app.error_group_user_counts (organization_id, users_affected DESC, error_id DESC);

ALTER TABLE app.error_group_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_users_system_admin ON app.error_group_users FOR SELECT TO system_admin USING (true);
CREATE POLICY error_group_users_own_org ON app.error_group_users FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_users TO staff, org_owner, system_admin;

ALTER TABLE app.error_group_user_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_user_counts_system_admin ON app.error_group_user_counts FOR SELECT TO system_admin USING (true);
CREATE POLICY error_group_user_counts_own_org ON app.error_group_user_counts FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_user_counts TO staff, org_owner, system_admin;

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

-- == Each group's events in the last 24 hours, 7 days and 30 days (top errors) ==

-- Per group and window (app.stats_windows()): its events in [folded_until - window, folded_until),
-- slid forward by every fold (the minutes it adds in, those that left the window out). The top
-- errors of a range starting near a window's start walk the index below in order and correct the
-- few groups of the minutes between the two starts and after the watermark
-- (app._stats_top_errors_windowed): no sum over every group active in the range. error_id is the
-- group's id, the tie-breaker of the order. A group deleted (retention, a merge's sources, its
-- organization) takes its rows along; rows reaching 0 are deleted.
CREATE TABLE app.error_group_windows (
  organization_id uuid NOT NULL,
  error_hash      varchar(64) NOT NULL,
  time_range      interval NOT NULL,
  error_id        uuid NOT NULL,
  events          bigint NOT NULL,
  CONSTRAINT error_group_windows_pkey PRIMARY KEY (organization_id, error_hash, time_range),
  CONSTRAINT error_group_windows_group_fkey FOREIGN KEY (organization_id, error_hash)
    REFERENCES app.system_errors (organization_id, error_hash) ON DELETE CASCADE
);
COMMENT ON TABLE app.error_group_windows IS
  'Events per error group in the last 24 hours, 7 days and 30 days before the rollup watermark (folded minutes only)';
COMMENT ON COLUMN app.error_group_windows.time_range IS 'The window: one of app.stats_windows()';
COMMENT ON COLUMN app.error_group_windows.error_id IS 'The group (system_errors.id): the tie-breaker of the top errors';
-- one organization's top of a window, and every organization's (system admins)
CREATE INDEX idx_error_group_windows_rank ON app.error_group_windows (organization_id, time_range, events DESC, error_id)
  INCLUDE (error_hash);
CREATE INDEX idx_error_group_windows_rank_all ON app.error_group_windows (time_range, events DESC, error_id)
  INCLUDE (organization_id, error_hash);

ALTER TABLE app.error_group_windows ENABLE ROW LEVEL SECURITY;
CREATE POLICY error_group_windows_system_admin ON app.error_group_windows FOR SELECT TO system_admin USING (true);
CREATE POLICY error_group_windows_own_org ON app.error_group_windows FOR SELECT TO org_owner, staff
  USING (organization_id = (SELECT app.current_org_id()));
GRANT SELECT ON app.error_group_windows TO staff, org_owner, system_admin;

-- == Every organization at once (system admins) ==

-- The statistics of all organizations read the same ranges as one organization's, without the
-- organization to lead with: these serve them (app.error_stats with no organization).
CREATE INDEX idx_error_org_counts_all ON app.error_org_counts (level, bucket) INCLUDE (organization_id, error_type, severity, event_count);
CREATE INDEX idx_error_group_activity_last_all ON app.error_group_activity (last_bucket) INCLUDE (organization_id, status, first_seen_at);
CREATE INDEX idx_error_group_activity_first_seen_all ON app.error_group_activity (first_seen_at)
  INCLUDE (organization_id, last_bucket, status);
CREATE INDEX idx_error_activity_counts_hour_all ON app.error_activity_counts (last_hour)
  INCLUDE (organization_id, status, first_seen_hour, groups);
