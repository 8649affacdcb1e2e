"""PGWARDEN_INGEST_SYNC (issue 11, item 7) from the environment of `make up` to the database: its
new sessions, and so the capture transactions of PostgREST and the web process, commit with it
(tests/sql/ingest/345_ingest_sync.test.sql proves the captures follow the session's setting)."""

from __future__ import annotations

import psycopg

from tests.py.stack_support import Instance


def commit_mode_of_a_capture(instance: Instance) -> str:
    """In a new session, as PostgREST's and the web process's are: the synchronous_commit a capture
    transaction commits with."""
    with psycopg.connect(instance.database_url) as conn:
        (organization_id, project_id) = conn.execute(
            "SELECT organization_id, id FROM app.projects ORDER BY id LIMIT 1").fetchone()
        [(error,)] = conn.execute("SELECT error FROM app.capture_batch(%s, %s, '[{\"message\": \"disk check\"}]')",
                                  [organization_id, project_id]).fetchall()
        assert error is None
        (mode,) = conn.execute("SHOW synchronous_commit").fetchone()
        conn.rollback()
    return mode


def test_make_up_applies_ingest_sync_and_restarts_the_capturing_processes_when_it_changes(instance):
    instance.env["PGWARDEN_INGEST_SYNC"] = "on"
    started = instance.pgwarden("stack", "up")
    assert started.returncode == 0, started.stdout + started.stderr
    assert commit_mode_of_a_capture(instance) == "on"

    before = {name: instance.pid_of(name) for name in ("postgrest", "web", "worker")}
    instance.env.pop("PGWARDEN_INGEST_SYNC")  # the default
    again = instance.pgwarden("stack", "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert commit_mode_of_a_capture(instance) == "off"
    after = {name: instance.pid_of(name) for name in ("postgrest", "web", "worker")}
    assert after["postgrest"] != before["postgrest"] and after["web"] != before["web"], \
        "the processes that capture open new sessions, with the new setting"
    assert after["worker"] == before["worker"], "the worker does not capture: left alone"

    unchanged = instance.pgwarden("stack", "up")
    assert unchanged.returncode == 0 and "restarting" not in unchanged.stdout
    assert {name: instance.pid_of(name) for name in ("postgrest", "web", "worker")} == after


def test_an_ingest_sync_other_than_on_or_off_is_refused(instance):
    instance.env["PGWARDEN_INGEST_SYNC"] = "sometimes"
    refused = instance.pgwarden("stack", "up")
    assert refused.returncode == 2 and refused.stderr.startswith("error QV001"), refused.stdout + refused.stderr
