"""Helpers for the job tests: real `pgwarden worker` processes and an in-process runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import psycopg

from workers.handlers import load_all
from workers.runner import Runner, RunnerConfig
from workers.settings import REPO_ROOT

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float = 60.0, what: str = "condition") -> T:
    """Poll until probe() returns something truthy; fail the test after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def as_worker(database_url: str) -> str:
    """The same socket URL, logged in as pgwarden_worker (trust on the private socket)."""
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    return f"postgresql://pgwarden_worker@/{parts.path.lstrip('/')}?host={query['host'][0]}&port={query['port'][0]}"


class WorkerProcess:
    """`python -m workers worker ...` as a child process (environment: ours plus `env`), its output in a temp file."""

    def __init__(self, database_url: str, *options: str, env: dict[str, str] | None = None):
        self.log_path = Path(tempfile.mkstemp(prefix="pgwarden-worker-", suffix=".log")[1])
        env = {**os.environ, **(env or {}), "PGWARDEN_WORKER_DATABASE_URL": as_worker(database_url)}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "workers", "worker", *options], cwd=REPO_ROOT,
                                            env=env, stdout=log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log_path.unlink(missing_ok=True)


def worker_starter() -> Iterator[Callable[..., WorkerProcess]]:
    """Body of a fixture: start worker processes; whatever still runs at the end is killed."""
    started: list[WorkerProcess] = []

    def start(database_url: str, *options: str) -> WorkerProcess:
        worker = WorkerProcess(database_url, *options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


def listening_workers(conn: psycopg.Connection) -> int:
    """How many worker processes are connected and LISTENing for new jobs."""
    return conn.execute("""SELECT count(*) FROM pg_stat_activity
                            WHERE usename = 'pgwarden_worker' AND query = 'LISTEN "jobs:insert"'""").fetchone()[0]


def idle_claimers(conn: psycopg.Connection) -> int:
    """Worker connections that claimed, found nothing, and now wait (for NOTIFY, the next due job or
    the poll): their last call is the claim or, since idle slots sleep until the next due job, job_next_due."""
    return conn.execute("""SELECT count(*) FROM pg_stat_activity
                            WHERE usename = 'pgwarden_worker' AND state = 'idle'
                              AND (query LIKE '%app.job_claim%' OR query LIKE '%app.job_next_due%')""").fetchone()[0]


class InProcessWorker:
    """A Runner in a thread, with the built-in handlers, for tests that need no separate process."""

    def __init__(self, database_url: str, kinds: tuple[str, ...], **options):
        handlers = load_all()
        config = RunnerConfig(database_url=as_worker(database_url), kinds=kinds, **options)
        self.runner = Runner(config, {kind: handlers[kind] for kind in kinds})
        self.thread = threading.Thread(target=self.runner.run, daemon=True)

    def __enter__(self) -> Runner:
        self.thread.start()
        return self.runner

    def __exit__(self, *exc_info) -> None:
        self.runner.stop()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the runner did not stop"


def terminate(worker: WorkerProcess) -> int:
    worker.signal(signal.SIGTERM)
    return worker.wait()
