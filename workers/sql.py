"""Every SQL string the Python side sends, each (where it can be) one call to a SQL function."""

# -- deployment
CODE_LAYER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('pgwarden:code-layer'))"
RELOAD_POSTGREST_SCHEMA = "NOTIFY pgrst, 'reload schema'"
RELOAD_POSTGREST_CONFIG = "NOTIFY pgrst, 'reload config'"  # its in-database settings (pgrst.*)
SET_ROLE_PASSWORD = "ALTER ROLE {role} PASSWORD {password}"  # composed with psycopg.sql
DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = %s"
CREATE_DATABASE = "CREATE DATABASE {name}"  # composed with psycopg.sql
CRON_INSTALLED = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron')"

# -- backup and restore (workers/backup.py): databases replaced whole, composed with psycopg.sql
END_DATABASE_SESSIONS = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()")
RENAME_DATABASE = "ALTER DATABASE {name} RENAME TO {new_name}"
DROP_DATABASE = "DROP DATABASE IF EXISTS {name} WITH (FORCE)"

# -- tenancy
BOOTSTRAP_DEFAULT_PROJECT = "SELECT project_id, public_key FROM app.bootstrap_default_project()"
CREATE_ORGANIZATION = "SELECT api.create_organization(%s)"
CREATE_PROJECT = "SELECT id, public_key FROM api.create_project(app.organization_ref(%s::text, '--org')::text, %s)"

# -- jobs (app.job_* in db/functions/app/200_jobs*.sql; the worker role may call only these)
JOB_LISTEN = 'LISTEN "jobs:insert"'
JOB_CLAIM = "SELECT id, kind, payload, attempts, max_attempts FROM app.job_claim(%s, %s, %s, %s)"
JOB_COMPLETE_ALL = "SELECT app.job_complete_all(%s, %s::bigint[], %s::jsonb[])"  # returns the lost ids
JOB_FAIL = "SELECT app.job_fail(%s, %s, %s, %s, %s, %s::jsonb)::text"
JOB_NEXT_DUE = "SELECT app.job_next_due(%s::text[])"
JOB_HEARTBEAT = "SELECT app.job_heartbeat(%s, %s::bigint[], %s)"
JOB_RELEASE = "SELECT app.job_release(%s, %s::bigint[])"
JOB_REAP = "SELECT app.job_reap()"
JOB_LIST = ("SELECT id, kind, state::text, attempts, max_attempts, run_at, worker, last_error, created_at, finished_at"
            " FROM app.job_list(%s::app.job_state, %s, %s)")
JOB_RETRY = "SELECT app.job_retry(%s)"
JOB_STATS = ("SELECT kind, ready, scheduled, running, succeeded_last_hour, dead, oldest_ready_seconds"
             " FROM app.job_stats()")

# -- service level objectives (db/functions/app/765_slos.sql)
SLO_COLUMNS = ("id, organization_id, name, service_name, target, window_days, budget_seconds, budget_remaining,"
               " budget_remaining_seconds, burn_rates, firing, evaluated_at, created_at")
SLO_CREATE = ("SELECT id FROM app.slo_create(%s, %s::numeric, app.duration_days(%s, '--window'), %s,"
              " app.organization_ref(%s::text, '--org'))")
SLO_REFRESH = "SELECT app.slo_refresh(%s)"
SLO_LIST = f"SELECT {SLO_COLUMNS} FROM api.slos ORDER BY name, organization_id NULLS FIRST"
SLO_SHOW = f"SELECT {SLO_COLUMNS} FROM api.slos WHERE name = %s ORDER BY organization_id NULLS FIRST"
SLO_DELETE = "SELECT app.slo_delete(%s, app.organization_ref(%s::text, '--org'))"

# -- uptime corrections (db/functions/app/525_health_uptime_corrections.sql)
UPTIME_CORRECT = ("SELECT app.uptime_correct(app.health_monitor_id(%s, app.organization_ref(%s::text, '--org')),"
                  " %s, app.moment(%s, '--from'), app.moment(%s, '--until'), %s, %s)")
UPTIME_CORRECTION_LIST = ("SELECT c.id, m.service_name, c.kind, lower(c.during), upper(c.during), c.reason,"
                          " c.author, c.created_at, d.day, d.previous ->> 'uptime_percentage',"
                          " d.corrected ->> 'uptime_percentage'"
                          " FROM app.uptime_corrections c JOIN app.health_monitors m ON m.id = c.monitor_id"
                          " JOIN app.uptime_correction_days d ON d.correction_id = c.id"
                          " WHERE %s::text IS NULL OR m.service_name = %s ORDER BY c.id, d.day")

