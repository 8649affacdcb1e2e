"""Soak: N minutes of mixed load against a real `make up` stack with faults in the middle, then what
was lost or done twice. Run by hand; prints figures, asserts nothing.

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 20]

Load: Sentry envelopes to pgwarden web and captures through PostgREST (`--rate` a second each; every
event carries its own event_id, looked up in the database afterwards; every 40th capture is a new
critical error, which a webhook rule sends to a local receiver), an HTTP monitor probed every 5 s,
and a `builtin.echo` job enqueued every second. Faults, at 30/45/60/75 % of the run: the worker
killed with SIGKILL, PostgREST restarted, the web process restarted, PostgreSQL restarted fast
(SIGINT to the postmaster through the stack's supervisor: pg_ctl's `-m fast` shutdown, then a start,
as `make up` runs it). It starts its own stack (temp data dir, free ports) and stops it afterwards.

Prints events sent, answered 2xx and stored per path; jobs enqueued and where each is now (lost:
goal 0); alert deliveries, what the receiver got and deliveries received twice (goal 0); health
checks recorded; the RSS of each process every minute (goal: flat).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import psycopg
from benchlib import REPO_ROOT  # noqa: F401  (puts the repository on sys.path)
from psycopg.types.json import Jsonb
from sentry_ingest import envelope, letters

from tests.py.stack_support import Instance
from workers import settings
from workers.demo import services
from workers.stack.runtime import Stack

FAULTS = [(0.30, "worker kill -9"), (0.45, "PostgREST restart"), (0.60, "web restart"),
          (0.75, "PostgreSQL fast restart")]


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: dict[str, list[uuid.UUID]] = {"sentry": [], "capture": []}
        self.answered: dict[str, list[uuid.UUID]] = {"sentry": [], "capture": []}
        self.statuses: dict[str, Counter] = {"sentry": Counter(), "capture": Counter()}
        self.jobs: list[int] = []
        self.enqueue_failures = 0

    def record(self, path: str, event_id: uuid.UUID, status: int | str) -> None:
        with self.lock:
            self.sent[path].append(event_id)
            self.statuses[path][status] += 1
            if isinstance(status, int) and status // 100 == 2:
                self.answered[path].append(event_id)


def send_envelopes(stop: threading.Event, web: str, project_id: int, key: str, rate: float, tally: Tally) -> None:
    headers = {"Content-Type": "application/x-sentry-envelope", "Content-Encoding": "gzip",
               "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=soak/1"}
    with httpx.Client(timeout=10.0) as client:
        number, began = 0, time.monotonic()
        while not stop.is_set():
            body = envelope(key, number % 200)
            event_id = uuid.UUID(json.loads(gzip.decompress(body).split(b"\n", 1)[0])["event_id"])
            try:
                status = client.post(f"{web}api/{project_id}/envelope/", content=body, headers=headers).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            tally.record("sentry", event_id, status)
            number += 1
            stop.wait(max(0.0, began + number / rate - time.monotonic()))  # paced, not after each answer


def send_captures(stop: threading.Event, api: str, key: str, rate: float, tally: Tally) -> None:
    with httpx.Client(timeout=10.0, headers={"X-Pgwarden-Key": key}) as client:
        number, began = 0, time.monotonic()
        while not stop.is_set():
            event_id = uuid.uuid4()
            critical = number % 40 == 39  # a new group each time: the webhook rule fires for it
            message = f"soak critical {letters(number)}" if critical else f"soak capture {letters(number % 50)}"
            body = {"event_id": str(event_id), "error_type": "api", "severity": "critical" if critical else "error",
                    "message": message}
            try:
                status = client.post(f"{api}rpc/capture_error", json=body).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            tally.record("capture", event_id, status)
            number += 1
            stop.wait(max(0.0, began + number / rate - time.monotonic()))  # paced, not after each answer


def enqueue_jobs(stop: threading.Event, database_url: str, tally: Tally) -> None:
    conn = None
    while not stop.is_set():
        try:
            conn = conn if conn is not None and not conn.closed else psycopg.connect(database_url, autocommit=True)
            (job_id,) = conn.execute("SELECT app.job_enqueue('builtin.echo', '{\"soak\": true}')").fetchone()
            tally.jobs.append(job_id)
        except psycopg.Error:
            tally.enqueue_failures += 1
            conn = None
        stop.wait(1.0)


def rss_mb(pid: int, with_children: bool = False) -> float:
    """Resident set of a process (and its children: PostgreSQL's backends), MB."""
    pids = [pid]
    if with_children:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().split(") ")[1].split()[1]) == pid:
                    pids.append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
    total = 0
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def sample_rss(stop: threading.Event, stack: Instance, samples: list, every: float) -> None:
    started = time.monotonic()
    while True:
        row = {"minute": (time.monotonic() - started) / 60}
        for name, info in stack.supervisor.processes().items():
            if info["pid"]:
                row[name] = rss_mb(info["pid"], with_children=name == "postgres")
        samples.append(row)
        if stop.wait(every):
            return


