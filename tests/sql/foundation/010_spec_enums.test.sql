-- The spec's twelve enums exist with exactly its values, in its order.
BEGIN;
SELECT plan(12);

SELECT enum_has_labels('app', 'error_type_enum', ARRAY['javascript', 'network', 'api', 'database',
  'stripe', 'webhook', 'embed', 'auth', 'validation', 'runtime', 'crash', 'unknown']);
SELECT enum_has_labels('app', 'severity_enum', ARRAY['debug', 'info', 'warning', 'error', 'critical']);
SELECT enum_has_labels('app', 'error_status_enum', ARRAY['new', 'investigating', 'identified',
  'fixing', 'resolved', 'ignored', 'recurring']);
SELECT enum_has_labels('app', 'health_check_type_enum', ARRAY['api', 'webhook', 'database', 'stripe',
  'embed', 'email', 'sms', 'external']);
SELECT enum_has_labels('app', 'health_status_enum', ARRAY['healthy', 'degraded', 'unhealthy', 'unknown']);
SELECT enum_has_labels('app', 'report_type_enum', ARRAY['bug', 'feature_request', 'performance',
  'ui_issue', 'data_issue', 'other']);
SELECT enum_has_labels('app', 'reporter_type_enum', ARRAY['system_admin', 'org_owner', 'staff', 'customer']);
SELECT enum_has_labels('app', 'priority_enum', ARRAY['low', 'medium', 'high', 'critical']);
SELECT enum_has_labels('app', 'report_status_enum', ARRAY['open', 'in_progress', 'pending_info',
  'resolved', 'closed', 'duplicate']);
SELECT enum_has_labels('app', 'alert_type_enum', ARRAY['error_spike', 'critical_error', 'health_degraded',
  'uptime_incident', 'new_user_report']);
SELECT enum_has_labels('app', 'alert_channel_enum', ARRAY['email', 'slack', 'webhook', 'in_app']);
SELECT enum_has_labels('app', 'uptime_status_enum', ARRAY['operational', 'degraded', 'partial_outage',
  'major_outage', 'maintenance']);

SELECT * FROM finish();
ROLLBACK;