# -- health (db/functions/app/5x0_health_*.sql)
HEALTH_MONITOR_LIST = ("SELECT id, organization_id, service_name, display_name, check_type::text, probe::text,"
                       " endpoint, interval_seconds, timeout_seconds, enabled, status::text, last_status::text,"
                       " last_checked_at, last_response_time_ms, heartbeat_token FROM app.health_monitor_list()")
# monitor writes go through the api functions the web app calls too (db/functions/api/800_web.sql)
HEALTH_MONITOR_ADD = "SELECT api.create_health_monitor(%s::jsonb)"
HEALTH_MONITOR_TOKEN = "SELECT heartbeat_token FROM app.health_monitor_list() WHERE id = %s"
HEALTH_MONITOR_SET_ENABLED = ("SELECT api.set_health_monitor_enabled(app.health_monitor_id(%s,"
                              " app.organization_ref(%s::text, '--org')), %s)")
HEALTH_MONITOR_UPDATE = ("SELECT api.update_health_monitor(app.health_monitor_id(%s,"
                         " app.organization_ref(%s::text, '--org')), %s::jsonb)")
HEALTH_MONITOR_DELETE = ("SELECT api.delete_health_monitor(app.health_monitor_id(%s,"
                         " app.organization_ref(%s::text, '--org')))")
HEALTH_RUN_NOW = "SELECT app.health_run_now(%s::text[], %s)"
HEALTH_RUN_RESULTS = "SELECT app.health_run_results(%s, %s::text[], %s::timestamptz)"
HEALTH_PROBE_RESULT = "SELECT app.health_on_probe_result(%s::jsonb)::text"
HEALTH_LISTEN = 'LISTEN "health:observation"'
HEALTH_HEARTBEAT = "SELECT app.health_heartbeat(%s)"
ERROR_HTTP_STATUS = "SELECT app.error_http_status(%s)"
HEALTH_SUMMARY = "SELECT app.health_summary()"
HEALTH_UPTIME = ("SELECT uptime_percentage, observed_seconds, downtime_seconds, operational_seconds, degraded_seconds,"
                 " partial_outage_seconds, major_outage_seconds, maintenance_seconds, unknown_seconds"
                 " FROM app.health_uptime_breakdown(app.health_monitor_id(%s, app.organization_ref(%s::text, '--org')),"
                 " now() - make_interval(days => %s), now())")
HEALTH_MAINTENANCE_ADD = ("SELECT app.health_maintenance_add(app.health_monitor_id(%s,"
                          " app.organization_ref(%s::text, '--org')),"
                          " app.moment(%s, '--from'), app.moment(%s, '--until'), %s)")
HEALTH_MAINTENANCE_EDIT = ("SELECT app.health_maintenance_edit(%s, app.moment(%s, '--from'), app.moment(%s, '--until'),"
                           " %s)")
HEALTH_MAINTENANCE_DELETE = "SELECT app.health_maintenance_delete(%s)"
HEALTH_MAINTENANCE_LIST = ("SELECT id, service_name, organization_id, starts_at, ends_at, reason"
                           " FROM api.maintenance_windows ORDER BY starts_at")
HEALTH_CONFIGURE_STACK = "SELECT app.health_configure_stack(%s, %s)"
SET_INGEST_SYNC = "SELECT app.set_ingest_sync(%s)"  # PGWARDEN_INGEST_SYNC; true when it changed

# -- web ingest (pgwarden web)
WEB_INGEST = "SELECT request_ordinal, outcome FROM app.web_ingest(app.web_requests_clean(%s::text))"
WEB_DATABASE_PING = "SELECT 1"
WEB_ERROR_WEBHOOK = "SELECT app.ingest_error_webhook(%s, %s, %s, %s, %s::text, %s::integer[])"
CREATE_WEBHOOK_SECRET = "SELECT api.create_webhook_secret(%s)"

# -- ingest (capture, errors, stats, rate limits)
CAPTURE_BATCH = "SELECT ordinal, result, error FROM app.capture_batch(%s, %s, %s)"  # org id, project id, events jsonb
ERRORS_LIST = ("SELECT l.id, l.organization_id, o.name, l.status, l.severity, l.error_type, l.occurrence_count,"
               " l.last_seen_at, l.message FROM app.error_list(%s, %s, app.organization_ref(%s::text, '--org'),"
               " now() - app.duration(%s, '--since'), %s, %s, %s, %s) l"
               " LEFT JOIN app.organizations o ON o.id = l.organization_id ORDER BY l.last_seen_at DESC, l.id")
