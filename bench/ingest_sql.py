"""Benchmark: batched capture through SQL (app.capture_batch), on a throwaway cluster.

Two mixes: events spread over 1,000 fingerprints, and one hot fingerprint (every event hits the same
system_errors row), each with PGWARDEN_INGEST_SYNC off and on. Rate limits are lifted for the run.
Prints events/s, deadlocks, and checks that count(events) = sum(occurrence_count). No assertions on
speed.

    .venv/bin/python bench/ingest_sql.py [--events 40000] [--batch 500] [--connections 4] [--ingest-sync both]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from benchlib import (  # noqa: E402
    add_ingest_sync_option,
    cpu_seconds,
    ingest_sync_modes,
    set_ingest_sync,
    throwaway_database,
)

from workers import sql  # noqa: E402

LETTERS = "ghijklmnopqrstuvwxyz"  # no hex digits and no numbers: message normalization keeps them apart
USER_AGENT = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")


def name_of(kind: int) -> str:
    letters = []
    for _ in range(3):
        kind, digit = divmod(kind, len(LETTERS))
        letters.append(LETTERS[digit])
    return "".join(letters)


def event(kind: int, serial: int) -> dict:
    """A browser error of one of many kinds; serial varies the numbers, ids and context per event."""
    name = name_of(kind)
    return {
        "error_type": "javascript",
        "severity": "error",
        "message": f"TypeError: Cannot read properties of undefined (reading total) in {name} for order {serial}",
        "stack_trace": (f"TypeError: Cannot read properties of undefined\n"
                        f"    at render_{name} (https://shop.test/static/app.js:{100 + serial % 50}:17)\n"
                        f"    at checkout (https://shop.test/static/app.js:42:9)\n"
                        f"    at main (https://shop.test/static/app.js:7:3)"),
        "component": f"Checkout{name}",
        "url": f"https://shop.test/checkout?order={serial}&token=secret{serial}",
        "user_agent": USER_AGENT,
        "user_id": str(uuid.UUID(int=serial % 5000)),
        "session_id": f"s{serial % 2000}",
        # (the release and environment an SDK sends: three releases in flight, as during a rollout)
        "metadata": {"cart_items": serial % 7, "locale": "en-GB", "password": "never-stored",
                     "release": f"shop@1.4.{serial % 3}", "environment": "production"},
    }


def make_payloads(kinds: int, total: int, batch_size: int) -> list[str]:
    return [json.dumps([event(serial % kinds, serial) for serial in range(start, min(start + batch_size, total))])
            for start in range(0, total, batch_size)]


def create_unlimited_organization(url: str) -> str:
    organization_id = str(uuid.uuid4())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'bench')", [organization_id])
        conn.execute(sql.ORG_RATE_LIMIT_SET, [organization_id, 0])
    return organization_id



def send_batches(url: str, organization_id: str, payloads: list[str], connections: int
                 ) -> tuple[float, int, int, int, float | None]:
    """Send the payloads over N connections (one transaction per batch): seconds, accepted, refused,
    deadlocks, and the CPU seconds the backends spent (less sensitive to other load than seconds)."""
    lock = threading.Lock()
    queue = list(reversed(payloads))
    totals = {"accepted": 0, "refused": 0, "deadlocks": 0}
    cpu: list[float | None] = []

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            before = cpu_seconds(pid)
            try:
                work(conn)
            finally:
                after = cpu_seconds(pid)
                with lock:
                    cpu.append(None if before is None or after is None else after - before)

    def work(conn: psycopg.Connection) -> None:
        while True:
            with lock:
                if not queue:
                    return
                payload = queue.pop()
            try:
                rows = conn.execute(sql.CAPTURE_BATCH, [organization_id, None, payload]).fetchall()
            except psycopg.errors.DeadlockDetected:
                with lock:
                    totals["deadlocks"] += 1
                continue
            accepted = sum(1 for _, result, _ in rows if result is not None)
            with lock:
                totals["accepted"] += accepted
                totals["refused"] += len(rows) - accepted

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    backend_cpu = None if None in cpu else sum(cpu)  # type: ignore[arg-type]
    return time.perf_counter() - started, totals["accepted"], totals["refused"], totals["deadlocks"], backend_cpu


def counts(url: str, organization_id: str) -> tuple[int, int, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            """SELECT (SELECT count(*) FROM app.error_events WHERE organization_id = %(org)s),
                      (SELECT coalesce(sum(occurrence_count), 0) FROM app.system_errors
                        WHERE organization_id = %(org)s),
                      (SELECT count(*) FROM app.system_errors WHERE organization_id = %(org)s)""",
            {"org": organization_id}).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000, help="events per mix")
    parser.add_argument("--batch", type=int, default=500, help="events per capture_batch call")
    parser.add_argument("--connections", type=int, default=4)
    add_ingest_sync_option(parser)
    args = parser.parse_args()

    with throwaway_database("pgwarden", cron=True) as (_, url):
        print(f"ingest_sql: {args.events} events per mix, batches of {args.batch}, {args.connections} connections")
        for mode in ingest_sync_modes(args.ingest_sync):
            set_ingest_sync(url, mode)  # the batches' connections are opened afterwards
            for label, kinds in (("1,000 fingerprints", 1000), ("one hot fingerprint", 1)):
                organization_id = create_unlimited_organization(url)
                payloads = make_payloads(kinds, args.events, args.batch)
                seconds, accepted, refused, deadlocks, cpu = send_batches(url, organization_id, payloads,
                                                                          args.connections)
                events, occurrences, groups = counts(url, organization_id)
                cpu_text = f"{cpu * 1e6 / accepted:,.0f} µs" if cpu and accepted else "n/a"
                print(f"  sync {mode:<3} {label:<20} {accepted / seconds:>9,.0f} events/s  ({accepted} in "
                      f"{seconds:.2f} s; backend CPU {cpu_text} per event; {groups} groups; refused {refused}; "
                      f"deadlocks {deadlocks}; count(events) = sum(occurrence_count): "
                      f"{events == occurrences == accepted})")


if __name__ == "__main__":
    main()
