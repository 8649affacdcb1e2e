"""`pgwarden db replica`: a streaming hot standby of the stack's cluster on this machine, with its
own port and directory, serving the reporting schema to pgwarden_reader while every write goes
to the primary."""

from __future__ import annotations

import json

import httpx
import psycopg
import pytest

from tests.conftest import free_port
from tests.py.jobs_support import wait_until
from tests.py.stack_support import Instance
from workers.db import with_login

pytestmark = pytest.mark.slow


@pytest.fixture
def instance():
    stack = Instance()
    stack.env["PGWARDEN_REPLICA_PORT"] = str(free_port())
    try:
        up = stack.pgwarden("stack", "up")
        assert up.returncode == 0, up.stdout + up.stderr
        yield stack
    finally:
        stack.remove()


def capture(instance: Instance, message: str) -> None:
    with psycopg.connect(instance.database_url, autocommit=True) as conn:
        project_id, key = conn.execute("SELECT id, public_key FROM app.projects ORDER BY id LIMIT 1").fetchone()
    response = httpx.post(f"{instance.web}api/{project_id}/store/?sentry_key={key}",
                          content=json.dumps({"message": message, "level": "error"}),
                          headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 200, response.text


def on_replica(reader_url: str, message: str) -> bool:
    with psycopg.connect(reader_url, autocommit=True) as conn:
        return conn.execute("SELECT EXISTS (SELECT FROM reporting.error_groups WHERE message = %s)",
                            [message]).fetchone()[0]


def test_a_capture_on_the_primary_is_read_on_the_replica_which_refuses_writes(instance):
    created = instance.pgwarden("db", "replica", "create")
    assert created.returncode == 0, created.stdout + created.stderr
    reader_url = instance.pgwarden("db", "replica", "url").stdout.strip()
    assert f":{instance.env['PGWARDEN_REPLICA_PORT']}/" in reader_url

    capture(instance, "payment declined on the primary")
    wait_until(lambda: on_replica(reader_url, "payment declined on the primary"), what="the capture on the replica")
    status = instance.pgwarden("db", "replica", "status").stdout
    assert "streaming       streaming" in status, status

    superuser_on_replica = instance.database_url.replace(f":{instance.env['PGWARDEN_PG_PORT']}/",
                                                         f":{instance.env['PGWARDEN_REPLICA_PORT']}/")
    with psycopg.connect(superuser_on_replica, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO app.organizations (name) VALUES ('written to a replica')")

    # stopped, it misses nothing: it catches up from its slot when it starts again
    assert instance.pgwarden("db", "replica", "stop").returncode == 0
    capture(instance, "captured while the replica was stopped")
    assert instance.pgwarden("db", "replica", "start").returncode == 0
    wait_until(lambda: on_replica(reader_url, "captured while the replica was stopped"),
               what="the replica to catch up")


def test_the_reader_reads_reporting_on_the_primary_too_and_make_down_stops_the_replica(instance):
    assert instance.pgwarden("db", "replica", "create").returncode == 0
    primary_reader = instance.pgwarden("db", "url", "--reader").stdout.strip()
    capture(instance, "read on the primary")
    assert on_replica(primary_reader, "read on the primary")
    with psycopg.connect(primary_reader, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM app.system_errors")
    wrong = with_login(primary_reader, "pgwarden_reader", "not-the-password")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(wrong).close()

    assert instance.pgwarden("stack", "down").returncode == 0
    status = instance.pgwarden("db", "replica", "status").stdout
    assert "running         no" in status, status
