"""Health monitoring at scale: N HTTP monitors at a 1-minute interval against a local server, the
real pg_cron scheduler and one `pgwarden worker`. Prints CPU seconds of the database and of the
worker per minute of monitoring, job latency (slot -> claimed, slot -> recorded) and missed checks.
Asserts nothing. Goal (issue 6): < 25 % of one core in total, zero missed checks.

    .venv/bin/python bench/health.py                                  # 1,000 monitors, 5 minutes
    .venv/bin/python bench/health.py --monitors 100 --minutes 1       # a quick check that it runs

Runs on a throwaway cluster in a temp dir with the settings `make run` uses (fsync on; --fast turns
durability off as the tests do), pg_cron ticking in the benchmark database. The measured window
starts at the first full minute after the first scheduler tick, so set-up is not counted. CPU is
read from /proc: the postmaster with its reaped children plus its live children, and the worker.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchlib import cpu_seconds, throwaway_database  # noqa: E402


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b'{"status": "UP"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def database_cpu_seconds(postmaster_pid: int) -> float:
    return cpu_seconds(postmaster_pid, with_children=True) or 0.0


def wait_until(moment: datetime) -> None:
    while (remaining := (moment - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(remaining, 1.0))


def first_tick_after(conn: psycopg.Connection, after: datetime, timeout: float = 150) -> datetime:
    """When pg_cron first ran the scheduler after `after` (it ticks at each minute)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute("""SELECT min(d.start_time) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                               WHERE j.jobname = 'health-enqueue-due' AND d.status = 'succeeded'
                                 AND d.start_time > %s""", [after]).fetchone()
        if row[0] is not None:
            return row[0]
        time.sleep(0.5)
    raise RuntimeError("pg_cron did not run health-enqueue-due; is cron.database_name the bench database?")


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))] if sorted_values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--monitors", type=int, default=1000, help="HTTP monitors at a 1-minute interval")
    parser.add_argument("--minutes", type=int, default=5, help="minutes of monitoring measured")
    parser.add_argument("--concurrency", type=int, default=4, help="worker threads")
    parser.add_argument("--fast", action="store_true", help="fsync and synchronous_commit off")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/health"

    with throwaway_database(cron=True, fast=args.fast) as (cluster, _):
        worker = None
        try:
            postmaster_pid = int((cluster.pgdata / "postmaster.pid").read_text().split()[0])
            print(f"health benchmark: {args.monitors:,} HTTP monitors every 60 s for {args.minutes} min, one worker x "
                  f"{args.concurrency} threads, pg_cron scheduling, fsync {'off' if args.fast else 'on'}", flush=True)

            with psycopg.connect(cluster.url("bench"), autocommit=True) as conn:
                conn.execute("UPDATE app.health_monitors SET enabled = false")  # the seeds would probe absent services
                conn.execute("""SELECT count(app.health_monitor_add(jsonb_build_object(
                                  'service_name', 'bench-' || n, 'check_type', 'external', 'interval_seconds', 60,
                                  'timeout_seconds', 5, 'is_public', false, 'target', %s::jsonb,
                                  'expected', '{"json_path": "$.status", "json_equals": "UP"}'::jsonb)))
                                  FROM generate_series(1, %s) n""", [Jsonb({"url": url}), args.monitors])
                env = {**os.environ, "PGWARDEN_WORKER_DATABASE_URL": cluster.url("bench", user="pgwarden_worker")}
                worker = subprocess.Popen([sys.executable, "-m", "workers", "worker", "--kinds", "health.probe",
                                           "--concurrency", str(args.concurrency)],
                                          cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

                tick = first_tick_after(conn, datetime.now(UTC))
                start = tick.replace(second=0, microsecond=0) + timedelta(minutes=1)
                end = start + timedelta(minutes=args.minutes)
                print(f"   first scheduler tick {tick:%H:%M:%S}; measuring {start:%H:%M:%S} .. {end:%H:%M:%S}",
                      flush=True)
                wait_until(start)
                db_before, worker_before = database_cpu_seconds(postmaster_pid), cpu_seconds(worker.pid) or 0.0
                wait_until(end)
                db_after, worker_after = database_cpu_seconds(postmaster_pid), cpu_seconds(worker.pid) or 0.0
                wait_until(end + timedelta(seconds=15))  # the window's last probes report

                recorded = conn.execute("""
                    SELECT count(DISTINCT (monitor_id, details ->> 'scheduled_for')) FROM app.health_checks
                     WHERE (details ->> 'scheduled_for')::timestamptz >= %s
                       AND (details ->> 'scheduled_for')::timestamptz < %s""", [start, end]).fetchone()[0]
                claim_lag, late = conn.execute("""
                    SELECT array_agg(extract(epoch FROM claimed_at - run_at)::float8 ORDER BY claimed_at - run_at),
                           array_agg(extract(epoch FROM finished_at - run_at)::float8 ORDER BY finished_at - run_at)
                      FROM app.job_history WHERE kind = 'health.probe' AND run_at >= %s AND run_at < %s""",
                                               [start, end]).fetchone()
                unhealthy = conn.execute("""SELECT count(*) FROM app.health_checks
                                             WHERE checked_at >= %s AND checked_at < %s AND status <> 'healthy'""",
                                         [start, end]).fetchone()[0]
                enqueue_ms = conn.execute("""
                    SELECT avg(extract(epoch FROM d.end_time - d.start_time) * 1000)::float8
                      FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                     WHERE j.jobname = 'health-enqueue-due' AND d.start_time >= %s AND d.start_time < %s""",
                                          [start, end]).fetchone()[0]

            minutes = args.minutes
            expected = args.monitors * minutes
            claim_lag, late = claim_lag or [], late or []
            db_per_minute = (db_after - db_before) / minutes
            worker_per_minute = (worker_after - worker_before) / minutes
            print(f"   database CPU      {db_per_minute:7.2f} s per minute of monitoring", flush=True)
            print(f"   worker CPU        {worker_per_minute:7.2f} s per minute of monitoring")
            print(f"   total             {100 * (db_per_minute + worker_per_minute) / 60:7.1f} % of one core")
            print(f"   checks            {recorded:,} of {expected:,} slots recorded; missed {expected - recorded:,}; "
                  f"not healthy {unhealthy}")
            print(f"   slot -> claimed   p50 {percentile(claim_lag, 0.5):.3f} s, "
                  f"p95 {percentile(claim_lag, 0.95):.3f} s, max {claim_lag[-1] if claim_lag else 0:.3f} s")
            print(f"   slot -> recorded  p50 {percentile(late, 0.5):.3f} s, p95 {percentile(late, 0.95):.3f} s, "
                  f"max {late[-1] if late else 0:.3f} s  (job finished = result recorded)")
            print(f"   scheduler tick    {enqueue_ms or 0:.0f} ms on average (app.health_enqueue_due)")
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(60)
            server.shutdown()


if __name__ == "__main__":
    main()
