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
