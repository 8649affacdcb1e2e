-- The statistics count the groups active in a range by status and first seen time from
-- app.error_group_activity (db/schema/360_stats_rollups.sql); this keeps those two current when
-- a group changes them (triage, a regression, an event older than the group). Ingest updates a
-- group's row with each batch, but the WHEN clause lets through only the rare real changes.
-- The definer's rights: staff and owners triage through PostgREST and may not write the table.
CREATE OR REPLACE FUNCTION app.tg_system_errors__activity() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, app, public AS $$
BEGIN
  -- a group not folded yet gets its row now (-infinity: no folded minute), so a fold racing
  -- this change finds the new values and keeps them (the fold sets them on insert only)
  INSERT INTO app.error_group_activity AS a (organization_id, error_hash, last_bucket, status, first_seen_at)
  VALUES (NEW.organization_id, NEW.error_hash, '-infinity', NEW.status, NEW.first_seen_at)
  ON CONFLICT (organization_id, error_hash) DO UPDATE SET status = excluded.status, first_seen_at = excluded.first_seen_at;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_system_errors__activity() IS
  'After a group''s status or first seen time changes: the same in app.error_group_activity';

CREATE OR REPLACE TRIGGER _500_activity AFTER UPDATE OF status, first_seen_at ON app.system_errors
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.first_seen_at IS DISTINCT FROM NEW.first_seen_at)
  EXECUTE FUNCTION app.tg_system_errors__activity();

-- app.error_activity_counts follows app.error_group_activity: each statement's rows counted out
-- of their old (hour, status, hour first seen) and into their new one, appended as signed rows
-- (app.error_rollup_fold sums them up).
-- Most of a fold's rows stay in their hour: their changes cancel out and write nothing.
CREATE OR REPLACE FUNCTION app.tg_error_group_activity__counts() RETURNS trigger
LANGUAGE plpgsql AS $$
-- @plpgsql_check_options: oldtable = old_rows, newtable = new_rows
DECLARE
  v_changes app.error_activity_counts[] := '{}'::app.error_activity_counts[];
BEGIN
  IF TG_OP <> 'DELETE' THEN
    v_changes := ARRAY(SELECT (n.organization_id, app.stats_bucket_start('1 hour', n.last_bucket), n.status,
                               app.stats_bucket_start('1 hour', n.first_seen_at), 1)::app.error_activity_counts
                         FROM new_rows n);
  END IF;
  IF TG_OP <> 'INSERT' THEN
    v_changes := v_changes || ARRAY(SELECT (o.organization_id, app.stats_bucket_start('1 hour', o.last_bucket), o.status,
                                            app.stats_bucket_start('1 hour', o.first_seen_at), -1)::app.error_activity_counts
                                      FROM old_rows o);
  END IF;
  INSERT INTO app.error_activity_counts (organization_id, last_hour, status, first_seen_hour, groups)
  SELECT d.organization_id, d.last_hour, d.status, d.first_seen_hour, sum(d.groups)::bigint
    FROM unnest(v_changes) AS d
   GROUP BY 1, 2, 3, 4 HAVING sum(d.groups) <> 0;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION app.tg_error_group_activity__counts() IS
  'Statement trigger: count the changed rows of app.error_group_activity into app.error_activity_counts';

CREATE OR REPLACE TRIGGER _500_counts_insert AFTER INSERT ON app.error_group_activity
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app.tg_error_group_activity__counts();
CREATE OR REPLACE TRIGGER _500_counts_update AFTER UPDATE ON app.error_group_activity
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app.tg_error_group_activity__counts();
CREATE OR REPLACE TRIGGER _500_counts_delete AFTER DELETE ON app.error_group_activity
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app.tg_error_group_activity__counts();
