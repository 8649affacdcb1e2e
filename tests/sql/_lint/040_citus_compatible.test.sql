-- The schema stays ready to be distributed with Citus by organization_id (docs/scaling.md). Citus
-- itself is not installed here: these are its rules, checked in the catalogue.
--   * every app table has a placement: distributed (by organization_id), reference (copied to
--     every node: small, global or looked up before the organization is known) or local (stays on
--     the coordinator: the job queue, caches, health probing);
--   * a distributed table's primary key and unique constraints include organization_id, and the
--     column is NOT NULL (Citus refuses both otherwise);
--   * a foreign key between distributed tables includes organization_id on both sides; nothing
--     refers to a distributed table except a distributed table; a reference table refers to no
--     local table.
-- What does not follow the rules yet is listed below with the change it needs; the lists must
-- match the catalogue exactly, so a new table or key that breaks a rule fails here, and so does an
-- exception that is no longer needed.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE citus_placement (table_name text PRIMARY KEY, placement text NOT NULL
  CHECK (placement IN ('distributed', 'reference', 'local')));
INSERT INTO citus_placement VALUES
  -- tenant data, written per organization: distributed by organization_id, co-located
  ('system_errors', 'distributed'), ('error_events', 'distributed'), ('error_event_ids', 'distributed'),
  ('error_metrics', 'distributed'), ('error_status_history', 'distributed'), ('user_error_reports', 'distributed'),
  ('rate_limit_usage', 'distributed'), ('organization_rate_limits', 'distributed'), ('ingest_refusals', 'distributed'),
  ('ingest_repairs', 'distributed'), ('personal_data_policy', 'distributed'), ('client_sessions', 'distributed'),
  ('client_session_aggregates', 'distributed'), ('client_discards', 'distributed'), ('dropped_items', 'distributed'),
  ('cron_check_ins', 'distributed'), ('error_alerts', 'distributed'), ('alert_destinations', 'distributed'),
  ('alert_incidents', 'distributed'), ('alert_signals', 'distributed'), ('alert_notifications', 'distributed'),
  ('alert_deliveries', 'distributed'), ('alert_delivery_attempts', 'distributed'),
  ('alert_in_app_notifications', 'distributed'), ('error_metrics_hourly', 'distributed'),
  ('error_metrics_daily', 'distributed'), ('error_group_users', 'distributed'), ('error_group_user_counts', 'distributed'),
  ('error_org_counts', 'distributed'), ('error_bucket_top', 'distributed'), ('error_group_activity', 'distributed'),
  ('error_activity_counts', 'distributed'), ('error_group_windows', 'distributed'),
  ('error_similarity', 'distributed'), ('error_messages', 'distributed'), ('ai_analysis_run', 'distributed'), ('report_screenshots', 'distributed'),
  ('user_error_report_history', 'distributed'), ('demo_backfills', 'distributed'),
  ('error_group_hashes', 'distributed'), ('fingerprint_rules', 'distributed'), ('error_assignment_history', 'distributed'),
  ('error_group_releases', 'distributed'), ('releases', 'distributed'), ('deploys', 'distributed'),
  -- small or global, read on every node; tenants, users and keys are resolved before the organization is known
  ('organizations', 'reference'), ('users', 'reference'), ('projects', 'reference'), ('project_webhook_secrets', 'reference'),
  ('error_code', 'reference'), ('alert_condition_keys', 'reference'), ('alert_settings', 'reference'),
  ('capture_job_policy', 'reference'), ('error_status_transition', 'reference'), ('job_setting', 'reference'),
  ('rate_limit_setting', 'reference'), ('retention_setting', 'reference'), ('scrub_rule', 'reference'),
  ('sentry_error_type_rules', 'reference'), ('user_agent_rule', 'reference'), ('derivation_cache_state', 'reference'),
  ('health_settings', 'reference'), ('project_widget_keys', 'reference'), ('report_status_transition', 'reference'),
  ('report_rate_limit', 'reference'), ('ai_setting', 'reference'), ('ai_provider', 'reference'), ('ai_prompt', 'reference'),
  ('ai_severity_matrix', 'reference'), ('grouping_config', 'reference'), ('ai_reach_band', 'reference'), ('ai_heuristic_rule', 'reference'),
  ('web_settings', 'reference'), ('severity_response_targets', 'reference'),
  -- on the coordinator: the job queue (claimed with SKIP LOCKED), caches shared by all organizations,
  -- the metrics fold, and health probing (probes per minute, not events per second)
  ('job', 'local'), ('job_history', 'local'), ('job_key', 'local'), ('derivation_cache', 'local'),
  ('metric_totals', 'local'), ('metric_fold_state', 'local'), ('health_monitors', 'local'),
  ('health_monitor_state', 'local'), ('health_maintenance_windows', 'local'), ('health_run_usage', 'local'),
  ('health_summary_cache', 'local'), ('health_status_page_cache', 'local'), ('health_checks', 'local'),
  ('system_uptime', 'local'), ('error_rollup', 'local'), ('report_rate_usage', 'local'),
  ('ai_provider_usage', 'local'), ('demo_objects', 'local'),
  -- the health history the heartbeat baseline, SLOs and uptime corrections read (with their monitors)
  ('health_heartbeat_minutes', 'local'), ('service_slos', 'local'), ('uptime_corrections', 'local'),
  ('uptime_correction_days', 'local'),
  -- the web app's sign-in: looked up by session token or e-mail address before the organization is known
  ('web_sessions', 'local'), ('web_login_attempts', 'local');

