"""Sentry ingest as real SDK clients see it: K closed-loop senders (a Sentry SDK sends from one
background thread, one envelope at a time, and waits for each answer), each posting single-event
gzip envelopes with the project's DSN key to a real stack's `pgwarden web`, until every event is
visible in app.system_errors. For K = 1, 8 and 64 prints the latency of an envelope (p50, p95, from
the request's first byte to its answer), events/s end to end (first request to every event
counted) and the CPU each event cost web / PostgreSQL (postmaster and backends) / this client
(web's and PostgreSQL's net of what they spend idle, measured for 2 s before each K).

Goals on the 2-core machine (issue 20): K = 1 p50 <= 2 ms; K = 8 >= 2,000 events/s; K = 64 >=
3,000 events/s; web + PostgreSQL <= 250 µs of CPU per event.

    .venv/bin/python bench/sentry_clients.py [--events N] [--senders 1,8,64] [--ingest-sync off]

The envelopes are those of bench/sentry_ingest.py (here over 100 fingerprints, whose groups a
warm-up creates; each event its own event_id), built before the clock starts, for one organization
without a rate limit.
The senders are asyncio connections in this process: at K = 64 the client's CPU competes with web
and PostgreSQL for the same two cores (it is printed so that can be seen). It starts its own stack
(temp data dir, free ports) and stops it afterwards. No assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

import psycopg
from benchlib import add_ingest_sync_option, ingest_sync_modes
from sentry_ingest import bench_project, envelope, private_stack, process_cpu, sender, stack_up, stored_events

FINGERPRINTS = 100  # an application's errors: their groups exist before the clock starts


def closed_loop(port: int, project_id: int, key: str, bodies: list[bytes], senders: int,
                ) -> tuple[list[int], list[float]]:
    """Each sender posts its share of the bodies one after the other: (statuses, latencies in s)."""
    statuses: list[int] = []
    latencies: list[float] = []

    async def send_all() -> None:
        await asyncio.gather(*(sender(port, project_id, key, bodies[i::senders], statuses, latencies)
                               for i in range(senders)))

    asyncio.run(send_all())
    return statuses, latencies


def warm_up(port: int, project_id: int, key: str, database_url: str) -> None:
    """Every group created (a new group costs jobs and documents: a rare event, not what is
    measured), plans and caches warm, and the jobs this enqueued done."""
    closed_loop(port, project_id, key, [envelope(key, n % FINGERPRINTS) for n in range(2 * FINGERPRINTS)], 8)
    with psycopg.connect(database_url, autocommit=True) as conn:
        deadline = time.monotonic() + 30
        while conn.execute("SELECT EXISTS (SELECT FROM app.job WHERE run_at <= now())").fetchone()[0] \
                and time.monotonic() < deadline:
            time.sleep(0.1)


def idle_cpu_rates(data_dir: Path, seconds: float = 2.0) -> dict[str, float]:
    """CPU seconds per second each process spends with no envelope coming (the worker's and
    pg_cron's polls, health probes): subtracted from what the envelopes cost."""
    before = process_cpu(data_dir)
    time.sleep(seconds)
    return {name: max(0.0, spent - before[name]) / seconds for name, spent in process_cpu(data_dir).items()}


def run_senders(label: str, data_dir: Path, database_url: str, port: int, project: tuple[str, int, str],
                senders: int, events: int) -> None:
    org_id, project_id, key = project
    bodies = [envelope(key, n % FINGERPRINTS) for n in range(events)]
    with psycopg.connect(database_url, autocommit=True) as conn:
        already = stored_events(conn, org_id)
        idle = idle_cpu_rates(data_dir)
        cpu_before = process_cpu(data_dir)
        client_before = os.times()
        started = time.monotonic()
        statuses, latencies = closed_loop(port, project_id, key, bodies, senders)
        answered = time.monotonic()
        accepted = statuses.count(200)
        while stored_events(conn, org_id) - already < accepted and time.monotonic() - answered < 60:
            time.sleep(0.005)
        visible = time.monotonic()
        client_after = os.times()
        cpu = {name: seconds - cpu_before[name] - idle[name] * (visible - started)
               for name, seconds in process_cpu(data_dir).items()}
    client = (client_after.user + client_after.system) - (client_before.user + client_before.system)
    others = {status: statuses.count(status) for status in set(statuses) if status != 200}
    quantiles = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    per_event = {name: seconds * 1e6 / max(accepted, 1)
                 for name, seconds in (("web", cpu["web"]), ("postgres", cpu["postgres"]), ("client", client))}
    print(f"K={senders:<3} {label:<9} {events} envelopes: p50 {statistics.median(latencies) * 1000:5.2f} ms, "
          f"p95 {quantiles[18] * 1000:5.2f} ms per envelope; {accepted / (visible - started):6.0f} events/s end to end "
          f"(all visible {(visible - answered) * 1000:.0f} ms after the last answer; non-200: {others or 'none'}); "
          f"CPU per event µs: web {per_event['web']:.0f} / postgres {per_event['postgres']:.0f} / "
          f"client {per_event['client']:.0f} (web + postgres {per_event['web'] + per_event['postgres']:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "4000")),
                        help="envelopes per K (default 4000)")
    parser.add_argument("--senders", default="1,8,64", help="the K to measure, comma-separated (default 1,8,64)")
    add_ingest_sync_option(parser)
    parser.set_defaults(ingest_sync="off")
    args = parser.parse_args()
    print(f"sentry_clients: closed-loop senders, single-event envelopes; load average "
          f"{' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    with private_stack() as (env, data_dir, port):
        for sync in ingest_sync_modes(args.ingest_sync):
            database_url = stack_up(env, sync)
            project = bench_project(env, f"sync-{sync}")
            warm_up(port, project[1], project[2], database_url)
            for senders in (int(k) for k in args.senders.split(",")):
                run_senders(f"sync-{sync}", data_dir, database_url, port, project, senders, args.events)


if __name__ == "__main__":
    main()
