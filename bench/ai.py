"""AI analysis benchmark, heuristic provider (no key, nothing leaves the machine), on a throwaway cluster:

- related errors (app.related_errors: pg_trgm similarity of the candidates two btree indexes give) at
  growing numbers of groups in one organization: p50 / p95 / max per query (and the backend's CPU time
  per query), for groups with look-alikes and for one unlike all others;
- the prompt a provider would get (app.ai_prompt): p50 / p95;
- heuristic analyses per second: SQL alone (app.ai_heuristic_analysis) and the whole request path
  (app.ai_request: a run row, the analysis, stored on the group), one connection;
- capture to stored analysis through a real `pgwarden worker` process: new groups captured one at a
  time at a steady rate, then a flood of new groups in batches: p50 / p95 / max of
  ai_analyzed_at - first_seen_at (the database's own clocks) and how fast the flood drained;
- what the analysis policy costs a capture of new groups (it writes a similarity document and queues a
  job per group): new groups/s with the policy on and off, alternating rounds.

Prints figures; asserts nothing (goals from issue 15: >= 200 heuristic analyses/s, p95 < 2 s from
capture to stored analysis).

    .venv/bin/python bench/ai.py                                   # 2,000 and 20,000 groups (a few minutes)
    .venv/bin/python bench/ai.py --groups 1000 --flood 500 --steady 50   # a quick check that it runs
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchlib import cpu_seconds, throwaway_database  # noqa: E402

from workers import sql  # noqa: E402
from workers.stack.cluster import Cluster  # noqa: E402

LETTERS = "ghijklmnopqrstuvwxyz"  # no hex digits: message normalization keeps names apart
BATCH = 500
SAMPLES = 300

# the classes the heuristic knows, as their messages read; {name} makes each group's own
MESSAGES = [
    "TypeError: Cannot read properties of undefined (reading '{name}')",
    "KeyError: '{name}'",
    "ReferenceError: {name} is not defined",
    "Error: timeout of 10000ms exceeded calling https://api.shop.test/{name}",
    'duplicate key value violates unique constraint "{name}_pkey"',
    "SyntaxError: Unexpected token < in JSON at position 0 parsing /api/{name}",
    "Request to /api/{name} failed with status 503 Service Unavailable",
    "Error: 429 Too Many Requests from https://maps.test/{name}",
    "ModuleNotFoundError: No module named '{name}'",
    "Error: the {name} widget gave up",
]


def name_of(serial: int) -> str:
    letters = []
    for _ in range(4):
        serial, digit = divmod(serial, len(LETTERS))
        letters.append(LETTERS[digit])
    return "".join(letters)


def new_group_event(serial: int, severity: str = "error") -> dict:
    """An event of a group of its own (its in-app frames are its own), similar to others of its class."""
    name = name_of(serial)
    message = MESSAGES[serial % len(MESSAGES)].format(name=name)
    return {"error_type": "javascript", "severity": severity, "message": message,
            "stack_trace": (f"{message}\n"
                            f"    at render_{name} (https://shop.test/static/{name}.js:{10 + serial % 90}:5)\n"
                            f"    at checkout (https://shop.test/static/app.js:42:9)"),
            "url": f"https://shop.test/{name}?step=2", "user_id": f"u{serial % 977}"}


def capture(conn: psycopg.Connection, organization_id: str, serials: range, severity: str = "error") -> float:
    """Capture one new group per serial, in batches; seconds taken."""
    started = time.monotonic()
    for start in range(serials.start, serials.stop, BATCH):
        events = [new_group_event(serial, severity) for serial in range(start, min(start + BATCH, serials.stop))]
        conn.execute("SELECT count(*) FROM app.capture_batch(%s, NULL, %s)", [organization_id, json.dumps(events)])
    return time.monotonic() - started


def automatic_analysis(conn: psycopg.Connection, enabled: bool) -> None:
    conn.execute("UPDATE app.capture_job_policy SET enabled = %s WHERE job_kind = 'ai.analyze'", [enabled])


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.2f}  p95 {p95:7.2f}  max {ordered[-1]:7.2f}"


def timed_ms(conn: psycopg.Connection, query: str, params: list) -> float:
    started = time.perf_counter()
    conn.execute(query, params).fetchall()
    return (time.perf_counter() - started) * 1000


def group_ids(conn: psycopg.Connection, organization_id: str) -> list[str]:
    return [str(row[0]) for row in conn.execute(
        "SELECT id FROM app.system_errors WHERE organization_id = %s ORDER BY id", [organization_id])]


def measure_related(conn: psycopg.Connection, organization_id: str, groups: int, rng: random.Random) -> None:
    ids = rng.sample(group_ids(conn, organization_id), SAMPLES)
    backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    cpu = cpu_seconds(backend)
    related = [timed_ms(conn, "SELECT * FROM app.related_errors(%s, 5, 0.3)", [error_id]) for error_id in ids]
    cpu_ms = (cpu_seconds(backend) - cpu) * 1000 / SAMPLES
    found = conn.execute("SELECT avg((SELECT count(*) FROM app.related_errors(id, 5, 0.3)))"
                         " FROM unnest(%s::uuid[]) AS id", [ids[:50]]).fetchone()[0]
    (unlike,) = conn.execute("SELECT (app.capture_one(%s, NULL, %s)).result ->> 'id'", [organization_id, json.dumps(
        {"error_type": "runtime", "message": "Zebra quartz vexed the jumbo sphinx",
         "stack_trace": "Zebra\n  File \"/srv/q.py\", line 1, in waltz"})]).fetchone()
    alone = [timed_ms(conn, "SELECT * FROM app.related_errors(%s, 5, 0.3)", [unlike]) for _ in range(20)]
    prompts = [timed_ms(conn, "SELECT app.ai_prompt(%s)", [error_id]) for error_id in ids[:100]]
    print(f"   {groups:>7,} groups  related_errors, look-alikes (ms): {percentiles(related)}  ({found:.1f} found; "
          f"{cpu_ms:.2f} ms of CPU each)")
    print(f"   {groups:>7,} groups  related_errors, unlike all (ms):  {percentiles(alone)}")
    print(f"   {groups:>7,} groups  ai_prompt (ms):                   {percentiles(prompts)}", flush=True)


def measure_heuristic(conn: psycopg.Connection, organization_id: str, rng: random.Random, count: int) -> None:
    """Analyses per second of wall time, and per second of the backend's CPU time (what the machine
    could do on one core were it not shared: the wall-clock rate follows the load of the moment)."""
    ids = rng.sample(group_ids(conn, organization_id), count)
    backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]

    def rates(run) -> str:
        cpu, started = cpu_seconds(backend), time.monotonic()
        run()
        cpu, wall = cpu_seconds(backend) - cpu, time.monotonic() - started
        return f"{count / wall:,.0f} ({count / cpu:,.0f} per CPU second)"

    sql_rates = rates(lambda: conn.execute("SELECT count(app.ai_heuristic_analysis(id)) FROM unnest(%s::uuid[]) AS id",
                                           [ids]))
    request_rates = rates(lambda: [conn.execute(sql.AI_REQUEST, [error_id, "heuristic", False]).fetchone()
                                   for error_id in ids])
    print(f"   heuristic analyses/s, one connection: {sql_rates} SQL alone, "
          f"{request_rates} app.ai_request (run, analysis, stored)", flush=True)


def start_worker(cluster: Cluster) -> subprocess.Popen:
    env = {**os.environ, "PGWARDEN_WORKER_DATABASE_URL": cluster.url("bench", user="pgwarden_worker")}
    argv = [sys.executable, "-m", "workers", "worker", "--kinds", "ai.analyze", "--concurrency", "2",
            "--batch-size", "20", "--poll-seconds", "0.5"]
    return subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_analysed(conn: psycopg.Connection, organization_id: str, serials: range, timeout: float) -> None:
    first = new_group_event(serials.start)["message"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (left,) = conn.execute("SELECT count(*) FROM app.ai_analysis_run"
                               " WHERE organization_id = %s AND status = 'pending'", [organization_id]).fetchone()
        if left == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"analyses still pending after {timeout:g} s (from {first!r})")


def latencies(conn: psycopg.Connection, organization_id: str, serials: range) -> tuple[list[float], float]:
    """Seconds from capture to stored analysis of the groups of these serials, and the span of them all."""
    names = [f"render_{name_of(serial)}" for serial in serials]
    rows = conn.execute("""
        SELECT extract(epoch FROM s.ai_analyzed_at - s.first_seen_at)::float8, s.first_seen_at, s.ai_analyzed_at
          FROM app.system_errors s
         WHERE s.organization_id = %s AND substring(s.stack_trace from 'at (render_[a-z]+) ') = ANY (%s)""",
                        [organization_id, names]).fetchall()
    assert len(rows) == len(names) and all(row[2] is not None for row in rows), "every group analysed"
    span = (max(row[2] for row in rows) - min(row[1] for row in rows)).total_seconds()
    return [row[0] for row in rows], span


def measure_capture_to_analysis(cluster: Cluster, conn: psycopg.Connection, organization_id: str, serial: int,
                                steady: int, flood: int, rate: float) -> int:
    automatic_analysis(conn, True)
    worker = start_worker(cluster)
    try:
        time.sleep(1.5)  # the worker's start (imports, connections) is not the analysis
        serials = range(serial, serial + steady)
        for each in serials:
            conn.execute("SELECT count(*) FROM app.capture_batch(%s, NULL, %s)",
                         [organization_id, json.dumps([new_group_event(each, "critical")])])
            time.sleep(1 / rate)
        wait_analysed(conn, organization_id, serials, 60)
        seconds, _ = latencies(conn, organization_id, serials)
        print(f"   capture -> stored analysis, {steady} new critical groups at {rate:g}/s (s): {percentiles(seconds)}")
        serial += steady

        serials = range(serial, serial + flood)
        capture(conn, organization_id, serials, "critical")
        wait_analysed(conn, organization_id, serials, 600)
        seconds, span = latencies(conn, organization_id, serials)
        print(f"   capture -> stored analysis, a flood of {flood:,} new groups (s):    {percentiles(seconds)}; "
              f"drained at {flood / span:,.0f} analyses/s by 1 worker (2 threads)", flush=True)
        return serial + flood
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)


def measure_capture_cost(conn: psycopg.Connection, organization_id: str, serial: int, per_round: int,
                         rounds: int) -> int:
    """New groups/s captured with the analysis policy off and on, alternating (no worker running)."""
    rates: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(rounds):
        for enabled in ((False, True) if round_ % 2 == 0 else (True, False)):
            automatic_analysis(conn, enabled)
            rates[enabled].append(per_round / capture(conn, organization_id, range(serial, serial + per_round)))
            serial += per_round
    conn.execute("DELETE FROM app.job WHERE kind = 'ai.analyze'")
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"   capturing new groups, batches of {BATCH}: {off:,.0f}/s with the analysis policy off, {on:,.0f}/s on "
          f"({(on - off) / off * 100:+.0f}%; medians of {rounds} alternating rounds of {per_round:,})", flush=True)
    return serial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", default="2000,20000", help="group counts at which related errors are measured")
    parser.add_argument("--heuristic", type=int, default=2000, help="analyses per heuristic measurement")
    parser.add_argument("--steady", type=int, default=200, help="new groups captured one at a time")
    parser.add_argument("--rate", type=float, default=20, help="their rate per second")
    parser.add_argument("--flood", type=int, default=2000, help="new groups captured at once")
    parser.add_argument("--fast", action="store_true", help="fsync and synchronous_commit off")
    args = parser.parse_args()
    sizes = [int(size) for size in args.groups.split(",")]
    rng = random.Random(15)

    with throwaway_database(fast=args.fast) as (cluster, url), psycopg.connect(url, autocommit=True) as conn:
        print(f"AI analysis benchmark (heuristic provider), fsync {'off' if args.fast else 'on'}")
        organization_id = str(uuid.uuid4())
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'bench')", [organization_id])
        conn.execute(sql.ORG_RATE_LIMIT_SET, [organization_id, 0])
        automatic_analysis(conn, False)
        serial = 0
        for size in sizes:
            capture(conn, organization_id, range(serial, size))
            serial = size
            conn.execute("ANALYZE app.error_similarity")
            measure_related(conn, organization_id, size, rng)
        measure_heuristic(conn, organization_id, rng, min(args.heuristic, serial))
        serial = measure_capture_to_analysis(cluster, conn, organization_id, serial, args.steady, args.flood, args.rate)
        measure_capture_cost(conn, organization_id, serial, 2000, 3)


if __name__ == "__main__":
    main()
