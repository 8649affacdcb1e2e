"""How far a streaming replica (`pgwarden db replica`) trails the primary, idle and under batch
ingest: a marker event is captured on the primary every half second and the replica is polled
(as pgwarden_reader, through the reporting schema) until it shows it.

    .venv/bin/python bench/replica_lag.py [--seconds 30] [--loaders 2]

It starts its own stack (temp data dir, free ports) with a replica, and removes both. No assertions.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import threading
import time

import psycopg
from benchlib import REPO_ROOT, free_port  # noqa: F401  (puts the repository on sys.path)

from tests.py.stack_support import Instance

BATCH = 500
MARKERS = itertools.count(1)


def visible_after(primary: psycopg.Connection, replica: psycopg.Connection, org, project) -> float:
    """Seconds from the marker's commit on the primary until the replica shows it."""
    # letters, not digits: numbers are normalized away, and the markers would share one group
    marker = "replica marker " + str(next(MARKERS)).translate(str.maketrans("0123456789", "abcdefghij"))
    primary.execute("SELECT count(*) FROM app.capture_batch(%s, %s, jsonb_build_array(jsonb_build_object("
                    "'error_type', 'javascript', 'message', %s::text)))", [org, project, marker])
    committed = time.perf_counter()
    deadline = committed + 60
    while not replica.execute("SELECT EXISTS (SELECT FROM reporting.error_groups WHERE message = %s)",
                              [marker]).fetchone()[0]:
        if time.perf_counter() > deadline:
            raise SystemExit(f"the replica did not show {marker!r} within 60 s")
        time.sleep(0.002)
    return time.perf_counter() - committed


def load(url: str, org, project, stop: threading.Event, counted: list[int]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            conn.execute("""SELECT count(*) FROM app.capture_batch(%s, %s, (
                              SELECT jsonb_agg(jsonb_build_object('error_type', 'javascript',
                                       'message', 'load ' || (random() * 1000)::int)) FROM generate_series(1, %s)))""",
                         [org, project, BATCH])
            counted.append(BATCH)


def probe(primary, replica, org, project, seconds: float) -> list[float]:
    lags = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lags.append(visible_after(primary, replica, org, project))
        time.sleep(0.5)
    return lags


def report(label: str, lags: list[float], extra: str = "") -> None:
    ordered = sorted(lags)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(f"{label:<28} {len(lags)} markers: median {statistics.median(lags) * 1000:.1f} ms, "
          f"p95 {p95 * 1000:.1f} ms, max {max(lags) * 1000:.1f} ms{extra}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--loaders", type=int, default=2, help="connections capturing batches meanwhile")
    args = parser.parse_args()

    stack = Instance()
    stack.env["PGWARDEN_REPLICA_PORT"] = str(free_port())
    try:
        for step in (("stack", "up"), ("db", "replica", "create")):
            done = stack.pgwarden(*step)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(step)} failed:\n{done.stdout}{done.stderr}")
        replica_url = stack.pgwarden("db", "replica", "url").stdout.strip()
        with psycopg.connect(stack.database_url, autocommit=True) as primary, \
                psycopg.connect(replica_url, autocommit=True) as replica:
            org, project = primary.execute(
                "SELECT organization_id, id FROM app.projects ORDER BY id LIMIT 1").fetchone()
            primary.execute("SELECT app.rate_limit_set(%s, 0)", [org])
            report("idle", probe(primary, replica, org, project, min(args.seconds, 10)))

            stop, counted = threading.Event(), []
            loaders = [threading.Thread(target=load, args=(stack.database_url, org, project, stop, counted))
                       for _ in range(args.loaders)]
            started = time.monotonic()
            for loader in loaders:
                loader.start()
            behind = []
            sampler_stop = threading.Event()

            def sample() -> None:
                with psycopg.connect(stack.database_url, autocommit=True) as conn:
                    while not sampler_stop.wait(0.25):
                        row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) "
                                           "FROM pg_stat_replication").fetchone()
                        if row and row[0] is not None:
                            behind.append(int(row[0]))

            sampler = threading.Thread(target=sample)
            sampler.start()
            lags = probe(primary, replica, org, project, args.seconds)
            stop.set()
            sampler_stop.set()
            for thread in [*loaders, sampler]:
                thread.join()
            rate = sum(counted) / (time.monotonic() - started)
            report(f"under ingest ({args.loaders} loaders)", lags,
                   f"; {rate:.0f} events/s captured meanwhile; WAL not yet replayed: median "
                   f"{statistics.median(behind) / 1024:.0f} kB, max {max(behind) / 1024:.0f} kB")
    finally:
        stack.remove()


if __name__ == "__main__":
    main()
