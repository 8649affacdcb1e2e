"""How long a Prometheus scrape takes with many error groups: app.metrics_snapshot() in SQL, and
GET /metrics through a real `pgwarden web`, with the counters' rows unfolded (the first minutes
after an install, or pg_cron not running) and folded (the steady state: pg_cron's metrics-fold
leaves the last five minutes to count).

    .venv/bin/python bench/metrics_scrape.py [--groups 100000] [--organizations 100]

Seeds through the real capture path (app.capture_batch), on its own throwaway cluster. No assertions.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
import psycopg
from benchlib import REPO_ROOT, free_port, throwaway_database


def timed(action, rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def summary(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"


def seed(conn: psycopg.Connection, groups: int, organizations: int) -> None:
    per_org = groups // organizations
    orgs = [row[0] for row in conn.execute(
        "INSERT INTO app.organizations (name) SELECT 'org ' || n FROM generate_series(1, %s) n RETURNING id",
        [organizations])]
    started = time.perf_counter()
    for org in orgs:
        conn.execute("SELECT app.rate_limit_set(%s, 0)", [org])
        (project,) = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'p') RETURNING id",
                                  [org]).fetchone()
        for first in range(0, per_org, 1000):
            # letters, not digits: each message is its own group after normalization
            conn.execute("""SELECT count(*) FROM app.capture_batch(%s, %s, (
                              SELECT jsonb_agg(jsonb_build_object('error_type', 'javascript', 'message',
                                       'failure ' || translate(n::text, '0123456789', 'abcdefghij')))
                                FROM generate_series(%s::integer, %s::integer) n))""",
                         [org, project, first, min(first + 1000, per_org) - 1])
    print(f"seeded {groups} groups in {organizations} organizations through app.capture_batch "
          f"in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--organizations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    with throwaway_database(fast=True) as (cluster, url), psycopg.connect(url, autocommit=True) as conn:
        seed(conn, args.groups, args.organizations)
        conn.execute("VACUUM ANALYZE")
        port = free_port()
        data_dir = tempfile.mkdtemp(prefix="pgwarden-bench-web-")
        web = subprocess.Popen([sys.executable, "-m", "workers", "web", "--port", str(port), "--database-url",
                                cluster.url("bench", user="pgwarden_web")], cwd=REPO_ROOT,
                               env={**os.environ, "PGWARDEN_DATA_DIR": data_dir}, stdout=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            while True:
                try:
                    httpx.get(base + "/health", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            for state in ("unfolded", "folded"):
                if state == "folded":  # as after a quiet hour: every minute old enough to fold
                    conn.execute("UPDATE app.error_metrics SET bucket = bucket - interval '1 hour'")
                    conn.execute("UPDATE app.rate_limit_usage SET minute = minute - interval '1 hour'")
                    conn.execute("SELECT app.metrics_fold()")
                rows = len(conn.execute("SELECT * FROM app.metrics_snapshot()").fetchall())
                in_sql = timed(lambda: conn.execute("SELECT * FROM app.metrics_snapshot()").fetchall(), args.rounds)
                size = len(httpx.get(base + "/metrics", timeout=60).content)
                over_http = timed(lambda: httpx.get(base + "/metrics", timeout=60).raise_for_status(), args.rounds)
                print(f"{state:<9} {rows} samples, {size / 1000:.0f} kB: app.metrics_snapshot() {summary(in_sql)}; "
                      f"GET /metrics {summary(over_http)}")
        finally:
            web.terminate()
            web.wait(15)


if __name__ == "__main__":
    main()
