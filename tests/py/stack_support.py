"""A real stack as `make up` runs it, on its own data dir and ports: its command line, the processes
its supervisor runs, and how to see each of them serve again after a kill (the supervision tests
and bench/recovery.py)."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from tests.conftest import free_port, scratch_dir
from workers.settings import REPO_ROOT
from workers.stack import placement
from workers.stack.supervision import Supervisor

PGWARDEN = str(REPO_ROOT / ".venv" / "bin" / "pgwarden")
SERVED = ("web", "postgrest", "worker")  # restarted by the supervisor when they die


class Instance:
    def __init__(self, *, private: bool = False):
        """private: the data dir inside a folder only root may enter (as in root's home or a
        `mktemp -d` folder), so the cluster must live elsewhere (workers/stack/placement.py)."""
        self.folder = Path(tempfile.mkdtemp(prefix="pgwarden-private-")) if private else scratch_dir("pgwarden-stack-")
        self.data_dir = self.folder / ".data" if private else self.folder
        self.env = {**os.environ, "PGWARDEN_DATA_DIR": str(self.data_dir),
                    "PGWARDEN_PG_PORT": str(free_port()), "PGWARDEN_API_PORT": str(free_port()),
                    "PGWARDEN_WEB_PORT": str(free_port())}
        self.env.pop("PGWARDEN_DATABASE_URL", None)
        self.supervisor = Supervisor(self.data_dir, self.data_dir / "run", self.data_dir / "log")

    def remove(self) -> None:
        """Stop it and remove its files, its cluster's home included when it was placed elsewhere."""
        self.pgwarden("stack", "down")
        placement.discard(self.data_dir)
        shutil.rmtree(self.folder, ignore_errors=True)

    def pgwarden(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PGWARDEN, *args], env=self.env, capture_output=True, text=True, timeout=300)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['PGWARDEN_API_PORT']}/"

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.env['PGWARDEN_WEB_PORT']}/"

    @functools.cached_property
    def database_url(self) -> str:
        """The stack's database (superuser over TCP), as `pgwarden db url` prints it."""
        return self.pgwarden("db", "url").stdout.strip()

    def pid_of(self, name: str) -> int | None:
        """The PID of a program while the supervisor has a process of it (starting or running)."""
        return self.supervisor.processes().get(name, {}).get("pid") or None

    def pids(self) -> list[int]:
        """Everything this stack runs: the supervisor, its programs (the postmaster among them)."""
        programs = [info["pid"] for info in self.supervisor.processes().values() if info["pid"]]
        postmaster = self.data_dir / "pg" / "postmaster.pid"
        own = [self.supervisor.pid()] + ([int(postmaster.read_text().split()[0])] if postmaster.exists() else [])
        return sorted({pid for pid in programs + own if pid})

    def serves(self, name: str, conn: psycopg.Connection, job_id: int | None = None) -> bool:
        """web: /health with the database reachable; postgrest: its OpenAPI document; worker: the
        job job_id done."""
        try:
            if name == "web":
                response = httpx.get(self.web + "health", timeout=5.0)
                return response.status_code == 200 and response.json()["database"] == "ok"
            if name == "postgrest":
                return httpx.get(self.api, timeout=5.0).status_code == 200
        except httpx.HTTPError:
            return False
        return conn.execute("SELECT 1 FROM app.job_history WHERE id = %s AND state = 'succeeded'",
                            [job_id]).fetchone() is not None

    def kill_and_wait_for_recovery(self, name: str, timeout: float = 60.0) -> float:
        """SIGKILL the program, then wait until it serves again (the killed process cannot: the
        answer comes from a new one, checked afterwards); returns the seconds from the kill until
        then (AssertionError after the timeout)."""
        old_pid = self.pid_of(name)
        assert old_pid, f"{name} is not running"
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            os.kill(old_pid, signal.SIGKILL)
            killed = time.monotonic()
            job_id = None
            if name == "worker":  # queued while no worker runs: only the restarted one can run it
                (job_id,) = conn.execute("SELECT app.job_enqueue('builtin.echo', '{\"after\": \"kill\"}')").fetchone()
            # only the service is probed meanwhile: a request to the supervisor wakes its loop, which
            # otherwise notices an exit within a second
            while not self.serves(name, conn, job_id):
                if time.monotonic() - killed > timeout:
                    raise AssertionError(f"{name} did not come back within {timeout} s; "
                                         f"supervisor log:\n{self.supervisor_log()[-2000:]}")
                time.sleep(0.02)
            recovered = time.monotonic() - killed
        assert self.pid_of(name) not in (None, old_pid), f"{name} serves, but not from a new process"
        return recovered

    def supervisor_log(self) -> str:
        return self.supervisor.log_file.read_text(errors="replace") if self.supervisor.log_file.exists() else ""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False
