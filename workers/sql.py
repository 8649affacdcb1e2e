"""Every SQL string the Python side sends, each (where it can be) one call to a SQL function."""

# -- deployment
CODE_LAYER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('pgwarden:code-layer'))"
RELOAD_POSTGREST_SCHEMA = "NOTIFY pgrst, 'reload schema'"
SET_ROLE_PASSWORD = "ALTER ROLE {role} PASSWORD {password}"  # composed with psycopg.sql
DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = %s"
CREATE_DATABASE = "CREATE DATABASE {name}"  # composed with psycopg.sql

# -- tenancy
BOOTSTRAP_DEFAULT_PROJECT = "SELECT project_id, public_key FROM app.bootstrap_default_project()"
CREATE_ORGANIZATION = "SELECT api.create_organization(%s)"
CREATE_PROJECT = "SELECT id, public_key FROM api.create_project(%s, %s)"

# -- jobs (app.job_* in db/functions/app/200_jobs*.sql; the worker role may call only these)
JOB_LISTEN = 'LISTEN "jobs:insert"'
JOB_CLAIM = "SELECT id, kind, payload, attempts, max_attempts FROM app.job_claim(%s, %s, %s, %s)"
JOB_COMPLETE_ALL = "SELECT app.job_complete_all(%s, %s::bigint[], %s::jsonb[])"  # returns the lost ids
JOB_FAIL = "SELECT app.job_fail(%s, %s, %s, %s, %s)::text"
JOB_HEARTBEAT = "SELECT app.job_heartbeat(%s, %s::bigint[], %s)"
JOB_RELEASE = "SELECT app.job_release(%s, %s::bigint[])"
JOB_REAP = "SELECT app.job_reap()"
JOB_LIST = ("SELECT id, kind, state::text, attempts, max_attempts, run_at, worker, last_error, created_at, finished_at"
            " FROM app.job_list(%s::app.job_state, %s, %s)")
JOB_RETRY = "SELECT app.job_retry(%s)"
JOB_STATS = ("SELECT kind, ready, scheduled, running, succeeded_last_hour, dead, oldest_ready_seconds"
             " FROM app.job_stats()")

# -- web ingest (pgwarden web)
WEB_INGEST = "SELECT request_ordinal, outcome FROM app.web_ingest(%s::jsonb)"
WEB_DATABASE_PING = "SELECT 1"
WEB_ERROR_WEBHOOK = "SELECT app.ingest_error_webhook(%s, %s, %s, %s, %s::jsonb)"
CREATE_WEBHOOK_SECRET = "SELECT api.create_webhook_secret(%s)"