-- What must change before distributing, by rule: the object and the change.
CREATE TEMP TABLE citus_exception (rule text, table_name text, object text, change text NOT NULL,
  PRIMARY KEY (rule, table_name, object));
INSERT INTO citus_exception
SELECT 'key', t, t || '_pkey', 'primary key (id) becomes (organization_id, id); ids stay unique on their own'
  FROM unnest(ARRAY['system_errors', 'user_error_reports', 'error_status_history', 'error_alerts', 'alert_destinations',
                    'alert_incidents', 'alert_signals', 'alert_notifications', 'alert_deliveries',
                    'alert_in_app_notifications', 'ai_analysis_run', 'report_screenshots', 'user_error_report_history',
                    'error_assignment_history']) t
UNION ALL
SELECT 'key', t, t || '_pkey', 'primary key (error_id) becomes (organization_id, error_id)'
  FROM unnest(ARRAY['error_similarity', 'error_messages']) t
UNION ALL
SELECT 'key', 'user_error_reports', 'idx_reports_status_token',
       'unique (status_token) becomes (organization_id, status_token); the status link carries the organization'
UNION ALL
SELECT 'key', 'alert_delivery_attempts', 'alert_delivery_attempts_pkey',
       'primary key (delivery_id, attempt) becomes (organization_id, delivery_id, attempt)'
UNION ALL
SELECT 'key', t, t || '_pkey', 'keyed by project_id: organization_id goes first (a project belongs to one organization)'
  FROM unnest(ARRAY['client_sessions', 'client_session_aggregates', 'client_discards', 'dropped_items', 'cron_check_ins']) t
UNION ALL
SELECT 'key', 'alert_destinations', 'alert_destinations_rule_address_key',
       'unique (rule_id, address_hash) becomes (organization_id, rule_id, address_hash)'
UNION ALL
SELECT 'key', 'alert_signals', 'alert_signals_open_key',
       'unique (rule_id, dedup_key) of open signals becomes (organization_id, rule_id, dedup_key)'
UNION ALL
SELECT 'not_null', t, 'organization_id', 'platform-wide rows (platform rules, monitors and their incidents) get the '
       || 'platform''s own organization; then organization_id is NOT NULL'
  FROM unnest(ARRAY['error_alerts', 'alert_destinations', 'alert_incidents', 'alert_signals', 'alert_notifications',
                    'alert_deliveries', 'alert_delivery_attempts', 'alert_in_app_notifications']) t
UNION ALL
SELECT 'not_null', t, 'organization_id', 'the spec leaves the column nullable, every write sets it: NOT NULL'
  FROM unnest(ARRAY['system_errors', 'user_error_reports', 'error_status_history', 'report_screenshots',
                    'user_error_report_history']) t
