"""`make up` / `make down` for real: the embedded cluster and PostgREST as the user runs them,
two instances side by side, nothing left behind."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import free_port, scratch_dir
from workers.settings import REPO_ROOT

PGWARDEN = str(REPO_ROOT / ".venv" / "bin" / "pgwarden")


class Instance:
    def __init__(self):
        self.data_dir = scratch_dir("pgwarden-stack-")
        self.env = {**os.environ, "PGWARDEN_DATA_DIR": str(self.data_dir),
                    "PGWARDEN_PG_PORT": str(free_port()), "PGWARDEN_API_PORT": str(free_port()),
                    "PGWARDEN_WEB_PORT": str(free_port())}
        self.env.pop("PGWARDEN_DATABASE_URL", None)

    def pgwarden(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PGWARDEN, *args], env=self.env, capture_output=True, text=True, timeout=120)

    def pids(self) -> list[int]:
        run_dir = self.data_dir / "run"
        pid_files = list(run_dir.glob("*.pid")) + [self.data_dir / "pg" / "postmaster.pid"]
        return [int(path.read_text().split()[0]) for path in pid_files if path.exists()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def two_instances():
    instances = [Instance(), Instance()]
    yield instances
    for instance in instances:
        instance.pgwarden("stack", "down")
        shutil.rmtree(instance.data_dir, ignore_errors=True)


def test_two_instances_run_side_by_side_and_down_leaves_no_process(two_instances):
    first, second = two_instances
    for instance in two_instances:
        started = instance.pgwarden("stack", "up")
        assert started.returncode == 0, started.stdout + started.stderr
        assert "Sentry DSN" in started.stdout and "Admin token" in started.stdout

    for instance in two_instances:
        api = f"http://127.0.0.1:{instance.env['PGWARDEN_API_PORT']}/"
        assert httpx.get(api).status_code == 200
        url = instance.pgwarden("db", "url").stdout.strip()
        with psycopg.connect(url) as conn:  # over TCP with the generated password
            assert conn.execute("SELECT current_database()").fetchone() == ("pgwarden",)
    assert first.pgwarden("db", "url").stdout != second.pgwarden("db", "url").stdout

    pids = first.pids() + second.pids()
    assert len(pids) >= 4
    for instance in two_instances:
        assert instance.pgwarden("stack", "down").returncode == 0
    assert [pid for pid in pids if alive(pid)] == []


def test_up_twice_is_idempotent_and_keeps_the_same_dsn(two_instances):
    instance = two_instances[0]
    first = instance.pgwarden("stack", "up")
    again = instance.pgwarden("stack", "up")
    assert first.returncode == again.returncode == 0, again.stderr
    dsn = [line for line in first.stdout.splitlines() if "Sentry DSN" in line]
    assert dsn == [line for line in again.stdout.splitlines() if "Sentry DSN" in line]


def test_cli_creates_organization_and_project_and_prints_a_working_dsn(two_instances):
    instance = two_instances[0]
    assert instance.pgwarden("stack", "up").returncode == 0
    org_id = instance.pgwarden("org", "create", "Acme").stdout.strip()
    created = instance.pgwarden("project", "create", "shop", "--org", org_id)
    assert created.returncode == 0, created.stderr
    fields = dict(line.split(None, 1) for line in created.stdout.splitlines())
    assert fields["dsn"].strip() == (f"http://{fields['public_key'].strip()}@127.0.0.1:"
                                      f"{instance.env['PGWARDEN_WEB_PORT']}/{fields['id'].strip()}")

    missing = instance.pgwarden("project", "create", "x", "--org", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1 and missing.stderr.startswith("QN001")

    token = instance.pgwarden("token", "--role", "org_owner", "--org", org_id, "--ttl", "10m").stdout.strip()
    api = f"http://127.0.0.1:{instance.env['PGWARDEN_API_PORT']}"
    projects = httpx.get(api + "/projects", headers={"Authorization": f"Bearer {token}"}).json()
    assert [project["name"] for project in projects] == ["shop"]


def test_token_refuses_an_org_role_without_organization_and_a_zero_ttl(two_instances):
    instance = two_instances[0]
    assert instance.pgwarden("token", "--role", "staff").returncode == 2
    assert instance.pgwarden("token", "--role", "system_admin", "--ttl", "0h").returncode == 2
