"""A private PostgreSQL 15 cluster owned by the `postgres` OS user (initdb and postgres refuse
to run as root). `make run` / `make up` run its postmaster under the stack's supervisor
(server_argv); the test suite and the benchmarks start it with pg_ctl (start, `fast=True`)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from workers.settings import DATABASE_NAME, PG_BIN
from workers.stack import placement

CONFIG_FILE = "pgwarden.conf"

# glibc's malloc as the server's processes run it. By default it maps an allocation past 128 kB
# fresh from the kernel and, when a statement frees such memory, hands it back (or trims it off the
# heap): the next statement faults every page in again, zeroed by the kernel. A list answered whole
# is several MB-sized copies of one document (the aggregate's buffer, its result, the row sent):
# 1,813 groups read through PostgREST (2.2 MB of JSON, bench/reads.py) cost a backend 17.7 ms of
# CPU, 15 ms with fixed thresholds; perf put a third of the backend's time in the kernel without
# them. A 1.9 MB json_agg cost 24 ms by default, 18 with 32/64 MB and 17 with 8/16 MB, so the
# smaller pair: allocations under 8 MB come from the heap, and a backend keeps at most 16 MB free at
# its top (memory freed below the top was never returned either way). Settings already in the
# environment are left alone.
SERVER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(8 << 20), "MALLOC_TRIM_THRESHOLD_": str(16 << 20)}


def as_postgres(argv: list[str]) -> list[str]:
    """Run a server binary as the postgres OS user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def with_server_malloc(argv: list[str]) -> list[str]:
    """A server binary started with SERVER_MALLOC in its environment (the postmaster passes its
    environment on to every backend), unless the caller's environment already sets them."""
    settings = [f"{name}={value}" for name, value in SERVER_MALLOC.items() if name not in os.environ]
    return ["env", *settings, *argv]


def run_as_server(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """A server tool as the postgres user, from / (it may not enter the folder we were started in)."""
    return subprocess.run(as_postgres(argv), cwd="/", capture_output=True, text=True, **kwargs)


def run_checked(argv: list[str], **kwargs) -> None:
    """Run a server tool; on failure raise with what it printed."""
    done = run_as_server(argv, **kwargs)
    if done.returncode != 0:
        program = next(part for part in argv if part != "env" and "=" not in part)
        raise RuntimeError(f"{Path(program).name} failed:\n{done.stdout}{done.stderr}")


def give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


class Cluster:
    def __init__(self, pgdata: Path, port: int, *, cron_database: str = DATABASE_NAME, fast: bool = False,
                 log_file: Path | None = None, standby_name: str | None = None):
        self.pgdata = pgdata
        self.port = port
        self.cron_database = cron_database
        self.fast = fast  # tests: no fsync, no synchronous commit
        self.log_file = log_file or pgdata / "server.log"
        self.standby_name = standby_name  # a hot standby streaming from a primary (workers/stack/replica.py)

    @property
    def socket_dir(self) -> Path:
        return self.pgdata

    def server_argv(self) -> list[str]:
        """The postmaster in the foreground, for a supervisor that runs it as the postgres user
        (write_config first: the port and the socket come from the config file)."""
        return with_server_malloc([str(PG_BIN / "postgres"), "-D", str(self.pgdata)])

    def url(self, database: str = DATABASE_NAME, user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}&port={self.port}"

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self, superuser_password: str) -> None:
        """initdb once: trust on the private socket, scram-sha-256 over TCP."""
        if self.initialized():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        give_to_postgres(self.pgdata)
        argv = [str(PG_BIN / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "-E", "UTF8",
                "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
                ]
        if self.fast:
            argv.append("--no-sync")
        # initdb reads the password from a file the postgres user can open: beside the cluster, where
        # it can reach (the temp dir may be private)
        with tempfile.NamedTemporaryFile("w", prefix="pgwarden-pw-", dir=self.pgdata.parent) as pwfile:
            pwfile.write(superuser_password + "\n")
            pwfile.flush()
            give_to_postgres(Path(pwfile.name))
            run_checked([*argv, f"--pwfile={pwfile.name}"])
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(f"\ninclude_if_exists = '{CONFIG_FILE}'\n")

    def write_config(self) -> None:
        """Rewritten at every start, so a changed port or data dir takes effect."""
        lines = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "shared_preload_libraries = 'pg_cron'",
            f"cron.database_name = '{self.cron_database}'",
            "cron.use_background_workers = on",  # cron jobs need no login over TCP
            "max_worker_processes = 16",
            "max_connections = 200",
            "logging_collector = off",
            # queue tables (app.job) leave a dead index entry per finished job in front of the
            # next claim; vacuuming every 10 s instead of every minute keeps claims fast
            "autovacuum_naptime = 10",
            # a refused request leaves its SQLSTATE and message in server.log, never its data: no
            # STATEMENT line, and no DETAIL / CONTEXT lines (they quote the JSON a request carried)
            "log_min_error_statement = panic", "log_error_verbosity = terse",
            # a replica that stops keeps its replication slot, which keeps WAL for it: bounded, so a
            # forgotten replica cannot fill the disk (it then needs `pgwarden db replica create` again)
            "max_slot_wal_keep_size = '2GB'",
        ]
        if self.standby_name is not None:
            lines += [
                f"cluster_name = '{self.standby_name}'",  # how the primary names it (pg_stat_replication)
                "hot_standby = on",
                # a long read that conflicts with replay is cancelled after this, so the replica
                # never falls further behind than this on account of a reader (the lag budget)
                "max_standby_streaming_delay = '30s'",
                "hot_standby_feedback = off",  # readers never hold back the primary's vacuum
            ]
        if self.fast:
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        path = self.pgdata / CONFIG_FILE
        path.write_text("\n".join(lines) + "\n")
        give_to_postgres(path)

    def running(self) -> bool:
        return run_as_server([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "status"]).returncode == 0

    def start(self, timeout: float = 60.0) -> None:
        if self.running():
            self.wait_ready(timeout)
            return
        self.write_config()
        # its own session: a Ctrl-C on the terminal must not reach the postmaster directly;
        # its owner stops it in order
        run_checked(with_server_malloc([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log_file),
                                        "-W", "start"]),
                    start_new_session=True)
        self.wait_ready(timeout)

    def ready(self) -> bool:
        """Accepting connections (pg_isready)."""
        return subprocess.run([str(PG_BIN / "pg_isready"), "-q", "-h", str(self.socket_dir), "-p", str(self.port),
                               "-U", "postgres"]).returncode == 0  # (as root it would log "role root does not exist")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL did not become ready; see {self.log_file}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.initialized() and self.running():
            run_checked([str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"])


@contextlib.contextmanager
def throwaway(prefix: str, port: int, **options) -> Iterator[Cluster]:
    """A started cluster in a new temp dir (relocated by placement when the temp dir is private),
    stopped and removed afterwards: the test suite's and the benchmarks'."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    cluster = Cluster(placement.prepare(base), port, **options)
    try:
        cluster.init(secrets.token_hex(16))
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        placement.discard(base)
        shutil.rmtree(base, ignore_errors=True)
