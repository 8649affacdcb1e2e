"""Backend CPU per Sentry event through SQL (app.sentry_events_to_captures, then app.capture_batch, as
pgwarden web calls them), for the real SDK events of the grouping corpus: the chained ones (Python
`raise … from`, Node `cause`: two or more exceptions) and the single ones, each mix captured in
batches of 100 into one project, rounds alternating. Prints µs of backend CPU per event (from /proc:
unaffected by other load) and wall µs. Asserts nothing.

    .venv/bin/python bench/sentry_chain_cpu.py [--rounds 5] [--copies 10]

Uses PGWARDEN_BENCH_DATABASE_URL when set (a database built by the migrations of any revision, to
compare one with another), else a throwaway cluster.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import sys
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import bench_database, cpu_seconds  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "grouping_corpus" / "events.jsonl.gz"
BATCH = 100


def corpus_events() -> tuple[list[dict], list[dict]]:
    """The corpus's chained and single-exception events."""
    chained, single = [], []
    with gzip.open(CORPUS, "rt") as lines:
        for line in lines:
            event = json.loads(line)["event"]
            exceptions = (event.get("exception") or {}).get("values") or []
            (chained if len(exceptions) > 1 else single).append(event)
    return chained, single


def capture_all(conn: psycopg.Connection, organization_id: str, project_id: int,
                events: list[dict]) -> tuple[float, float]:
    """Captures the events (each with a fresh event id); returns (backend CPU s, wall s)."""
    pid = conn.info.backend_pid
    payloads = []
    for event in events:
        event = copy.copy(event)
        event["event_id"] = uuid.uuid4().hex
        payloads.append({"payload": event, "event_id": event["event_id"]})
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    for start in range(0, len(payloads), BATCH):
        conn.execute("SELECT count(*) FROM app.capture_batch(%s, %s, app.sentry_events_to_captures(%s))",
                     [organization_id, project_id, Jsonb(payloads[start:start + BATCH])])
    wall = time.perf_counter() - wall_before
    cpu_after = cpu_seconds(pid)
    return (cpu_after - cpu_before) if cpu_before is not None and cpu_after is not None else float("nan"), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--copies", type=int, default=10, help="times each corpus event is sent per round")
    args = parser.parse_args()
    chained, single = corpus_events()
    mixes = {"chained": chained * args.copies, "single": single * args.copies}
    with bench_database() as url, psycopg.connect(url, autocommit=True) as conn:
        organization_id = str(uuid.uuid4())
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'sentry chain bench')", [organization_id])
        conn.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
        project_id = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'bench') RETURNING id",
                                  [organization_id]).fetchone()[0]
        for events in mixes.values():  # warm the session's caches and plans
            capture_all(conn, organization_id, project_id, events[:BATCH])
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in mixes}
        for _ in range(args.rounds):
            for name, events in mixes.items():
                figures[name].append(capture_all(conn, organization_id, project_id, events))
        for name, runs in figures.items():
            count = len(mixes[name])
            cpu = sorted(run[0] / count * 1e6 for run in runs)
            wall = sorted(run[1] / count * 1e6 for run in runs)
            print(f"{name:8} {count:6} events/round  backend CPU µs/event: median {cpu[len(cpu) // 2]:7.1f}"
                  f" (min {cpu[0]:.1f})  wall µs/event: median {wall[len(wall) // 2]:7.1f}")


if __name__ == "__main__":
    main()
