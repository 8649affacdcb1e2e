"""What every benchmark needs: a free port, and a throwaway cluster with the pgwarden schema built
by the real migration path (removed afterwards)."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from workers import migrate, sql  # noqa: E402
from workers.stack.cluster import Cluster, throwaway  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int, with_children: bool = False) -> float | None:
    """User + system CPU of a process on this machine, from /proc; with_children adds the children
    it has reaped and the live ones (a postmaster's backends). None when the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                child = stat.read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if int(child[1]) == pid:  # ppid
                ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def add_ingest_sync_option(parser: argparse.ArgumentParser) -> None:
    """--ingest-sync on|off|both (default both): the PGWARDEN_INGEST_SYNC settings to measure."""
    parser.add_argument("--ingest-sync", choices=("on", "off", "both"), default="both",
                        help="synchronous_commit of capture transactions (PGWARDEN_INGEST_SYNC); both: a run each")


def ingest_sync_modes(choice: str) -> list[str]:
    return ["off", "on"] if choice == "both" else [choice]


def set_ingest_sync(url: str, mode: str) -> None:
    """As the stack does at start: for the database's sessions opened from now on."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SET_INGEST_SYNC, [mode])


@contextmanager
def throwaway_database(database: str = "bench", *, cron: bool = False,
                       fast: bool = False) -> Iterator[tuple[Cluster, str]]:
    """A private cluster (the durability settings `make run` uses unless fast) holding `database`,
    migrated; pg_cron lives in it when `cron`. Yields (cluster, superuser URL of the database)."""
    with throwaway("pgwarden-bench-", free_port(), cron_database=database if cron else "no_cron_in_bench",
                   fast=fast) as cluster:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = cluster.url(database)
        migrate.apply(url)
        if cron:
            # pg_cron 1.4's scheduler, started while the database was still being built, never picks
            # up the jobs the migrations schedule; started afresh it does (as under `make up`)
            cluster.stop()
            cluster.start()
        yield cluster, url


@contextmanager
def bench_database() -> Iterator[str]:
    """PGWARDEN_BENCH_DATABASE_URL when set (a database built by the migrations), else a throwaway
    cluster's (fast: the durability settings do not matter to what these benches measure)."""
    url = os.environ.get("PGWARDEN_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    with throwaway_database(fast=True) as (_, url):
        yield url
