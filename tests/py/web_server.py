"""A real `pgwarden web` process over its own clone of the test template, for the test_web_* modules
(load with `pytest_plugins = ["web_server"]`).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import create_database, drop_database, free_port, scratch_dir, stop_process
from workers.settings import REPO_ROOT


@dataclass(frozen=True)
class Project:
    organization_id: str
    id: int
    public_key: str
    dsn: str


class WebServer:
    def __init__(self, database_url: str, web_database_url: str, log_dir: Path, extra_args: tuple[str, ...] = (),
                 extra_env: dict[str, str] | None = None):
        self.database_url = database_url  # superuser: the tests' own view of the database
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_file = log_dir / f"web-{self.port}.log"
        self.jwt_secret = uuid.uuid4().hex * 2  # verifies people's tokens (report screenshots)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PGWARDEN_DATA_DIR": str(log_dir / "data"),
               "PGWARDEN_JWT_SECRET": self.jwt_secret}
        env.pop("PGWARDEN_DATABASE_URL", None)
        env.update(extra_env or {})
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workers", "web", "--port", str(self.port), "--database-url", web_database_url,
                 "--access-log", *extra_args],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_until_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(self.base_url + "/health", timeout=10.0)
                return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pgwarden web did not start:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def requests_to(self, path: str) -> int:
        """How many requests for `path` the server received (its access log)."""
        return sum(1 for line in self.log().splitlines() if f'"POST {path}' in line)

    def stop(self) -> None:
        stop_process(self.process)

    def new_project(self, name: str = "shop") -> Project:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            (org_id,) = conn.execute("INSERT INTO app.organizations (name) VALUES (%s) RETURNING id",
                                     [f"org {uuid.uuid4().hex[:6]}"]).fetchone()
            project_id, key = conn.execute(
                "INSERT INTO app.projects (organization_id, name) VALUES (%s, %s) RETURNING id, public_key",
                [org_id, name]).fetchone()
        return Project(str(org_id), project_id, key, f"http://{key}@127.0.0.1:{self.port}/{project_id}")

    def query(self, statement: str, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(statement, params or []).fetchall()


def web_role_url(database_url: str) -> str:
    """The clone's socket URL with the web process's own login role."""
    return database_url.replace("postgresql://postgres@", "postgresql://pgwarden_web@", 1)


@pytest.fixture(scope="module")
def web_database(pg_cluster, template_database) -> Iterator[str]:
    name = f"web_{uuid.uuid4().hex[:10]}"
    url = create_database(pg_cluster, name, template_database)
    yield url
    drop_database(pg_cluster, name)


@contextlib.contextmanager
def serving(database_url: str, **options) -> Iterator[WebServer]:
    """A listening `pgwarden web` over database_url (as its own role), stopped and cleaned up after."""
    log_dir = scratch_dir("pgwarden-web-")
    server = WebServer(database_url, web_role_url(database_url), log_dir, **options)
    try:
        server.wait_until_listening()
        yield server
    finally:
        server.stop()
        shutil.rmtree(log_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def web_server(web_database) -> Iterator[WebServer]:
    with serving(web_database) as server:
        yield server


def run_python(script: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """A separate Python process, like a user's program (the SDK installs global hooks)."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done