ERROR_SET_STATUS = "SELECT app.error_status_change(app.error_ref(%s::text, 'ERROR_ID'), %s, %s, %s)"
DEPLOY_RECORD = "SELECT app.deploy_record(%s, %s, %s, app.moment(%s, '--at'), %s, %s)"
ERROR_STATS = "SELECT app.error_stats(app.duration(%s, '--range'), app.organization_ref(%s::text, '--org'))"
ERROR_GROUPING_EXPLAIN = "SELECT app.error_grouping_explain(app.error_ref(%s::text, 'ERROR_ID'))"
ERROR_GROUPS_MERGE = ("SELECT app.error_groups_merge(app.error_ref(%s::text, 'TARGET_ID'),"
                      " ARRAY(SELECT app.error_ref(ref, 'SOURCE_IDS') FROM unnest(%s::text[]) ref), %s)")
ERROR_GROUP_UNMERGE = "SELECT app.error_group_unmerge(app.error_ref(%s::text, 'ERROR_ID'), %s)"
FINGERPRINT_RULE_ADD = "SELECT app.fingerprint_rule_add(%s, %s)"
FINGERPRINT_RULE_DELETE = "SELECT app.fingerprint_rule_delete(%s)"
FINGERPRINT_RULE_LIST = ("SELECT id, position, rule FROM app.fingerprint_rules WHERE project_id = %s"
                         " ORDER BY position")
ORG_RATE_LIMIT_SET = "SELECT app.rate_limit_set(app.organization_ref(%s::text, 'ORG'), %s)"
# org, email, ip, user id
ORG_PERSONAL_DATA_SET = "SELECT app.personal_data_policy_set(app.organization_ref(%s::text, 'ORG'), %s, %s, %s)"

# -- alerts (db/functions/app/7x0_alerts_*.sql; the worker's alerts.deliver jobs are built there too)
ALERT_RULE_LIST = ("SELECT id, organization_id, name, alert_type::text, channel, destinations, is_active, muted_until,"
                   " trigger_count, last_triggered_at, open_signals"
                   " FROM app.alert_rule_list(app.organization_ref(%s::text, '--org'))")
ALERT_RULE_CREATE = "SELECT id, signing_secret FROM app.alert_rule_create(%s::jsonb)"
ALERT_RULE_UPDATE = "SELECT id, signing_secret FROM app.alert_rule_update(%s::uuid, %s::jsonb)"
ALERT_RULE_CLEAR_BROKEN = "SELECT app.alert_rule_clear_broken(%s::uuid)"
ALERT_RULE_DELETE = "SELECT app.alert_rule_delete(%s::uuid)"
ALERT_RULE_MUTE = "SELECT app.alert_rule_mute(%s::uuid, %s)"
ALERT_RULE_SECRET = "SELECT app.alert_rule_secret(%s::uuid)"
ALERT_TEST = "SELECT app.alert_test(%s::uuid)"
ALERT_NOTIFICATION_DELIVERIES = ("SELECT id, channel, recipient, status::text, run_at"
                                 " FROM app.alert_notification_deliveries(%s::uuid)")
ALERT_HISTORY = ("SELECT id, created_at, rule_id, kind::text, title, channel, recipient, status::text, attempts,"
                 " last_status_code, last_error, next_retry_at, attempt_log"
                 " FROM app.alert_delivery_history(%s::uuid, %s, %s)")

# -- user error reports (db/functions/app/8x0_reports_*.sql)
REPORT_SUBMIT_REQUEST = "SELECT app.report_submit_request(%s, %s, %s, %s, %s, %s::uuid, %s::uuid, %s)"
REPORT_WIDGET_ORIGIN_ALLOWED = "SELECT app.widget_origin_allowed(%s, %s)"
REPORT_SCREENSHOT_STORE = "SELECT app.report_screenshot_store(%s, %s, %s, %s, %s, %s::uuid, %s::uuid, %s, %s, %s, %s)"
REPORT_SCREENSHOT_FETCH = "SELECT media_type, content FROM app.report_screenshot_fetch(%s::uuid, %s, %s::uuid)"
REPORT_LIST = ("SELECT id, organization_id, status::text, priority::text, report_type::text, reporter_type::text,"
               " assigned_to, linked_error_id, created_at, title FROM app.report_list(%s,"
               " app.organization_ref(%s::text, '--org'), %s)")
REPORT_DETAIL = "SELECT app.report_detail(%s::uuid)"
REPORT_ASSIGN = "SELECT app.report_assign(%s::uuid, %s)"
REPORT_SET_STATUS = "SELECT app.report_status_change(%s::uuid, %s, %s)"
REPORT_MARK_DUPLICATE = "SELECT app.report_mark_duplicate(%s::uuid, %s::uuid, %s)"
WIDGET_KEY_SET = "SELECT app.widget_key_set(%s, %s::text[], %s)"

