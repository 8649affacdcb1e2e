-- Each error group's grouping rules version (db/schema/325_grouping.sql has the rest of grouping's
-- state). A file of its own after 365_error_lists.sql: the column comes after the list columns,
-- where migration 0022 adds it (the drift test compares column order).
ALTER TABLE app.system_errors ADD COLUMN grouping_version smallint NOT NULL DEFAULT 2;
COMMENT ON COLUMN app.system_errors.grouping_version IS
  'The grouping rules version its error_hash was computed with (app.grouping_config); newer rules keep matching it';