UNION ALL
SELECT 'foreign_key', t, c, 'refers by id alone: becomes (organization_id, id) once both keys include organization_id'
  FROM (VALUES ('alert_deliveries', 'alert_deliveries_destination_id_fkey'),
               ('alert_deliveries', 'alert_deliveries_incident_id_fkey'),
               ('alert_deliveries', 'alert_deliveries_notification_id_fkey'),
               ('alert_deliveries', 'alert_deliveries_rule_id_fkey'),
               ('alert_delivery_attempts', 'alert_delivery_attempts_delivery_id_fkey'),
               ('alert_destinations', 'alert_destinations_rule_id_fkey'),
               ('alert_in_app_notifications', 'alert_in_app_notifications_delivery_id_fkey'),
               ('alert_in_app_notifications', 'alert_in_app_notifications_incident_id_fkey'),
               ('alert_incidents', 'alert_incidents_rule_id_fkey'),
               ('alert_notifications', 'alert_notifications_incident_id_fkey'),
               ('alert_signals', 'alert_signals_incident_id_fkey'),
               ('alert_signals', 'alert_signals_rule_id_fkey'),
               ('error_status_history', 'error_status_history_error_id_fkey'),
               ('error_assignment_history', 'error_assignment_history_error_id_fkey'),
               ('user_error_reports', 'user_error_reports_linked_error_id_fkey'),
               ('user_error_reports', 'user_error_reports_duplicate_of_fkey'),
               ('user_error_report_history', 'user_error_report_history_report_id_fkey'),
               ('report_screenshots', 'report_screenshots_report_id_fkey'),
               ('error_similarity', 'error_similarity_error_id_fkey'),
               ('error_messages', 'error_messages_error_id_fkey'),
               ('ai_analysis_run', 'ai_analysis_run_error_id_fkey'),
               ('ai_analysis_run', 'ai_analysis_run_fallback_of_fkey')) AS f (t, c);

CREATE TEMP VIEW app_table AS
  SELECT c.oid, c.relname::text AS table_name, p.placement,
         (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id') AS org_attnum
    FROM pg_class c LEFT JOIN citus_placement p ON p.table_name = c.relname
   WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition;

SELECT is_empty($$SELECT table_name FROM app_table WHERE placement IS NULL$$,
  'every app table has a Citus placement (distributed, reference or local)');

SELECT is_empty($$SELECT table_name FROM citus_placement EXCEPT SELECT table_name FROM app_table$$,
  'the placement list names only tables that exist');

SELECT is_empty($$SELECT table_name FROM app_table WHERE placement = 'distributed' AND org_attnum IS NULL$$,
  'every distributed table has the distribution column organization_id');

SELECT set_eq($$
  SELECT t.table_name, i.indexrelid::regclass::text
    FROM app_table t JOIN pg_index i ON i.indrelid = t.oid AND i.indisunique
   WHERE t.placement = 'distributed' AND NOT t.org_attnum = ANY (i.indkey::int2[])$$,
  $$SELECT table_name, 'app.' || object FROM citus_exception WHERE rule = 'key'$$,
  'every unique key of a distributed table includes organization_id, but for the listed ones');

SELECT set_eq($$
  SELECT t.table_name FROM app_table t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = t.org_attnum
   WHERE t.placement = 'distributed' AND NOT a.attnotnull$$,
  $$SELECT table_name FROM citus_exception WHERE rule = 'not_null'$$,
  'organization_id is NOT NULL in every distributed table, but for the listed ones');

SELECT set_eq($$
  SELECT s.table_name, k.conname::text
    FROM pg_constraint k JOIN app_table s ON s.oid = k.conrelid JOIN app_table d ON d.oid = k.confrelid
   WHERE k.contype = 'f' AND s.placement = 'distributed' AND d.placement = 'distributed'
     AND (array_position(k.conkey, s.org_attnum) IS NULL
          OR array_position(k.conkey, s.org_attnum) IS DISTINCT FROM array_position(k.confkey, d.org_attnum))$$,
  $$SELECT table_name, object FROM citus_exception WHERE rule = 'foreign_key'$$,
  'every foreign key between distributed tables includes organization_id on both sides, but for the listed ones');

SELECT is_empty($$
  SELECT s.table_name || ' -> ' || d.table_name
    FROM pg_constraint k JOIN app_table s ON s.oid = k.conrelid JOIN app_table d ON d.oid = k.confrelid
   WHERE k.contype = 'f' AND ((d.placement = 'distributed' AND s.placement <> 'distributed')
                           OR (d.placement = 'local' AND s.placement <> 'local'))$$,
  'only distributed tables refer to distributed tables, and only local tables to local ones');

SELECT is_empty($$SELECT rule, table_name, object FROM citus_exception WHERE btrim(change) = ''$$,
  'every exception says what must change');

SELECT * FROM finish();
ROLLBACK;