# -- AI analysis (db/functions/app/4[56]x_ai_*.sql; the worker's ai.analyze jobs are built there too)
AI_CONFIGURE = "SELECT app.ai_configure(%s::jsonb)"  # PGWARDEN_AI_PROVIDER, keys set, PGWARDEN_*_MODEL
AI_REQUEST = "SELECT app.ai_request(%s::uuid, %s, %s)"  # error id, provider (NULL: default), fresh
AI_RUN_ANSWER = "SELECT app.ai_run_answer(%s::uuid)"
AI_LISTEN = 'LISTEN "ai:analysis"'
AI_REQUEST_WAIT_SECONDS = "SELECT request_wait_seconds FROM app.ai_setting"
# pgwarden web answers as the token's role, with its claims, for the rest of the transaction (as PostgREST does)
AI_ACT_AS = "SELECT set_config('request.jwt.claims', %s, true), set_config('role', %s, true)"

# -- demo (`make demo`: db/functions/app/990_demo.sql, workers/demo)
DATABASE_NOW = "SELECT now()"
DEMO_SETUP = "SELECT app.demo_setup(%s::jsonb)"
DEMO_BACKFILL = "SELECT app.demo_backfill(%s::uuid, %s, %s::text[])"
DEMO_EVENTS_STORED = ("SELECT count(*) FROM app.error_events"
                      " WHERE organization_id = ANY(%s::uuid[]) AND received_at >= %s")
DEMO_COUNTS = "SELECT * FROM app.demo_summary(%s::uuid[])"

# -- metrics (GET /metrics on pgwarden web; db/functions/app/810_metrics.sql): one call per scrape
METRICS_SNAPSHOT = "SELECT family, type, help, sample, labels, value FROM app.metrics_snapshot()"

