"""Done-when of the Sentry ingest: `make up` starts `pgwarden web`, and a program whose only
pgwarden-specific line is sentry_sdk.init(dsn=<the DSN it printed>) lands grouped errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import httpx
import psycopg
import pytest

from tests.conftest import free_port, scratch_dir
from workers.settings import REPO_ROOT

PGWARDEN = str(REPO_ROOT / ".venv" / "bin" / "pgwarden")


@pytest.fixture
def stack_env():
    data_dir = scratch_dir("pgwarden-webstack-")
    env = {**os.environ, "PGWARDEN_DATA_DIR": str(data_dir), "PGWARDEN_PG_PORT": str(free_port()),
           "PGWARDEN_API_PORT": str(free_port()), "PGWARDEN_WEB_PORT": str(free_port()),
           "PYTHONPATH": str(REPO_ROOT)}
    env.pop("PGWARDEN_DATABASE_URL", None)
    yield env
    subprocess.run([PGWARDEN, "stack", "down"], env=env, capture_output=True, timeout=120)
    shutil.rmtree(data_dir, ignore_errors=True)


def test_a_program_with_only_sentry_init_lands_grouped_errors_in_the_running_stack(stack_env):
    started = subprocess.run([PGWARDEN, "stack", "up"], env=stack_env, capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr
    [dsn] = [line.split()[2] for line in started.stdout.splitlines() if "Sentry DSN" in line]
    assert httpx.get(f"http://127.0.0.1:{stack_env['PGWARDEN_WEB_PORT']}/health").json()["database"] == "ok"

    program = (f"import sentry_sdk\nsentry_sdk.init(dsn={dsn!r})\n"
               "def checkout(cart):\n    return cart['total'] / len(cart['items'])\n"
               "checkout({'total': 10, 'items': []})\n")
    for _ in range(2):  # an uncaught exception, twice: one group seen twice
        crashed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
        assert crashed.returncode == 1 and "ZeroDivisionError" in crashed.stderr

    database_url = subprocess.run([PGWARDEN, "db", "url"], env=stack_env, capture_output=True, text=True,
                                  timeout=60).stdout.strip()
    with psycopg.connect(database_url) as conn:
        groups = conn.execute("SELECT error_type::text, message, occurrence_count FROM app.system_errors").fetchall()
    assert groups == [("runtime", "ZeroDivisionError: division by zero", 2)]

    status = subprocess.run([PGWARDEN, "status"], env=stack_env, capture_output=True, text=True, timeout=60)
    assert any(line.startswith("web") and "running" in line for line in status.stdout.splitlines())


def test_webhook_secret_command_prints_a_secret_the_webhook_accepts(stack_env):
    assert subprocess.run([PGWARDEN, "stack", "up"], env=stack_env, capture_output=True, timeout=300).returncode == 0
    database_url = subprocess.run([PGWARDEN, "db", "url"], env=stack_env, capture_output=True, text=True,
                                  timeout=60).stdout.strip()
    with psycopg.connect(database_url) as conn:
        [(project_id,)] = conn.execute("SELECT min(id) FROM app.projects").fetchall()
    printed = subprocess.run([PGWARDEN, "webhook-secret", str(project_id)], env=stack_env, capture_output=True,
                             text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    secret = printed.stdout.split()[0]
    response = httpx.post(f"http://127.0.0.1:{stack_env['PGWARDEN_WEB_PORT']}/functions/v1/error-webhook",
                          json={"source": "custom", "error": {"message": "cron job exploded"}},
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json()["accepted"] == 1
    missing = subprocess.run([PGWARDEN, "webhook-secret", "999999"], env=stack_env, capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 4 and missing.stderr.startswith("error QN601")
