-- Retention and event partitions (settings in app.retention_setting). pg_cron calls these
-- (db/functions/app/930_ingest_cron.sql); tests call them directly.

-- == Partitions ==

-- One partition per UTC day, from yesterday to partitions_ahead days ahead. Rows that landed in
-- the default partition for such a day (pg_cron was down) are moved into the new partition.
CREATE OR REPLACE FUNCTION app.error_events_ensure_partitions(p_days_ahead integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_today date := (now() AT TIME ZONE 'UTC')::date;
  v_ahead integer := coalesce(p_days_ahead, (SELECT s.partitions_ahead FROM app.retention_setting s), 7);
  v_day date;
  v_name text;
  v_from text;
  v_to text;
  v_created integer := 0;
  v_columns text;
BEGIN
  FOR v_day IN SELECT d::date FROM generate_series(v_today - 1, v_today + v_ahead, interval '1 day') AS d LOOP
    v_name := 'error_events_p' || to_char(v_day, 'YYYYMMDD');
    CONTINUE WHEN to_regclass('app.' || v_name) IS NOT NULL;
    v_from := v_day::text || ' 00:00:00+00';
    v_to := (v_day + 1)::text || ' 00:00:00+00';
    IF EXISTS (SELECT FROM app.error_events_default d
                WHERE d.received_at >= v_from::timestamptz AND d.received_at < v_to::timestamptz) THEN
      EXECUTE format('CREATE TABLE app.%I (LIKE app.error_events INCLUDING DEFAULTS INCLUDING GENERATED)', v_name);
      -- every column but the generated ones (environment, release: computed again as the rows move)
      v_columns := (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                     WHERE a.attrelid = 'app.error_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                       AND a.attgenerated = '');
      EXECUTE format('WITH moved AS (DELETE FROM app.error_events_default WHERE received_at >= $1 AND received_at < $2 '
                     'RETURNING %s) INSERT INTO app.%I (%s) SELECT * FROM moved', v_columns, v_name, v_columns)
        USING v_from::timestamptz, v_to::timestamptz;
      EXECUTE format('ALTER TABLE app.error_events ATTACH PARTITION app.%I FOR VALUES FROM (%L) TO (%L)',
                     v_name, v_from, v_to);
    ELSE
      EXECUTE format('CREATE TABLE app.%I PARTITION OF app.error_events FOR VALUES FROM (%L) TO (%L)',
                     v_name, v_from, v_to);
    END IF;
    EXECUTE format('ALTER TABLE app.%I ENABLE ROW LEVEL SECURITY', v_name);
    v_created := v_created + 1;
  END LOOP;
  RETURN v_created;
END $$;
COMMENT ON FUNCTION app.error_events_ensure_partitions(integer) IS
  'Create the daily error_events partitions from yesterday to N days ahead (default: retention_setting); returns how many';

-- == Retention ==

CREATE OR REPLACE FUNCTION app.retention_run() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_setting app.retention_setting;
  v_ids uuid[];
  v_orgs uuid[];
  v_hashes text[];
  v_events bigint;
  v_partition record;
  v_dropped text[] := ARRAY[]::text[];
  v_horizon date;
  v_counts_horizon timestamptz;
BEGIN
  SELECT * INTO v_setting FROM app.retention_setting;
  -- counts are pruned by whole UTC days, the same day in minutes, hours and days, so every
  -- rollup row left is still the sum of its minute rows; and not while a fold adds to them
  v_counts_horizon := app.stats_bucket_start('1 day', now() - v_setting.metrics);
  PERFORM FROM app.error_rollup r FOR UPDATE;

  -- 1. resolved groups past retention, locked like ingest locks them (key order), so an event
  --    arriving meanwhile waits and then starts a fresh group
  SELECT coalesce(array_agg(d.id), '{}'), coalesce(array_agg(d.organization_id), '{}'), coalesce(array_agg(d.error_hash), '{}')
    INTO v_ids, v_orgs, v_hashes
    FROM (SELECT s.id, s.organization_id, s.error_hash::text AS error_hash FROM app.system_errors s
           WHERE s.status = 'resolved' AND s.resolved_at < now() - v_setting.resolved_errors
           ORDER BY s.organization_id, s.error_hash FOR UPDATE) AS d;
  DELETE FROM app.error_events e USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE e.organization_id = d.organization_id AND e.error_hash = d.error_hash;
  GET DIAGNOSTICS v_events = ROW_COUNT;
  DELETE FROM app.error_event_ids x USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE x.organization_id = d.organization_id AND x.error_hash = d.error_hash;
  DELETE FROM app.error_metrics m USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE m.organization_id = d.organization_id AND m.error_hash = d.error_hash;
  DELETE FROM app.error_metrics_hourly h USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE h.organization_id = d.organization_id AND h.error_hash = d.error_hash;
  DELETE FROM app.error_metrics_daily y USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE y.organization_id = d.organization_id AND y.error_hash = d.error_hash;
  DELETE FROM app.error_group_users u USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE u.organization_id = d.organization_id AND u.error_hash = d.error_hash;
  DELETE FROM app.error_group_user_counts c WHERE c.error_id = ANY (v_ids);
  DELETE FROM app.error_group_releases g USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE g.organization_id = d.organization_id AND g.error_hash = d.error_hash;
  DELETE FROM app.error_group_hashes h USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE h.organization_id = d.organization_id AND h.error_hash = d.error_hash;  -- (merged hashes start afresh too)
  DELETE FROM app.error_group_activity a USING unnest(v_orgs, v_hashes) AS d (organization_id, error_hash)
   WHERE a.organization_id = d.organization_id AND a.error_hash = d.error_hash;
  UPDATE app.user_error_reports r SET linked_error_id = NULL WHERE r.linked_error_id = ANY (v_ids);
  DELETE FROM app.system_errors s WHERE s.id = ANY (v_ids);

  -- 2. whole days of events past retention: drop their partitions
  v_horizon := ((now() - v_setting.events) AT TIME ZONE 'UTC')::date;
  FOR v_partition IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'app.error_events'::regclass AND c.relname ~ '^error_events_p[0-9]{8}$'
       AND to_date(substr(c.relname, 15), 'YYYYMMDD') < v_horizon
     ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE app.%I', v_partition.relname);
    v_dropped := v_dropped || v_partition.relname::text;
  END LOOP;
  DELETE FROM app.error_events_default d WHERE d.received_at < now() - v_setting.events;

  -- 3. counters and idempotency keys past retention
  DELETE FROM app.error_event_ids x WHERE x.received_at < now() - v_setting.events;
  PERFORM app._error_windows_forget(v_counts_horizon);  -- (the groups deleted above took their windows along)
  DELETE FROM app.error_metrics m WHERE m.bucket < v_counts_horizon;
  DELETE FROM app.error_metrics_hourly h WHERE h.bucket < v_counts_horizon;
  DELETE FROM app.error_metrics_daily y WHERE y.bucket < v_counts_horizon;
  -- (a deleted resolved group's events stay in these: all older than its resolution, so than any
  -- range shorter than the resolved groups' retention)
  DELETE FROM app.error_org_counts o WHERE o.bucket < v_counts_horizon;
  DELETE FROM app.error_bucket_top t WHERE t.bucket < v_counts_horizon;
  -- a group whose last folded minute is gone has no events in any range any more
  UPDATE app.error_group_activity a SET last_bucket = '-infinity'
   WHERE a.last_bucket < v_counts_horizon AND a.last_bucket > '-infinity';
  DELETE FROM app.rate_limit_usage u WHERE u.minute < now() - v_setting.rate_limit_usage;
  DELETE FROM app.ingest_refusals r WHERE r.minute < now() - v_setting.rate_limit_usage;

  RETURN jsonb_build_object('deleted_errors', cardinality(v_ids), 'deleted_events', v_events,
                            'dropped_partitions', to_jsonb(v_dropped),
                            'created_partitions', app.error_events_ensure_partitions(),
                            'deleted', app.retention_purge_history(v_setting));
END $$;
COMMENT ON FUNCTION app.retention_run() IS
  'Nightly: delete resolved errors past retention with their events and counts, drop old event partitions, purge old counters and history';

-- 4. what grows with traffic or time besides errors: SDK sessions and counters, check-ins, repairs,
--    closed reports, pg_cron's run log. Nightly deletes scan these tables (no index on their age:
--    it would cost every session update its HOT path).
CREATE OR REPLACE FUNCTION app.retention_purge_history(p_setting app.retention_setting) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_deleted jsonb;
  v_cron_runs bigint := 0;
  v_cron_log regclass;
BEGIN
  WITH sessions AS (
    DELETE FROM app.client_sessions s WHERE s.updated_at < now() - p_setting.client_sessions RETURNING 1
  ), session_aggregates AS (
    DELETE FROM app.client_session_aggregates a WHERE a.hour < now() - p_setting.client_session_aggregates RETURNING 1
  ), discards AS (
    DELETE FROM app.client_discards d WHERE d.hour < now() - p_setting.client_discards RETURNING 1
  ), dropped AS (
    DELETE FROM app.dropped_items d WHERE d.hour < now() - p_setting.dropped_items RETURNING 1
  ), check_ins AS (
    DELETE FROM app.cron_check_ins c WHERE c.updated_at < now() - p_setting.cron_check_ins RETURNING 1
  ), repairs AS (
    DELETE FROM app.ingest_repairs r WHERE r.hour < now() - p_setting.ingest_repairs RETURNING 1
  ), reports AS (
    DELETE FROM app.user_error_reports r
     WHERE r.status IN ('resolved', 'closed', 'duplicate')
       AND coalesce(r.resolved_at, r.updated_at) < now() - p_setting.closed_reports
    RETURNING 1
  )
  SELECT jsonb_build_object(
           'client_sessions', (SELECT count(*) FROM sessions),
           'client_session_aggregates', (SELECT count(*) FROM session_aggregates),
           'client_discards', (SELECT count(*) FROM discards),
           'dropped_items', (SELECT count(*) FROM dropped),
           'cron_check_ins', (SELECT count(*) FROM check_ins),
           'ingest_repairs', (SELECT count(*) FROM repairs),
           'closed_reports', (SELECT count(*) FROM reports))
    INTO v_deleted;
  -- only the database pg_cron lives in has its log; the table named through a variable, so this
  -- compiles (and plpgsql_check passes) where it does not exist
  v_cron_log := to_regclass('cron.job_run_details');
  IF v_cron_log IS NOT NULL THEN
    EXECUTE format('DELETE FROM %s WHERE coalesce(end_time, start_time) < $1', v_cron_log)
      USING now() - p_setting.cron_run_details;
    GET DIAGNOSTICS v_cron_runs = ROW_COUNT;
  END IF;
  RETURN v_deleted || jsonb_build_object('cron_run_details', v_cron_runs);
END $$;
COMMENT ON FUNCTION app.retention_purge_history(app.retention_setting) IS
  'Delete SDK sessions and counters, check-ins, repair counts, closed reports and pg_cron run logs past their retention; counts per kind';
