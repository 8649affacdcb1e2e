"""`pgwarden db backup` / `pgwarden db restore`: an archive restores into a destroyed cluster with its
rows, grants and role settings, the stack captures again afterwards, and an archive of a newer schema
is refused before anything changes."""

from __future__ import annotations

import shutil

import httpx
import psycopg

# what the test writes and the stack seeds; the job queue, health checks and caches change by the
# clock meanwhile (pg_cron, the worker), so they are not compared
CONTENT_TABLES = ("organizations", "users", "projects", "system_errors", "error_events", "error_metrics",
                  "error_event_ids", "personal_data_policy", "rate_limit_usage", "health_monitors", "error_alerts",
                  "scrub_rule", "user_agent_rule", "error_code", "retention_setting", "alert_settings")
ROLES = ("anon", "staff", "org_owner", "system_admin", "authenticator", "pgwarden_worker", "pgwarden_web")


def snapshot(database_url: str) -> dict:
    """Row counts of the content tables, every grant on app and api objects, the roles' settings and
    memberships, the applied migrations."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        return {
            "rows": {table: conn.execute(f"SELECT count(*) FROM app.{table}").fetchone()[0]
                     for table in CONTENT_TABLES},
            "grants": conn.execute("""SELECT c.oid::regclass::text, c.relacl::text FROM pg_class c
                                       WHERE c.relnamespace IN ('app'::regnamespace, 'api'::regnamespace)
                                         AND c.relacl IS NOT NULL ORDER BY 1""").fetchall(),
            "function_grants": conn.execute("""SELECT p.oid::regprocedure::text, p.proacl::text FROM pg_proc p
                                                WHERE p.pronamespace IN ('app'::regnamespace, 'api'::regnamespace)
                                                ORDER BY 1""").fetchall(),
            "roles": conn.execute("""SELECT r.rolname, r.rolcanlogin, r.rolconfig,
                                            array(SELECT m.roleid::regrole::text FROM pg_auth_members m
                                                   WHERE m.member = r.oid ORDER BY 1)
                                       FROM pg_roles r WHERE r.rolname = ANY (%s) ORDER BY 1""",
                                  [list(ROLES)]).fetchall(),
            "migrations": conn.execute("SELECT migration_id FROM _yoyo_migration ORDER BY 1").fetchall(),
        }


def capture(instance, key: str, message: str) -> httpx.Response:
    return httpx.post(instance.api + "rpc/capture_error", headers={"X-Pgwarden-Key": key},
                      json={"error_type": "api", "message": message}, timeout=10)


def test_a_backup_restores_into_a_destroyed_cluster_and_the_stack_captures_again(instance):
    assert instance.pgwarden("stack", "up").returncode == 0
    org_id = instance.pgwarden("org", "create", "Acme").stdout.strip()
    created = dict(line.split(None, 1) for line in instance.pgwarden("project", "create", "shop", "--org", org_id)
                   .stdout.splitlines())
    key = created["public_key"].strip()
    for message in ("Checkout failed for order 1", "Checkout failed for order 2", "Search timed out"):
        assert capture(instance, key, message).status_code == 200
    before = snapshot(instance.database_url)
    assert before["rows"]["error_events"] == 3 and before["rows"]["system_errors"] == 2

    archive = instance.data_dir / "backups" / "before.dump"
    made = instance.pgwarden("db", "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert oct(archive.stat().st_mode & 0o777) == "0o600", "the archive holds secrets: its owner's only"

    # the whole cluster is gone, roles included; the data dir keeps its secrets
    assert instance.pgwarden("stack", "down").returncode == 0
    shutil.rmtree((instance.data_dir / "pg").resolve())

    restored = instance.pgwarden("db", "restore", str(archive))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    after = snapshot(instance.database_url)
    assert after == before, "rows, grants, role settings and migrations are those of the backup"

    assert instance.pgwarden("stack", "up").returncode == 0
    assert capture(instance, key, "Checkout failed for order 3").status_code == 200, "the restored key captures"
    with psycopg.connect(instance.database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*), sum(occurrence_count) FROM app.system_errors").fetchone() == (2, 4)


def test_a_restore_puts_an_existing_database_back_as_it_was_at_the_backup(pgwarden, database_url, tmp_path):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (name) VALUES ('kept')")
    archive = tmp_path / "db.dump"
    assert pgwarden("db", "backup", str(archive)).returncode == 0
    before = snapshot(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM app.organizations WHERE name = 'kept'")
        conn.execute("INSERT INTO app.organizations (name) VALUES ('after the backup')")

    restored = pgwarden("db", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert snapshot(database_url) == before
    with psycopg.connect(database_url, autocommit=True) as conn:
        names = [name for (name,) in conn.execute(
            "SELECT name FROM app.organizations WHERE name IN ('kept', 'after the backup')")]
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", ["%before_restore"]).fetchone()
    assert names == ["kept"]
    assert left == (0,), "the database it replaced is gone"


def test_an_archive_of_a_newer_schema_is_refused_and_nothing_changes(pgwarden, database_url, tmp_path):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""INSERT INTO _yoyo_migration (migration_hash, migration_id, applied_at_utc)
                        VALUES ('f', '9999.from-a-later-version', now())""")
    archive = tmp_path / "newer.dump"
    assert pgwarden("db", "backup", str(archive)).returncode == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM _yoyo_migration WHERE migration_id = '9999.from-a-later-version'")
        conn.execute("INSERT INTO app.organizations (name) VALUES ('written after the backup')")

    refused = pgwarden("db", "restore", str(archive))
    assert refused.returncode == 1
    assert "9999.from-a-later-version" in refused.stderr and "newer pgwarden" in refused.stderr
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM app.organizations WHERE name = 'written after the backup'"
                            ).fetchone() == (1,)


def test_a_file_that_is_no_pgwarden_backup_is_refused(pgwarden, tmp_path):
    stray = tmp_path / "notes.dump"
    stray.write_text("not an archive")
    refused = pgwarden("db", "restore", str(stray))
    assert refused.returncode == 1 and "pg_restore failed" in refused.stderr