# -- the streaming read replica (workers/stack/replica.py): the catalogue of the primary and the standby
REPLICATION_SLOT_DROP_INACTIVE = ("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                                  " WHERE slot_name = %s AND NOT active")
REPLICATION_STATE = ("SELECT state, extract(epoch FROM replay_lag)::float8,"
                     " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint"
                     " FROM pg_stat_replication WHERE application_name = %s")
REPLICA_REPLAY = ("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                  " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8")

# -- web app (workers/web/ui): sign-in plumbing, then every page's reads and writes through api
WEB_LOGIN_BEGIN = "SELECT app.web_login_begin(%s, %s::inet)"
WEB_LOGIN_FINISH = "SELECT app.web_login_finish(%s, %s::inet, %s, %s)"
WEB_SESSION_END = "SELECT app.web_session_end(%s)"
# the person behind a session, and their JWT claims, role and its statement_timeout for the rest
# of the transaction, exactly as PostgREST sets them (role switch last: the session function runs
# as pgwarden_web)
WEB_SESSION_BEGIN = ("SELECT s.person, set_config('request.jwt.claims', s.person ->> 'claims', true),"
                     " set_config('statement_timeout', s.person ->> 'statement_timeout', true),"
                     " set_config('role', s.person -> 'claims' ->> 'role', true)"
                     " FROM app.web_session_resume(%s, %s) AS s (person) WHERE s.person IS NOT NULL")
WEB_ANONYMOUS_BEGIN = ("SELECT set_config('statement_timeout', app.role_statement_timeout('anon'), true),"
                       " set_config('role', 'anon', true)")
WEB_LIVE_LISTEN = 'LISTEN "errors:live"'
USER_CREATE = "SELECT api.create_user(%s, %s, %s::text, %s, %s)"
USER_SET_PASSWORD = "SELECT app.user_set_password(%s, %s)"
USER_LIST = "SELECT app.user_list()"
USER_SHOW = "SELECT app.user_list(app.user_ref(%s, 'USER')) -> 0"
USER_DELETE = "SELECT app.user_delete(app.user_ref(%s, 'USER'))"
USER_BOOTSTRAP_ADMIN = "SELECT app.user_bootstrap_admin(%s, %s)"

UI_ERROR_STATS = "SELECT api.get_error_stats(%s)"
# the newest new and regressed groups through api.list_errors (an index each), then their waiting times
UI_UNACKNOWLEDGED = ("SELECT u.id, u.message, u.error_type::text, u.severity::text, u.status::text, u.occurrence_count,"
                     " u.last_seen_at, u.unacknowledged_since, u.response_target, u.unacknowledged_for, u.overdue"
                     " FROM (SELECT g.id, g.last_seen_at FROM unnest(ARRAY['new', 'recurring']) AS s (status),"
                     " LATERAL api.list_errors('last_seen', s.status, max_results => %(limit)s) AS g"
                     " ORDER BY g.last_seen_at DESC, g.id DESC LIMIT %(limit)s) AS newest"
                     " JOIN api.unacknowledged_errors u ON u.id = newest.id"
                     " ORDER BY newest.last_seen_at DESC, newest.id DESC")
_LIVE_ITEM = "SELECT id, message, error_type::text, severity::text, status::text, occurrence_count, last_seen_at"
UI_LATEST_ERRORS = _LIVE_ITEM + " FROM api.list_errors('last_seen', max_results => %s)"
UI_LIVE_ERRORS = (_LIVE_ITEM + " FROM api.error_groups WHERE id = ANY(%s::uuid[])"
                  " ORDER BY last_seen_at, id")  # the ids a NOTIFY named
UI_HEALTH_SUMMARY = "SELECT api.get_health_summary()"
UI_OPEN_INCIDENTS = ("SELECT service_name, status::text, started_at FROM api.system_uptime"
                     " WHERE ended_at IS NULL AND status <> 'operational' ORDER BY started_at")
UI_OPEN_REPORTS = "SELECT count(*) FROM api.user_error_reports WHERE status = 'open'"
# the latest alert notifications (firing, resolved, tests) with their incident's severity and state
UI_LATEST_ALERTS = ("SELECT n.id, n.incident_id, n.kind::text AS kind, n.title, n.summary, n.created_at,"
                    " i.severity::text AS severity, i.status::text AS incident_status, i.is_test"
                    " FROM api.alert_notifications n JOIN api.alert_incidents i ON i.id = n.incident_id"
                    " ORDER BY n.created_at DESC, n.id DESC LIMIT %s")
UI_ERROR_DETAIL = "SELECT api.get_error_detail(%s::text)"
UI_ERROR_SET_STATUS = "SELECT api.update_error_status(%s::text, %s, %s, %s)"
UI_ERROR_ASSIGN = "SELECT api.assign_error(%s::text, %s::text)"
# groups like an error (trigram similarity within its organization), most similar first
UI_RELATED_ERRORS = ("SELECT id, score, severity::text AS severity, status::text AS status, message, occurrence_count,"
                     " last_seen_at FROM api.related_errors(%s::text, %s)")
# an error's page beside its detail: its AI analysis (main's AI api), linked reports, related groups
UI_ERROR_ANALYSIS = ("SELECT analysis, ai_suggestion, ai_analyzed_at, provider, model, pending_run_id"
                     " FROM api.error_analyses WHERE error_id = %s::uuid")
UI_AI_RUNS = ("SELECT id, trigger::text AS trigger, provider, model, status::text AS status, reason, created_at,"
              " finished_at FROM api.ai_analysis_runs WHERE error_id = %s::uuid ORDER BY created_at DESC, id LIMIT 5")
UI_AI_PROVIDERS = ("SELECT provider, configured, model, is_default FROM api.ai_providers"
                   " ORDER BY is_default DESC, provider")
UI_AI_REQUEST = "SELECT api.request_ai_analysis(%s::text, %s, %s)"
UI_ERROR_REPORTS = ("SELECT id, title, status::text AS status, priority::text AS priority, created_at"
                    " FROM api.report_queue WHERE linked_error_id = %s::uuid ORDER BY created_at DESC, id LIMIT 20")
UI_ERRORS_BY_ID = ("SELECT id, message, severity::text AS severity, status::text AS status, occurrence_count,"
                   " last_seen_at FROM api.error_groups WHERE id = ANY(%s::uuid[]) ORDER BY occurrence_count DESC, id")
UI_ORGANIZATIONS = "SELECT id, name, created_at FROM api.organizations ORDER BY name, id"
# a list page's organization and project filters: a choice among a few, else typed (workers/web/ui/pages.py)
UI_ORGANIZATIONS_TO_CHOOSE = "SELECT id, name FROM api.organizations ORDER BY name, id LIMIT %s"
UI_ORGANIZATION_REF = "SELECT app.organization_ref(%s::text, 'org')"
UI_PROJECTS_TO_CHOOSE = ("SELECT id, organization_id, name FROM api.projects"
                         " WHERE %(organization_id)s::uuid IS NULL OR organization_id = %(organization_id)s::uuid"
                         " ORDER BY organization_id, id LIMIT %(limit)s")
# Settings: the organizations listed (one, or the first by name), then their projects, users and limits
UI_SETTINGS_ORGANIZATIONS = ("SELECT id, name, created_at FROM api.organizations"
                             " WHERE %(organization_id)s::uuid IS NULL OR id = %(organization_id)s::uuid"
                             " ORDER BY name, id LIMIT %(limit)s")
UI_PROJECTS = ("SELECT id, organization_id, name, public_key, created_at FROM api.projects"
               " WHERE organization_id = ANY(%s::uuid[]) ORDER BY organization_id, id")
UI_USERS = ("SELECT id, organization_id, email, name, role::text, created_at FROM api.users"
            " WHERE organization_id = ANY(%(organizations)s::uuid[]) OR (organization_id IS NULL AND %(platform)s)"
            " ORDER BY email")
UI_RATE_LIMITS = ("SELECT organization_id, per_minute, is_override FROM api.organization_rate_limits"
                  " WHERE organization_id = ANY(%s::uuid[])")
UI_WIDGET_KEYS = ("SELECT project_id, widget_key, allowed_origins, updated_at FROM api.widget_keys"
                  " WHERE project_id = ANY(%s::bigint[])")
UI_WIDGET_KEY_SET = "SELECT api.set_widget_key(%s::bigint, %s::text[], %s)"
UI_WIDGET_KEY_REVOKE = "SELECT api.revoke_widget_key(%s::bigint)"
UI_CREATE_ORGANIZATION = "SELECT api.create_organization(%s)"
UI_CREATE_PROJECT = "SELECT id FROM api.create_project(%s::text, %s)"
UI_SET_RATE_LIMIT = "SELECT api.set_rate_limit(%s::text, %s)"
UI_HEALTH_MONITOR = "SELECT api.get_health_monitor(%s)"
UI_CREATE_MONITOR = "SELECT api.create_health_monitor(%s::jsonb)"
UI_UPDATE_MONITOR = "SELECT api.update_health_monitor(%s, %s::jsonb)"
UI_SET_MONITOR_ENABLED = "SELECT api.set_health_monitor_enabled(%s, %s)"
UI_DELETE_MONITOR = "SELECT api.delete_health_monitor(%s)"
UI_ADD_MAINTENANCE = "SELECT api.add_maintenance_window(%s, %s::text, %s::text, %s)"
UI_STATUS_PAGE = "SELECT api.get_status_page(), api.get_status_history()"

# Reports (the spec's UserReportsQueue and ErrorReportForm) through main's reports api: the queue
# newest first (keyset on created_at and id, which its indexes lead with), one report whole, its
# workflow, the organization's people to assign, and a report filed by a signed-in person.
UI_REPORT_QUEUE = (
    "SELECT id, organization_id, title, report_type::text AS report_type, priority::text AS priority,"
    " status::text AS status, reporter_type::text AS reporter_type, reporter_name, reporter_email, assigned_to,"
    " assigned_to_email, linked_error_id, linked_error_message, screenshot_count, created_at"
    " FROM api.report_queue"
    " WHERE (%(statuses)s::text[] IS NULL OR status = ANY(%(statuses)s::app.report_status_enum[]))"
    " AND (%(priority)s::text IS NULL OR priority = %(priority)s::app.priority_enum)"
    " AND (%(report_type)s::text IS NULL OR report_type = %(report_type)s::app.report_type_enum)"
    " AND (%(assigned)s::text IS NULL OR (%(assigned)s = 'nobody' AND assigned_to IS NULL)"
    " OR (%(assigned)s = 'me' AND assigned_to = %(me)s::uuid))"
    " AND (%(organization_id)s::uuid IS NULL OR organization_id = %(organization_id)s::uuid)"
    " AND (%(after_id)s::uuid IS NULL OR (created_at, id) < (%(after_created_at)s::timestamptz, %(after_id)s::uuid))"
    " ORDER BY created_at DESC, id DESC LIMIT %(limit)s")
UI_REPORT_DETAIL = "SELECT api.report_detail(%s::text)"
UI_REPORT_PEOPLE = "SELECT id, email, name FROM api.users WHERE organization_id = %s::uuid ORDER BY email"
UI_REPORT_SET_STATUS = "SELECT api.update_report_status(%s::text, %s, %s)"
UI_REPORT_ASSIGN = "SELECT api.assign_report(%s::text, %s::text)"
UI_REPORT_DUPLICATE = "SELECT api.mark_report_duplicate(%s::text, %s::text, %s)"
UI_REPORT_SUBMIT = "SELECT api.submit_report(%s::json)"
UI_REPORT_STATUS = "SELECT api.report_status(%s)"  # a reporter's status link, as anon

# Alerts (the spec's AlertConfigPanel): rules through api.error_alerts (its INSTEAD OF trigger calls
# the rule functions; a cut webhook_url read back is no change), tests, incidents, deliveries with
# failures first, and the person's in-app notifications.
_ALERT_RULE = ("SELECT id, organization_id, name, alert_type::text AS alert_type, channel::text AS channel,"
               " webhook_format, trigger_conditions, recipients, webhook_url, is_active, send_resolved,"
               " group_wait_seconds, group_interval_seconds, repeat_interval_seconds, muted_until,"
               " muted_until > now() AS muted, trigger_count, last_triggered_at, destinations, open_signals"
               " FROM api.error_alerts")
UI_ALERT_RULES = _ALERT_RULE + " ORDER BY organization_id NULLS FIRST, name, id"
UI_ALERT_RULE = _ALERT_RULE + " WHERE id = %s::uuid"
UI_ALERT_CONDITION_KEYS = ("SELECT alert_type::text AS alert_type, key, value_type, allowed_values, min_value,"
                           " max_value, description FROM api.alert_condition_keys ORDER BY alert_type, key")
UI_ALERT_RULE_CREATE = ("INSERT INTO api.error_alerts SELECT * FROM jsonb_populate_record(NULL::api.error_alerts, %s)"
                        " RETURNING id, signing_secret")
# the given fields of the rule (jsonb_populate_record keeps the others as they are)
UI_ALERT_RULE_UPDATE = (
    "UPDATE api.error_alerts v SET (name, alert_type, channel, webhook_format, trigger_conditions, recipients,"
    " webhook_url, pagerduty_routing_key, is_active, send_resolved, group_wait_seconds, group_interval_seconds,"
    " repeat_interval_seconds) = (SELECT c.name, c.alert_type, c.channel, c.webhook_format, c.trigger_conditions,"
    " c.recipients, c.webhook_url, c.pagerduty_routing_key, c.is_active, c.send_resolved, c.group_wait_seconds,"
    " c.group_interval_seconds, c.repeat_interval_seconds FROM jsonb_populate_record(v, %s) c)"
    " WHERE v.id = %s::uuid RETURNING v.id, v.signing_secret")
UI_ALERT_RULE_MUTE = ("UPDATE api.error_alerts v SET muted_until = now() + %s::interval WHERE v.id = %s::uuid"
                      " RETURNING v.id")  # a NULL interval unmutes
UI_ALERT_RULE_DELETE = "DELETE FROM api.error_alerts v WHERE v.id = %s::uuid RETURNING v.id"
UI_ALERT_TEST = "SELECT api.test_alert(%s::text)"
UI_ALERT_ROTATE_SECRET = "SELECT api.rotate_alert_secret(%s::text)"
UI_ALERT_INCIDENTS = ("SELECT id, organization_id, rule_id, alert_type::text AS alert_type, status::text AS status,"
                      " severity::text AS severity, title, service, is_test, started_at, resolved_at,"
                      " notifications_sent, last_notified_at, correlation FROM api.alert_incidents"
                      " ORDER BY resolved_at IS NULL DESC, started_at DESC, id LIMIT %s")
UI_ALERT_DELIVERIES = ("SELECT id, rule_id, kind::text AS kind, title, channel, recipient, status::text AS status,"
                       " attempts, last_status_code, last_error, run_at, next_retry_at, delivered_at, created_at"
                       " FROM api.alert_deliveries"
                       " ORDER BY status IN ('failed', 'suppressed', 'retrying') DESC, created_at DESC, id LIMIT %s")
UI_NOTIFICATIONS = ("SELECT id, kind::text AS kind, severity::text AS severity, title, body, link, created_at, is_read"
                    " FROM api.in_app_notifications ORDER BY is_read, created_at DESC, id LIMIT %s")
UI_UNREAD_NOTIFICATIONS = "SELECT count(*) FROM api.in_app_notifications WHERE NOT is_read"
UI_MARK_NOTIFICATIONS_READ = "SELECT api.mark_notifications_read(%s::text[])"

# The errors list. A page of groups in the order chosen (last seen, first seen, events or users),
# any statuses (the open tab names five), the filters and text search of api.list_errors, keyset
# on the sort value and id: app.error_list_page gives the ids in order with their users, counted
# for the page at once; their rows are read through api.error_groups (its own per-row users count
# is left unread).
_ERROR_ROW = ("SELECT g.id, g.organization_id, g.error_hash, g.message, g.error_type::text AS error_type,"
              " g.severity::text AS severity, g.status::text AS status, g.occurrence_count, {users} AS users_affected,"
              " g.first_seen_at, g.last_seen_at, g.assigned_to,"
              " (SELECT u.email FROM api.users u WHERE u.id = g.assigned_to) AS assigned_to_email")
UI_ERROR_PAGE = (
    _ERROR_ROW.format(users="p.users_affected")
    + " FROM app.error_list_page(%(sort)s, %(statuses)s::text[], %(severity)s, %(error_type)s, %(organization_id)s,"
    " %(assigned)s, %(q)s, %(after_value)s, %(after_id)s, %(limit)s::integer) WITH ORDINALITY AS p (id, users_affected,"
    " ordinal) JOIN api.error_groups g ON g.id = p.id ORDER BY p.ordinal")
# Pages of the groups with an event of a project, environment or release (what events hold,
# api.error_groups_seen_in, as a semi-join): one statement per sort order, keyset on the sort column
# and id. The filters are api.list_errors' own (app.error_list_filter reads them,
# app.error_list_matches applies them); the status tab may name several statuses. The pool
# prepares nothing, so each page gets a plan for its filters. The filters are read first, as the
# outer side of a LATERAL page: a bad one is refused (QV001) even when the page would be empty
# (joined plainly, an empty side could leave the function unread).
_ERROR_PAGE_SEEN_IN = (
    _ERROR_ROW.format(users="g.users_affected")
    + " FROM app.error_list_filter(NULL, %(severity)s, %(error_type)s, %(assigned)s) AS f"
    " CROSS JOIN LATERAL (SELECT g.* FROM api.error_groups g"
    " WHERE (%(statuses)s::text[] IS NULL OR g.status = ANY(%(statuses)s::app.error_status_enum[]))"
    " AND app.error_list_matches(g.organization_id, g.status, g.severity, g.error_type, g.assigned_to,"
    " %(organization_id)s::uuid, NULL, f.severity, f.error_type, f.assigned_to, f.unassigned)"
    " AND (%(q)s::text IS NULL OR g.id IN (SELECT m FROM app.error_ids_matching(%(q)s::text) AS m))"
    " AND (g.organization_id, g.error_hash) IN (SELECT s.organization_id, s.error_hash"
    " FROM api.error_groups_seen_in(%(project_id)s::bigint, %(environment)s::text, %(release)s::text) AS s)"
    " AND (%(after_id)s::uuid IS NULL OR (g.{column}, g.id) < (%(after_value)s::{type}, %(after_id)s::uuid))"
    " ORDER BY g.{column} DESC, g.id DESC LIMIT %(limit)s) AS g"
    " ORDER BY g.{column} DESC, g.id DESC")
_SORT_TYPES = {"last_seen": ("last_seen_at", "timestamptz"), "first_seen": ("first_seen_at", "timestamptz"),
               "events": ("occurrence_count", "integer"), "users": ("users_affected", "bigint")}
UI_ERROR_PAGES_SEEN_IN = {sort: _ERROR_PAGE_SEEN_IN.format(column=column, type=type_)
                          for sort, (column, type_) in _SORT_TYPES.items()}
# the people an errors list may filter by assignee (row-level security: an org owner's own)
UI_ERROR_PEOPLE = "SELECT id, email, name FROM api.users ORDER BY email LIMIT 500"
# events per UTC hour of the last 24 for a page of groups (the list's sparklines)
UI_ERROR_SPARKLINES = ("SELECT organization_id, error_hash, bucket, events"
                       " FROM api.error_hourly_counts(%s::uuid[], %s::text[], 24)")

# -- command line (workers/cli): lists and changes of organizations and projects, which accept an
# id, an id prefix or a name (db/functions/app/105_tenancy_admin.sql)
ORG_REF = "SELECT app.organization_ref(%s::text, '--org')"  # `user create` (USER_CREATE is the web's too)
ORG_LIST = "SELECT app.organization_list()"
ORG_SHOW = "SELECT app.organization_show(app.organization_ref(%s::text, 'ORG'))"
ORG_RENAME = "SELECT app.organization_rename(app.organization_ref(%s::text, 'ORG'), %s)"
ORG_DELETE = "SELECT app.organization_delete(app.organization_ref(%s::text, 'ORG'), %s)"
PROJECT_LIST = "SELECT app.project_list(app.organization_ref(%s::text, '--org'))"
PROJECT_CHANGE = "SELECT app.project_change(app.project_ref(%s::text, 'PROJECT'), %s, %s)"  # new name, rotate key
PROJECT_DELETE = "SELECT app.project_delete(app.project_ref(%s::text, 'PROJECT'))"
ERROR_REF = "SELECT app.error_ref(%s::text, 'ERROR_ID')"  # `analyze` (AI_REQUEST is the web's too)
ERROR_SUMMARY = "SELECT app.error_summary(app.error_ref(%s::text, 'ERROR_ID'))"  # `errors show` (375_error_summary.sql)
