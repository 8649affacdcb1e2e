-- The specification's twelve enums, with exactly its values (append-only: new values go in a
-- migration of their own, since a value added in a transaction cannot be used before commit).

CREATE TYPE app.error_type_enum AS ENUM (
  'javascript', 'network', 'api', 'database',
  'stripe', 'webhook', 'embed', 'auth',
  'validation', 'runtime', 'crash', 'unknown'
);

CREATE TYPE app.severity_enum AS ENUM (
  'debug', 'info', 'warning', 'error', 'critical'
);

CREATE TYPE app.error_status_enum AS ENUM (
  'new',            -- first seen, nobody has looked yet
  'investigating',
  'identified',
  'fixing',
  'resolved',       -- sets resolved_at/resolved_by; seen again -> recurring
  'ignored',        -- keeps counting, raises nothing
  'recurring'       -- a resolved error that happened again (regression)
);

CREATE TYPE app.health_check_type_enum AS ENUM (
  'api', 'webhook', 'database', 'stripe',
  'embed', 'email', 'sms', 'external'
);

CREATE TYPE app.health_status_enum AS ENUM (
  'healthy', 'degraded', 'unhealthy', 'unknown'
);

CREATE TYPE app.report_type_enum AS ENUM (
  'bug', 'feature_request', 'performance',
  'ui_issue', 'data_issue', 'other'
);

CREATE TYPE app.reporter_type_enum AS ENUM (
  'system_admin', 'org_owner', 'staff', 'customer'
);

CREATE TYPE app.priority_enum AS ENUM (
  'low', 'medium', 'high', 'critical'
);

CREATE TYPE app.report_status_enum AS ENUM (
  'open', 'in_progress', 'pending_info',
  'resolved', 'closed', 'duplicate'
);

CREATE TYPE app.alert_type_enum AS ENUM (
  'error_spike', 'critical_error', 'health_degraded',
  'uptime_incident', 'new_user_report'
);

CREATE TYPE app.alert_channel_enum AS ENUM (
  'email', 'slack', 'webhook', 'in_app'
);

CREATE TYPE app.uptime_status_enum AS ENUM (
  'operational', 'degraded', 'partial_outage',
  'major_outage', 'maintenance'
);
