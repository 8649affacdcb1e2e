"""Fixtures of the Python tests that run a real stack as `make up` does."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from tests.py.stack_support import Instance
from workers.settings import REPO_ROOT


@pytest.fixture
def instance():
    """A stack on its own data dir and ports, not started yet; stopped and removed afterwards."""
    instance = Instance()
    yield instance
    instance.remove()


@pytest.fixture
def organization(database_url) -> str:
    """An organization of the test's database, without a rate limit."""
    organization_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'test organization')", [organization_id])
        conn.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
    return organization_id


@pytest.fixture
def pgwarden(database_url, tmp_path):
    """The command line as a subprocess against the test's database, as a person or a script runs
    it: exit code, stdout and stderr. Keyword arguments override environment variables."""
    env = {**os.environ, "PGWARDEN_DATABASE_URL": database_url, "PGWARDEN_DATA_DIR": str(tmp_path), "NO_COLOR": "1"}

    def run(*args: str, stdin: str | None = None, **overrides: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "workers", *args], env={**env, **overrides}, cwd=REPO_ROOT,
                              input=stdin, capture_output=True, text=True, timeout=120)

    return run
