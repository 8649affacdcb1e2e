"""`make up` / `make down` for real: the embedded cluster and PostgREST as the user runs them,
two instances side by side, nothing left behind."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest

from tests.py.stack_support import Instance, alive
from workers.stack import placement


@pytest.fixture
def two_instances():
    # one in a private folder: its cluster lives elsewhere, and each must still find its own
    instances = [Instance(), Instance(private=True)]
    yield instances
    for instance in instances:
        instance.remove()


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

    # the cluster in the open data dir stays there; the private one's lives in its own home
    assert (first.data_dir / "pg").is_dir() and not (first.data_dir / "pg").is_symlink()
    assert (second.data_dir / "pg").resolve().parent.parent == placement.CLUSTERS_DIR

    first_pids, second_pids = set(first.pids()), set(second.pids())
    # each: its supervisor, and under it the postmaster, PostgREST, the worker and the web process
    assert len(first_pids) == len(second_pids) == 5 and not first_pids & second_pids

    assert first.pgwarden("stack", "down").returncode == 0
    assert [pid for pid in first_pids if alive(pid)] == []
    assert httpx.get(second.api).status_code == 200, "the other stack is left alone"
    assert sorted(second.pids()) == sorted(second_pids)
    assert second.pgwarden("stack", "down").returncode == 0
    assert [pid for pid in second_pids if alive(pid)] == []
    again = first.pgwarden("stack", "down")
    assert again.returncode == 0 and "nothing was running" in again.stdout


def test_up_twice_is_idempotent_and_keeps_the_same_dsn(two_instances):
    instance = two_instances[0]
    first = instance.pgwarden("stack", "up")
    again = instance.pgwarden("stack", "up")
    assert first.returncode == again.returncode == 0, again.stderr
    dsn = [line for line in first.stdout.splitlines() if "Sentry DSN" in line]
    assert dsn == [line for line in again.stdout.splitlines() if "Sentry DSN" in line]
    # the web app's first system admin and its password are printed by the first start only
    assert "Web sign-in     admin@pgwarden.localhost  password " in first.stdout and "Web sign-in" not in again.stdout


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
    assert missing.returncode == 4 and missing.stderr.startswith("error QN001")

    token = instance.pgwarden("token", "--role", "org_owner", "--org", org_id, "--ttl", "10m").stdout.strip()
    api = f"http://127.0.0.1:{instance.env['PGWARDEN_API_PORT']}"
    projects = httpx.get(api + "/projects", headers={"Authorization": f"Bearer {token}"}).json()
    assert [project["name"] for project in projects] == ["shop"]


def test_token_refuses_an_org_role_without_organization_and_a_zero_ttl(two_instances):
    instance = two_instances[0]
    assert instance.pgwarden("token", "--role", "staff").returncode == 2
    assert instance.pgwarden("token", "--role", "system_admin", "--ttl", "0h").returncode == 2


def test_a_fresh_stack_runs_its_scheduled_jobs(two_instances):
    # pg_cron's scheduler starts with the cluster, before the migrations create its extension and
    # schedule the jobs (health probes, the alert tick, job reaping); the first start must still run them
    instance = two_instances[1]
    started = instance.pgwarden("stack", "up")
    assert started.returncode == 0, started.stdout + started.stderr
    deadline = time.monotonic() + 100  # every-minute jobs: the next minute boundary, and some slack
    with psycopg.connect(instance.database_url, autocommit=True) as conn:
        while True:
            (runs,) = conn.execute("SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'").fetchone()
            if runs > 0 or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert runs > 0, "no scheduled job ran within 100 s of a fresh `make up`"
