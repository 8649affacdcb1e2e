"""Test harness: one throwaway PostgreSQL cluster per run, a template database built by the real
migration path, and a fresh clone of it per test (about 70 ms)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql as pgsql

from workers import migrate
from workers.settings import REPO_ROOT
from workers.stack import postgrest
from workers.stack.cluster import Cluster, throwaway

TEMPLATE = "pgwarden_template"
CRON_DATABASE = "pgwarden"  # pg_cron lives here; clones of the template run without it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scratch_dir(prefix: str) -> Path:
    """A temp dir the postgres OS user can traverse (pytest's own tmp dirs are root-only)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def stop_process(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `grace` seconds."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def pg_cluster():
    with throwaway("pgwarden-test-", free_port(), cron_database=CRON_DATABASE, fast=True) as cluster:
        yield cluster


def create_database(cluster: Cluster, name: str, template: str | None = None) -> str:
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        statement = "CREATE DATABASE {name}" + (" TEMPLATE {template}" if template else "")
        conn.execute(pgsql.SQL(statement).format(name=pgsql.Identifier(name),
                                                 template=pgsql.Identifier(template or "")))
    return cluster.url(name)


def drop_database(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


@pytest.fixture(scope="session")
def template_database(pg_cluster) -> str:
    url = create_database(pg_cluster, TEMPLATE)
    migrate.apply(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA tests")
        conn.execute("CREATE EXTENSION pgtap SCHEMA tests")
        conn.execute("CREATE EXTENSION plpgsql_check")
        # pgTAP runs under SET ROLE too (RLS tests), and functions are not PUBLIC-executable here
        conn.execute("GRANT USAGE ON SCHEMA tests TO PUBLIC")
        conn.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tests TO PUBLIC")
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {TEMPLATE} WITH is_template true ALLOW_CONNECTIONS false")
    return TEMPLATE


@pytest.fixture(scope="session")
def cron_database_url(pg_cluster) -> str:
    """The one database where pg_cron lives (cron.database_name), built by the migrations, so
    tests can see what the code layer schedules. Shared by the session: read, do not mutate."""
    url = create_database(pg_cluster, CRON_DATABASE)
    migrate.apply(url)
    return url


@pytest.fixture
def database_url(pg_cluster, template_database):
    """A fresh database built by the migrations (superuser URL), dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_cluster, name, template_database)
    yield url
    drop_database(pg_cluster, name)


@pytest.fixture
def db(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@contextlib.contextmanager
def running_postgrest(database_url: str) -> Iterator[tuple[str, str]]:
    """A real PostgREST over `database_url`, configured as the stack configures it. Yields
    (base_url, jwt_secret)."""
    secret = uuid.uuid4().hex * 2
    port = free_port()
    run_dir = scratch_dir("pgwarden-postgrest-")
    config = postgrest.write_config(run_dir / "postgrest.conf",
                                    db_uri=postgrest.authenticator_uri(database_url, "unused-on-socket"),
                                    jwt_secret=secret, port=port)
    log = open(run_dir / "postgrest.log", "wb")
    process = subprocess.Popen([str(postgrest.POSTGREST_BIN), str(config)], stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base_url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((run_dir / "postgrest.log").read_text())
            time.sleep(0.1)
        yield base_url, secret
    finally:
        stop_process(process, grace=10)
        log.close()
        shutil.rmtree(run_dir, ignore_errors=True)


@contextlib.contextmanager
def postgrest_over_clone(cluster: Cluster, template: str) -> Iterator[tuple[str, str, str]]:
    """A real PostgREST over its own clone of the template. Yields (base_url, jwt_secret, database_url)."""
    name = f"api_{uuid.uuid4().hex[:8]}"
    database_url = create_database(cluster, name, template)
    try:
        with running_postgrest(database_url) as (base_url, secret):
            yield base_url, secret, database_url
    finally:
        drop_database(cluster, name)


@pytest.fixture(scope="session")
def api_server(pg_cluster, template_database):
    """A real PostgREST over its own clone, shared by the session. Yields (base_url, jwt_secret, database_url)."""
    with postgrest_over_clone(pg_cluster, template_database) as server:
        yield server


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def pgwarden(database_url) -> Iterator:
    """The `pgwarden` command line as a user runs it, on the test's database and a data dir of its
    own: pgwarden("reports", "list") returns the CompletedProcess (exit code, stdout, stderr)."""
    data_dir = scratch_dir("pgwarden-cli-")
    env = {**os.environ, "PGWARDEN_DATABASE_URL": database_url, "PGWARDEN_DATA_DIR": str(data_dir)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "pgwarden"), *args], env=env, capture_output=True,
                              text=True, timeout=60)

    yield run
    shutil.rmtree(data_dir, ignore_errors=True)
