"""The stack as one object: the database (embedded cluster or PGWARDEN_DATABASE_URL), its
migrations, and the long-running processes `make run` / `make up` start."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from psycopg import sql as pgsql

from workers import migrate, secrets, sql
from workers.db import with_login
from workers.settings import DATABASE_NAME, Settings
from workers.stack import postgrest
from workers.stack.cluster import Cluster
from workers.stack.procs import Process


@dataclass(frozen=True)
class Urls:
    api: str
    web: str
    dsn: str
    database: str


class Stack:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.secrets = secrets.load_or_create(settings.data_dir)
        self.cluster = Cluster(settings.pgdata, settings.pg_port) if settings.embedded else None

    # -- the database

    @property
    def database_url(self) -> str:
        """Superuser URL the stack itself uses (the private socket for the embedded cluster)."""
        if self.cluster is None:
            return self.settings.external_database_url
        return self.cluster.url(DATABASE_NAME)

    @property
    def public_database_url(self) -> str:
        """A URL any local client can use: TCP with the generated password."""
        if self.cluster is None:
            return self.settings.external_database_url
        password = quote(self.secrets.postgres_password)
        return f"postgresql://postgres:{password}@127.0.0.1:{self.settings.pg_port}/{DATABASE_NAME}"

    @property
    def worker_database_url(self) -> str:
        """The job workers' login, pgwarden_worker: the private socket (trust) on the embedded
        cluster, else the external URL with that user and its generated password."""
        if self.cluster is None:
            return with_login(self.settings.external_database_url, "pgwarden_worker", self.secrets.worker_password)
        return self.cluster.url(DATABASE_NAME, user="pgwarden_worker")

    def ensure_database(self) -> list[str]:
        """Start the cluster if needed, create the database, apply both schema layers."""
        if self.cluster is not None:
            self.cluster.init(self.secrets.postgres_password)
            self.cluster.start()
            with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as conn:
                if not conn.execute(sql.DATABASE_EXISTS, [DATABASE_NAME]).fetchone():
                    conn.execute(pgsql.SQL(sql.CREATE_DATABASE).format(name=pgsql.Identifier(DATABASE_NAME)))
        applied = migrate.apply(self.database_url)
        self._set_login_passwords()
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            urls = self.urls(dsn="")  # the seeded health monitors probe {api_url} and {web_url}
            conn.execute(sql.HEALTH_CONFIGURE_STACK, [urls.api, urls.web])
        return applied

    def _set_login_passwords(self) -> None:
        logins = {"authenticator": self.secrets.authenticator_password,
                  "pgwarden_worker": self.secrets.worker_password}
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for role, password in logins.items():
                conn.execute(pgsql.SQL(sql.SET_ROLE_PASSWORD).format(
                    role=pgsql.Identifier(role), password=pgsql.Literal(password)))

    def default_project(self) -> tuple[int, str]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            project_id, public_key = conn.execute(sql.BOOTSTRAP_DEFAULT_PROJECT).fetchone()
        return project_id, public_key

    # -- processes

    def processes(self) -> list[Process]:
        """PostgREST, the worker and the web process (their PID files tell which run)."""
        run, log = self.settings.run_dir, self.settings.log_dir
        worker_env = {**os.environ, "PGWARDEN_WORKER_DATABASE_URL": self.worker_database_url}
        return [Process("postgrest", [str(postgrest.POSTGREST_BIN), str(self.postgrest_config),
                                      *postgrest.rts_options()], run, log),
                Process("worker", [sys.executable, "-m", "workers", "worker"], run, log, env=worker_env),
                # Sentry ingest and /functions/v1/*; logs in as pgwarden_web (see workers/cli/webcmd.py)
                Process("web", [sys.executable, "-m", "workers", "web", "--port", str(self.settings.web_port)],
                        run, log)]

    @property
    def postgrest_config(self) -> Path:
        return self.settings.run_dir / "postgrest.conf"

    def start_processes(self) -> list[Process]:
        # written at every start, so a changed port or secret takes effect
        postgrest.write_config(
            self.postgrest_config,
            db_uri=postgrest.authenticator_uri(self.database_url, self.secrets.authenticator_password),
            jwt_secret=self.secrets.jwt_secret, port=self.settings.api_port)
        processes = {process.name: process for process in self.processes()}
        started = []
        for process in processes.values():
            if process.pid() is None:
                process.start()
                started.append(process)
        urls = self.urls(dsn="")
        self._wait_until_answering(processes["postgrest"], urls.api, "PostgREST",
                                   answered=lambda response: response.status_code == 200)
        # /health answers with any status once the DSN is served
        self._wait_until_answering(processes["web"], urls.web + "health", "pgwarden web", answered=lambda _: True)
        return started

    @staticmethod
    def _wait_until_answering(process: Process, url: str, name: str, answered: Callable[[httpx.Response], bool],
                              timeout: float = 30.0) -> None:
        """Until url answers as `answered` accepts; fails with the log's tail once the process is gone."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if answered(httpx.get(url, timeout=5.0)):
                    return
            except httpx.HTTPError:
                pass
            if process.pid() is None or time.monotonic() > deadline:
                tail = process.log_file.read_text()[-2000:] if process.log_file.exists() else ""
                raise RuntimeError(f"{name} did not answer at {url}\n{tail}")
            time.sleep(0.1)

    def stop(self) -> list[str]:
        stopped = [process.name for process in reversed(self.processes()) if process.stop()]
        if self.cluster is not None and self.cluster.initialized() and self.cluster.running():
            self.cluster.stop()
            stopped.append("postgres")
        return stopped

    def urls(self, dsn: str) -> Urls:
        return Urls(api=f"http://127.0.0.1:{self.settings.api_port}/",
                    web=f"http://127.0.0.1:{self.settings.web_port}/",
                    dsn=dsn, database=self.public_database_url)

    def dsn(self, project_id: int, public_key: str) -> str:
        return f"http://{public_key}@127.0.0.1:{self.settings.web_port}/{project_id}"


def say(message: str) -> None:
    print(message, file=sys.stdout, flush=True)
