"""The stack as one object: the database (embedded cluster or PGWARDEN_DATABASE_URL), its
migrations, and the long-running processes `make run` / `make up` start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql as pgsql

from workers import migrate, secrets, sql
from workers.db import with_login
from workers.settings import DATABASE_NAME, Settings
from workers.stack import placement, postgrest, replica
from workers.stack.cluster import Cluster
from workers.stack.supervision import GIVEN_UP, Program, Supervisor


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
        self.cluster = (Cluster(placement.locate(settings.data_dir), settings.pg_port,
                                log_file=settings.log_dir / "postgres.log")
                        if settings.embedded else None)
        self.supervisor_child: subprocess.Popen | None = None  # supervisord, when `make run` started it

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

    @property
    def database_name(self) -> str:
        return DATABASE_NAME if self.cluster is not None else urlsplit(self.database_url).path.lstrip("/")

    def url_of(self, database: str) -> str:
        """The stack's superuser login to another database of the same server."""
        if self.cluster is not None:
            return self.cluster.url(database)
        return urlunsplit(urlsplit(self.database_url)._replace(path=f"/{database}"))

    @property
    def server_url(self) -> str:
        """Its maintenance database, postgres: where the stack's database is created, renamed, dropped."""
        return self.url_of("postgres")

    def start_database(self, *, foreground: bool = False) -> None:
        """The embedded cluster running under the supervisor (nothing to do for an external database)."""
        if self.cluster is not None:
            self._start_cluster(foreground)

    def restart_database(self) -> None:
        """A fast restart of the embedded cluster under the supervisor (sessions end, data stays)."""
        self.supervisor.restart(["postgres"])
        self._wait_until("postgres", self.cluster.ready,
                         f"PostgreSQL did not become ready; see {self.cluster.log_file}", timeout=120.0)

    def ensure_database(self, *, foreground: bool = False) -> list[str]:
        """Start the embedded cluster under the supervisor if needed, create the database, apply
        both schema layers."""
        self.start_database(foreground=foreground)
        if self.cluster is not None:
            with psycopg.connect(self.server_url, autocommit=True) as conn:
                if not conn.execute(sql.DATABASE_EXISTS, [DATABASE_NAME]).fetchone():
                    conn.execute(pgsql.SQL(sql.CREATE_DATABASE).format(name=pgsql.Identifier(DATABASE_NAME)))
        cron_was_installed = self._cron_installed()
        applied = migrate.apply(self.database_url)
        if self.cluster is not None and not cron_was_installed and self._cron_installed():
            # pg_cron 1.4's scheduler, started before the database and its extension existed, never
            # picks up the jobs the migrations schedule; started afresh it does
            say("pg_cron installed: restarting PostgreSQL so that its scheduler runs the jobs")
            self.restart_database()
        self._set_login_passwords()
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            urls = self.urls(dsn="")  # the seeded health monitors probe {api_url} and {web_url}
            conn.execute(sql.HEALTH_CONFIGURE_STACK, [urls.api, urls.web])
            (ingest_sync_changed,) = conn.execute(sql.SET_INGEST_SYNC, [self.settings.ingest_sync]).fetchone()
            conn.execute(sql.AI_CONFIGURE, [json.dumps(self.settings.ai)])  # the workers run with this environment
        if ingest_sync_changed:
            self._restart_capturing_processes()
        return applied

    def _cron_installed(self) -> bool:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql.CRON_INSTALLED).fetchone()[0]

    def _restart_capturing_processes(self) -> None:
        """Sessions keep the durability setting they opened with: the processes that capture
        (PostgREST, web) open new ones."""
        running = [name for name, info in self.supervisor.processes().items()
                   if name in ("postgrest", "web") and info["statename"] == "RUNNING"]
        if running:
            say(f"PGWARDEN_INGEST_SYNC changed: restarting {' and '.join(running)}")
            self.supervisor.restart(running)

    def _start_cluster(self, foreground: bool) -> None:
        cluster = self.cluster
        # where the postgres user can reach it (PlacementError before anything else when it cannot)
        cluster.pgdata = placement.prepare(self.settings.data_dir)
        cluster.init(self.secrets.postgres_password)
        if not self.supervisor.running() and cluster.running():
            # left behind by a supervisor that was killed, or started by hand: taken over, so that
            # its exit is seen (a fast shutdown: sessions end, committed data stays)
            say("PostgreSQL runs without the supervisor: restarting it under the supervisor")
            cluster.stop()
        cluster.write_config()
        self._ensure_supervisor(foreground)
        self.supervisor.start(["postgres"])
        self._wait_until("postgres", cluster.ready, f"PostgreSQL did not become ready; see {cluster.log_file}",
                         timeout=120.0)

    def _set_login_passwords(self) -> None:
        logins = {"authenticator": self.secrets.authenticator_password,
                  "pgwarden_worker": self.secrets.worker_password,
                  "pgwarden_reader": self.secrets.reader_password}
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for role, password in logins.items():
                conn.execute(pgsql.SQL(sql.SET_ROLE_PASSWORD).format(
                    role=pgsql.Identifier(role), password=pgsql.Literal(password)))

    def default_project(self) -> tuple[int, str]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            project_id, public_key = conn.execute(sql.BOOTSTRAP_DEFAULT_PROJECT).fetchone()
        return project_id, public_key

    # -- processes

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.settings.data_dir, self.settings.run_dir, self.settings.log_dir)

    def programs(self) -> list[Program]:
        """What the supervisor runs, in start order: PostgreSQL (embedded cluster only; never
        restarted by it), PostgREST, the worker, the web process and the demo services (restarted
        when they die)."""
        log = self.settings.log_dir
        programs = []
        if self.cluster is not None:
            programs.append(Program("postgres", self.cluster.server_argv(), self.cluster.log_file, restart=False,
                                    user="postgres" if os.geteuid() == 0 else None, directory="/",
                                    stop_signal="INT", stop_seconds=60))  # SIGINT: a fast shutdown
        return [*programs,
                Program("postgrest", [str(postgrest.POSTGREST_BIN), str(self.postgrest_config),
                                      *postgrest.rts_options()], log / "postgrest.log"),
                Program("worker", [sys.executable, "-m", "workers", "worker"], log / "worker.log"),
                # Sentry ingest and /functions/v1/*; logs in as pgwarden_web (see workers/cli/webcmd.py)
                Program("web", [sys.executable, "-m", "workers", "web", "--port", str(self.settings.web_port)],
                        log / "web.log"),
                # `make demo`'s local services: started by `pgwarden demo`, and by `make up` once a demo ran
                Program("demo", [sys.executable, "-m", "workers.demo.services", "--port", str(self.settings.demo_port)],
                        log / "demo.log")]

    @property
    def demo_marker(self) -> Path:
        """Written by `pgwarden demo`: the demo's monitors probe its services, so `make up` starts them too."""
        return self.settings.run_dir / "demo-services"

    @property
    def postgrest_config(self) -> Path:
        return self.settings.run_dir / "postgrest.conf"

    def _ensure_supervisor(self, foreground: bool) -> None:
        """supervisord for this data dir, started with a freshly written config unless it runs."""
        if self.supervisor.running():
            return
        if self.supervisor.stop_orphans():
            say("stopped the processes a killed supervisor had left running")
        self.supervisor.write_config(self.programs())
        # the programs inherit this environment: absolute paths and the ports, whatever their cwd;
        # the worker's login (pgwarden_worker)
        env = {**os.environ, "PGWARDEN_DATA_DIR": str(self.settings.data_dir),
               "PGWARDEN_PG_PORT": str(self.settings.pg_port), "PGWARDEN_API_PORT": str(self.settings.api_port),
               "PGWARDEN_WEB_PORT": str(self.settings.web_port),
               "PGWARDEN_WORKER_DATABASE_URL": self.worker_database_url}
        self.supervisor_child = self.supervisor.launch(env, foreground=foreground)

    def start_processes(self, *, foreground: bool = False) -> list[str]:
        """Start what is not running under the supervisor; returns once PostgREST and the web
        process answer."""
        # written at every start, so a changed port or secret takes effect (also on a restart)
        postgrest.write_config(
            self.postgrest_config,
            db_uri=postgrest.authenticator_uri(self.database_url, self.secrets.authenticator_password),
            jwt_secret=self.secrets.jwt_secret, port=self.settings.api_port)
        self._ensure_supervisor(foreground)
        demo = ["demo"] if self.demo_marker.exists() else []
        started = self.supervisor.start(["postgrest", "worker", "web", *demo])
        urls = self.urls(dsn="")
        self._wait_until("postgrest", lambda: _answers(urls.api, lambda response: response.status_code == 200),
                         f"PostgREST did not answer at {urls.api}")
        # /health answers with any status once the DSN is served
        self._wait_until("web", lambda: _answers(urls.web + "health", lambda _: True),
                         f"pgwarden web did not answer at {urls.web}")
        return started

    def _wait_until(self, name: str, ready: Callable[[], bool], failure: str, timeout: float = 30.0) -> None:
        """Until ready(); fails with the program's log tail once the supervisor gave up on it."""
        deadline = time.monotonic() + timeout
        while not ready():
            state = self.supervisor.state(name)
            if state in GIVEN_UP or time.monotonic() > deadline:
                log_file = next(program.log_file for program in self.programs() if program.name == name)
                tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
                raise RuntimeError(f"{failure} (supervisor: {state})\n{tail}")
            time.sleep(0.05)

    def stop(self) -> list[str]:
        """Everything the supervisor runs, in reverse order; then what a killed supervisor left
        running, PostgreSQL last."""
        order = [program.name for program in reversed(self.programs())] + ["supervisor"]
        stopped = sorted(self.supervisor.shutdown(), key=order.index)
        if self.supervisor.stop_orphans():
            stopped.append("processes left by a killed supervisor")
        if self.cluster is not None and replica.stop(self):
            stopped.append("replica")
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


def _answers(url: str, answered: Callable[[httpx.Response], bool]) -> bool:
    try:
        return answered(httpx.get(url, timeout=5.0))
    except httpx.HTTPError:
        return False


def say(message: str) -> None:
    print(message, file=sys.stdout, flush=True)
