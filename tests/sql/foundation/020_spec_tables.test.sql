-- The spec's five tables carry every column it lists, with its type, default and nullability.
-- (Later features may add columns; the spec's ones must all stay exactly as written.)
BEGIN;
SELECT plan(6);

SELECT set_has(
  $$SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod),
           pg_get_expr(d.adbin, d.adrelid), a.attnotnull
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'app'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped$$,
  $expected$VALUES
  ('error_alerts', 'id', 'uuid', $$gen_random_uuid()$$, true),
  ('error_alerts', 'alert_type', 'app.alert_type_enum', NULL, true),
  ('error_alerts', 'channel', 'app.alert_channel_enum', NULL, true),
  ('error_alerts', 'trigger_conditions', 'jsonb', NULL, true),
  ('error_alerts', 'recipients', 'text[]', NULL, false),
  ('error_alerts', 'webhook_url', 'character varying(2000)', NULL, false),
  ('error_alerts', 'is_active', 'boolean', $$true$$, false),
  ('error_alerts', 'last_triggered_at', 'timestamp with time zone', NULL, false),
  ('error_alerts', 'trigger_count', 'integer', $$0$$, false),
  ('error_alerts', 'created_by', 'uuid', NULL, false),
  ('error_alerts', 'created_at', 'timestamp with time zone', $$now()$$, false),
  ('health_checks', 'id', 'uuid', $$gen_random_uuid()$$, true),
  ('health_checks', 'check_type', 'app.health_check_type_enum', NULL, true),
  ('health_checks', 'service_name', 'character varying(100)', NULL, true),
  ('health_checks', 'endpoint', 'character varying(500)', NULL, false),
  ('health_checks', 'status', 'app.health_status_enum', NULL, true),
  ('health_checks', 'response_time_ms', 'integer', NULL, false),
  ('health_checks', 'status_code', 'integer', NULL, false),
  ('health_checks', 'error_message', 'text', NULL, false),
  ('health_checks', 'details', 'jsonb', $$'{}'::jsonb$$, false),
  ('health_checks', 'checked_at', 'timestamp with time zone', $$now()$$, false),
  ('system_errors', 'id', 'uuid', $$gen_random_uuid()$$, true),
  ('system_errors', 'error_hash', 'character varying(64)', NULL, true),
  ('system_errors', 'error_type', 'app.error_type_enum', NULL, true),
  ('system_errors', 'severity', 'app.severity_enum', $$'error'::app.severity_enum$$, true),
  ('system_errors', 'message', 'text', NULL, true),
  ('system_errors', 'stack_trace', 'text', NULL, false),
  ('system_errors', 'component', 'character varying(255)', NULL, false),
  ('system_errors', 'file_path', 'character varying(500)', NULL, false),
  ('system_errors', 'line_number', 'integer', NULL, false),
  ('system_errors', 'column_number', 'integer', NULL, false),
  ('system_errors', 'url', 'character varying(2000)', NULL, false),
  ('system_errors', 'user_agent', 'text', NULL, false),
  ('system_errors', 'browser', 'character varying(100)', NULL, false),
  ('system_errors', 'os', 'character varying(100)', NULL, false),
  ('system_errors', 'device_type', 'character varying(50)', NULL, false),
  ('system_errors', 'user_id', 'uuid', NULL, false),
  ('system_errors', 'organization_id', 'uuid', NULL, false),
  ('system_errors', 'metadata', 'jsonb', $$'{}'::jsonb$$, false),
  ('system_errors', 'request_id', 'character varying(100)', NULL, false),
  ('system_errors', 'session_id', 'character varying(100)', NULL, false),
  ('system_errors', 'status', 'app.error_status_enum', $$'new'::app.error_status_enum$$, false),
  ('system_errors', 'occurrence_count', 'integer', $$1$$, false),
  ('system_errors', 'first_seen_at', 'timestamp with time zone', $$now()$$, false),
  ('system_errors', 'last_seen_at', 'timestamp with time zone', $$now()$$, false),
  ('system_errors', 'resolved_at', 'timestamp with time zone', NULL, false),
  ('system_errors', 'resolved_by', 'uuid', NULL, false),
  ('system_errors', 'ai_analysis', 'jsonb', NULL, false),
  ('system_errors', 'ai_suggestion', 'text', NULL, false),
  ('system_errors', 'ai_analyzed_at', 'timestamp with time zone', NULL, false),
  ('system_errors', 'created_at', 'timestamp with time zone', $$now()$$, false),
  ('system_errors', 'updated_at', 'timestamp with time zone', $$now()$$, false),
  ('system_uptime', 'id', 'uuid', $$gen_random_uuid()$$, true),
  ('system_uptime', 'service_name', 'character varying(100)', NULL, true),
  ('system_uptime', 'status', 'app.uptime_status_enum', NULL, true),
  ('system_uptime', 'started_at', 'timestamp with time zone', NULL, true),
  ('system_uptime', 'ended_at', 'timestamp with time zone', NULL, false),
  ('system_uptime', 'duration_seconds', 'integer', NULL, false),
  ('system_uptime', 'incident_id', 'character varying(100)', NULL, false),
  ('system_uptime', 'notes', 'text', NULL, false),
  ('system_uptime', 'created_at', 'timestamp with time zone', $$now()$$, false),
  ('user_error_reports', 'id', 'uuid', $$gen_random_uuid()$$, true),
  ('user_error_reports', 'report_type', 'app.report_type_enum', NULL, true),
  ('user_error_reports', 'priority', 'app.priority_enum', $$'medium'::app.priority_enum$$, false),
  ('user_error_reports', 'reporter_type', 'app.reporter_type_enum', NULL, true),
  ('user_error_reports', 'reporter_id', 'uuid', NULL, false),
  ('user_error_reports', 'reporter_email', 'character varying(255)', NULL, false),
  ('user_error_reports', 'reporter_name', 'character varying(255)', NULL, false),
  ('user_error_reports', 'organization_id', 'uuid', NULL, false),
  ('user_error_reports', 'title', 'character varying(500)', NULL, true),
  ('user_error_reports', 'description', 'text', NULL, true),
  ('user_error_reports', 'steps_to_reproduce', 'text', NULL, false),
  ('user_error_reports', 'expected_behavior', 'text', NULL, false),
  ('user_error_reports', 'actual_behavior', 'text', NULL, false),
  ('user_error_reports', 'url', 'character varying(2000)', NULL, false),
  ('user_error_reports', 'browser_info', 'jsonb', NULL, false),
  ('user_error_reports', 'screenshot_urls', 'text[]', NULL, false),
  ('user_error_reports', 'linked_error_id', 'uuid', NULL, false),
  ('user_error_reports', 'status', 'app.report_status_enum', $$'open'::app.report_status_enum$$, false),
  ('user_error_reports', 'assigned_to', 'uuid', NULL, false),
  ('user_error_reports', 'resolved_at', 'timestamp with time zone', NULL, false),
  ('user_error_reports', 'resolution_notes', 'text', NULL, false),
  ('user_error_reports', 'created_at', 'timestamp with time zone', $$now()$$, false),
  ('user_error_reports', 'updated_at', 'timestamp with time zone', $$now()$$, false)
  $expected$,
  'every spec column has the spec''s type, default and nullability'
);

-- The spec's six single-column indexes of system_errors (idx_errors_hash, _org, _status, _type,
-- _severity, _created) are replaced by indexes led by organization_id (migration 0030): an event
-- writes every index of its group's row, and no query read those six. The table's indexes are
-- pinned in tests/sql/ingest/365_error_lists.test.sql.
SELECT has_index('app', 'health_checks', 'idx_health_service', ARRAY['service_name', 'checked_at']);
SELECT has_index('app', 'health_checks', 'idx_health_status', ARRAY['status']);
SELECT fk_ok('app', 'system_errors', 'organization_id', 'app', 'organizations', 'id');
SELECT fk_ok('app', 'user_error_reports', 'linked_error_id', 'app', 'system_errors', 'id');
SELECT col_is_pk('app', 'system_uptime', ARRAY['id'], 'system_uptime has its uuid primary key');

SELECT * FROM finish();
ROLLBACK;
