"""The cluster's server processes run with glibc's malloc thresholds raised (workers/stack/cluster.py
SERVER_MALLOC), so a statement's large buffers are not faulted in from the kernel again by the next
statement: set for the postmaster however it is started. Its backends are forks of it and inherit
malloc's settings as they are (their /proc environ area holds the ps title, so it is not read here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workers.stack.cluster import SERVER_MALLOC, with_server_malloc


def environment_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


@pytest.mark.skipif(os.geteuid() != 0, reason="reading the postgres user's /proc/<pid>/environ takes root")
def test_a_cluster_started_with_pg_ctl_runs_with_the_raised_malloc_thresholds(pg_cluster):
    postmaster = int((pg_cluster.pgdata / "postmaster.pid").read_text().split()[0])
    environment = environment_of(postmaster)
    assert {name: environment.get(name) for name in SERVER_MALLOC} == SERVER_MALLOC


def test_the_supervised_postmaster_is_started_with_them_and_an_operators_own_settings_win(pg_cluster, monkeypatch):
    argv = pg_cluster.server_argv()
    assert argv[0] == "env" and argv[-2:] == ["-D", str(pg_cluster.pgdata)]
    assert [f"{name}={value}" for name, value in SERVER_MALLOC.items()] == argv[1:-3]

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1048576")
    mapped = SERVER_MALLOC["MALLOC_MMAP_THRESHOLD_"]
    assert with_server_malloc(["postgres"]) == ["env", f"MALLOC_MMAP_THRESHOLD_={mapped}", "postgres"]
