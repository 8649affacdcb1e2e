-- 0037: each error group's events in the last 24 hours, 7 days and 30 days (app.error_group_windows),
-- slid along by the rollup fold: the statistics' top errors of the Overview's ranges walk an index
-- instead of summing every group active in the range. The next fold counts the windows afresh
-- (windows_until starts at -infinity).

-- ---- as in db/schema/360_stats_rollups.sql
ALTER TABLE app.error_rollup ADD COLUMN windows_until timestamptz NOT NULL DEFAULT '-infinity';
COMMENT ON COLUMN app.error_rollup.windows_until IS
  'The watermark app.error_group_windows is counted to: the windows are read only when it is folded_until, and built afresh by the next fold when it is not';

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
