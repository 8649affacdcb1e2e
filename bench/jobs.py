"""Job throughput: jobs/s claimed and completed by 1 and 4 `pgwarden worker` processes running the
trivial builtin.noop handler with batched claims, on a fresh queue and again after a million jobs
have passed through the same tables (the bloat check). Prints figures; asserts nothing.

    .venv/bin/python bench/jobs.py                       # 50,000 jobs, 1,000,000 churned (minutes)
    .venv/bin/python bench/jobs.py --jobs 2000 --churn 20000   # a quick check that it runs

Runs on a throwaway cluster in a temp dir with the settings `make run` uses (fsync on; --fast
turns durability off as the tests do). Throughput is measured from the database's own timestamps:
jobs / (last finished_at - first claimed_at), so worker start-up is not counted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchlib import throwaway_database  # noqa: E402

from workers.stack.cluster import Cluster  # noqa: E402

CHURN_BATCH = 1000  # app.job_claim's largest batch


def enqueue(conn: psycopg.Connection, count: int) -> None:
    conn.execute("SELECT count(app.job_enqueue('builtin.noop')) FROM generate_series(1, %s)", [count])


def drain(cluster: Cluster, conn: psycopg.Connection, jobs: int, workers: int, concurrency: int,
          batch_size: int) -> float:
    """Queue `jobs`, start `workers` processes, wait until the queue is empty; jobs/s."""
    (first_id,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM app.job_history").fetchone()
    enqueue(conn, jobs)
    env = {**os.environ, "PGWARDEN_WORKER_DATABASE_URL": cluster.url("bench", user="pgwarden_worker")}
    argv = [sys.executable, "-m", "workers", "worker", "--kinds", "builtin.noop", "--concurrency", str(concurrency),
            "--batch-size", str(batch_size), "--poll-seconds", "0.5"]
    processes = [subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
    try:
        while conn.execute("SELECT EXISTS (SELECT FROM app.job)").fetchone()[0]:
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("a worker exited early")
            time.sleep(0.2)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
    done, seconds = conn.execute("""
        SELECT count(*), extract(epoch FROM max(finished_at) - min(claimed_at))::float8
          FROM app.job_history WHERE id >= %s""", [first_id]).fetchone()
    assert done == jobs, f"{done} of {jobs} jobs finished"
    return jobs / seconds


def churn(conn: psycopg.Connection, total: int) -> float:
    """Push `total` jobs through enqueue -> claim -> complete in SQL (same functions, no handler)."""
    started = time.monotonic()
    passed = 0
    while passed < total:
        size = min(CHURN_BATCH, total - passed)
        enqueue(conn, size)
        conn.execute("""SELECT count(*) FROM app.job_complete_all('churn', ARRAY(
                          SELECT id FROM app.job_claim('churn', ARRAY['builtin.noop'], %s, 60)),
                          array_fill(NULL::jsonb, ARRAY[%s]))""", [size, size])
        passed += size
        if passed % 100_000 == 0:
            print(f"   churned {passed:,} jobs ({passed / (time.monotonic() - started):,.0f}/s)", flush=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50_000, help="jobs per measurement")
    parser.add_argument("--churn", type=int, default=1_000_000, help="jobs passed through before measuring again")
    parser.add_argument("--workers", default="1,4", help="worker process counts to measure")
    parser.add_argument("--concurrency", type=int, default=1, help="threads per worker process")
    parser.add_argument("--batch-size", type=int, default=50, help="jobs claimed per call")
    parser.add_argument("--fast", action="store_true", help="fsync and synchronous_commit off")
    args = parser.parse_args()
    worker_counts = [int(count) for count in args.workers.split(",")]

    with throwaway_database(fast=args.fast) as (cluster, _):
        print(f"jobs benchmark: {args.jobs:,} builtin.noop jobs per run, worker processes x "
              f"{args.concurrency} thread(s), batch {args.batch_size}, fsync {'off' if args.fast else 'on'}")
        with psycopg.connect(cluster.url("bench"), autocommit=True) as conn:
            fresh = {count: drain(cluster, conn, args.jobs, count, args.concurrency, args.batch_size)
                     for count in worker_counts}
            for count, rate in fresh.items():
                print(f"   fresh queue, {count} worker(s): {rate:,.0f} jobs/s", flush=True)
            seconds = churn(conn, args.churn)
            print(f"   {args.churn:,} jobs passed through in {seconds:,.0f} s; hot table "
                  + conn.execute("SELECT pg_size_pretty(pg_total_relation_size('app.job'))").fetchone()[0]
                  + ", dead tuples " + str(conn.execute(
                      "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'app.job'::regclass").fetchone()[0]))
            after = {count: drain(cluster, conn, args.jobs, count, args.concurrency, args.batch_size)
                     for count in worker_counts}
        print(f"{'workers':>8} {'fresh jobs/s':>14} {'after churn':>14} {'change':>8}")
        for count in worker_counts:
            change = (after[count] - fresh[count]) / fresh[count] * 100
            print(f"{count:>8} {fresh[count]:>14,.0f} {after[count]:>14,.0f} {change:>+7.1f}%")


if __name__ == "__main__":
    main()