def inject_faults(stop: threading.Event, stack: Instance, control: Stack, seconds: float, log: list) -> None:
    started = time.monotonic()
    for fraction, fault in FAULTS:
        if stop.wait(max(0.0, started + fraction * seconds - time.monotonic())):
            return
        began = time.monotonic()
        if fault == "worker kill -9":
            os.kill(stack.pid_of("worker"), 9)
        elif fault == "PostgREST restart":
            stack.supervisor.restart(["postgrest"])
        elif fault == "web restart":
            stack.supervisor.restart(["web"])
        else:
            control.restart_database()
        log.append((fault, (began - started) / 60, time.monotonic() - began))


def setup(database_url: str, receiver: str) -> tuple[str, int, str, str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        (org_id,) = conn.execute("SELECT api.create_organization('soak')").fetchone()
        project_id, key = conn.execute("SELECT id, public_key FROM api.create_project(%s::text, 'soak')",
                                       [org_id]).fetchone()
        (rule_id,) = conn.execute("SELECT id FROM app.alert_rule_create(%s)", [Jsonb(
            {"alert_type": "critical_error", "channel": "webhook", "webhook_url": f"{receiver}/hooks/soak",
             "organization_id": str(org_id), "trigger_conditions": {"new_only": True}})]).fetchone()
        conn.execute("SELECT app.health_monitor_add(%s)", [Jsonb(
            {"service_name": "soak-http", "check_type": "api", "probe": "http", "organization_id": str(org_id),
             "target": {"url": f"{receiver}/checkout/health"}, "interval_seconds": 5, "timeout_seconds": 3})])
    return str(org_id), project_id, key, str(rule_id)


def drain(database_url: str, tally: Tally, org_id: str, timeout: float = 120.0) -> None:
    """Until the soak's jobs and the organization's deliveries are all finished (or the timeout)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            open_jobs = conn.execute("SELECT count(*) FROM app.job WHERE id = ANY(%s)", [tally.jobs]).fetchone()[0]
            open_deliveries = conn.execute(
                "SELECT count(*) FROM app.alert_deliveries WHERE organization_id = %s"
                " AND status NOT IN ('delivered', 'failed', 'suppressed')", [org_id]).fetchone()[0]
            if open_jobs == 0 and open_deliveries == 0:
                return
            time.sleep(1.0)


def report(database_url: str, tally: Tally, org_id: str, deliveries: services.Deliveries, samples: list,
           faults: list, run_from, minutes: float) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        print(f"\nsoak: {minutes:g} minutes of load; faults (minute, seconds until the call returned):")
        for fault, at, took in faults:
            print(f"  {at:5.1f}  {fault:<26} {took:5.1f} s")
        print(f"\n{'path':<9} {'sent':>7} {'2xx':>7} {'stored':>7} {'2xx not stored':>15} {'stored, not 2xx':>16}"
              "  answers")
        for path in ("sentry", "capture"):
            stored = {row[0] for row in conn.execute(
                "SELECT event_id FROM app.error_events WHERE organization_id = %s AND event_id = ANY(%s)",
                [org_id, tally.sent[path]]).fetchall()}
            answered = set(tally.answered[path])
            print(f"{path:<9} {len(tally.sent[path]):>7} {len(answered):>7} {len(stored):>7} "
                  f"{len(answered - stored):>15} {len(stored - answered):>16}  {dict(tally.statuses[path])}")

        states = dict(conn.execute(
            "SELECT 'history ' || state, count(*) FROM app.job_history WHERE id = ANY(%s) GROUP BY 1"
            " UNION ALL SELECT 'open ' || state, count(*) FROM app.job WHERE id = ANY(%s) GROUP BY 1",
            [tally.jobs, tally.jobs]).fetchall())
        lost = len(tally.jobs) - sum(states.values())
        print(f"\njobs enqueued {len(tally.jobs)} (enqueue refused while PostgreSQL restarted: "
              f"{tally.enqueue_failures}): {states}; lost {lost}")
        all_jobs = dict(conn.execute(
            "SELECT kind || ' ' || state, count(*) FROM app.job_history WHERE created_at >= %s GROUP BY 1",
            [run_from]).fetchall())
        print(f"every job of the run, finished: {all_jobs}")
        open_jobs = dict(conn.execute("SELECT kind || ' ' || state, count(*) FROM app.job GROUP BY 1").fetchall())
        print(f"still open: {open_jobs or 'none'}")

        by_status = dict(conn.execute("SELECT status::text, count(*) FROM app.alert_deliveries"
                                      " WHERE organization_id = %s GROUP BY 1", [org_id]).fetchall())
        critical_groups = conn.execute("SELECT count(*) FROM app.system_errors WHERE organization_id = %s"
                                       " AND severity = 'critical'", [org_id]).fetchone()[0]
        received = deliveries.summary()
        print(f"\nalerts: critical groups {critical_groups}; deliveries {by_status}; the receiver got "
              f"{received['received']}, received twice (same webhook-id) {received['duplicates']}")
        checks = conn.execute("SELECT status::text, count(*) FROM app.health_checks"
                              " WHERE service_name = 'soak-http' GROUP BY 1").fetchall()
        print(f"health checks of the 5 s monitor: {dict(checks)} (one every 5 s would be {int(minutes * 12)})")

    names = sorted({key for row in samples for key in row if key != "minute"})
    print("\nRSS, MB (postgres: the postmaster and its backends)")
    print(f"{'minute':>6} " + " ".join(f"{name:>9}" for name in names))
    for row in samples:
        print(f"{row['minute']:>6.1f} " + " ".join(f"{row.get(name, 0):>9.1f}" for name in names))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30, help="length of the load (default 30)")
    parser.add_argument("--rate", type=float, default=20, help="events a second on each path (default 20)")
    args = parser.parse_args()

    stack = Instance()
    deliveries = services.Deliveries()
    receiver_server = services.serve(0, deliveries)
    threading.Thread(target=receiver_server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{receiver_server.server_address[1]}"
    try:
        started = stack.pgwarden("stack", "up")
        if started.returncode != 0:
            raise SystemExit(f"make up failed:\n{started.stdout}{started.stderr}")
        os.environ.update(stack.env)  # the stack's own control (its fast PostgreSQL restart)
        control = Stack(settings.load())
        org_id, project_id, key, _rule = setup(stack.database_url, receiver)
        assert stack.pgwarden("org", "limit", org_id, "--per-minute", "0").returncode == 0
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            (run_from,) = conn.execute("SELECT now()").fetchone()

        stop = threading.Event()
        tally, samples, faults = Tally(), [], []
        seconds = args.minutes * 60
        threads = [threading.Thread(target=send_envelopes, args=(stop, stack.web, project_id, key, args.rate, tally)),
                   threading.Thread(target=send_captures, args=(stop, stack.api, key, args.rate, tally)),
                   threading.Thread(target=enqueue_jobs, args=(stop, stack.database_url, tally)),
                   threading.Thread(target=sample_rss, args=(stop, stack, samples, 60.0)),
                   threading.Thread(target=inject_faults, args=(stop, stack, control, seconds, faults))]
        for thread in threads:
            thread.start()
        print(f"soak: {args.minutes:g} minutes, {args.rate:g} events/s on each path, "
              f"stack at {stack.api} / {stack.web}", flush=True)
        stop.wait(seconds)
        stop.set()
        for thread in threads:
            thread.join()
        drain(stack.database_url, tally, org_id)
        time.sleep(2)  # the last deliveries' answers reach the receiver
        report(stack.database_url, tally, org_id, deliveries, samples, faults, run_from, args.minutes)
    finally:
        receiver_server.shutdown()
        stack.remove()


if __name__ == "__main__":
    main()
