"""Where the database's time for a Sentry envelope goes: app.web_ingest called exactly as pgwarden
web calls it (envelopes parsed by its own code, one transaction per call) with 1, 2, 8 and 32
single-event envelopes per call. Prints the backend's CPU per call and per event, then for calls of
1 and 8 envelopes each PL/pgSQL and SQL function's own time per call (track_functions: the timing
itself adds to the figures, so read them as shares). Asserts nothing.

    .venv/bin/python bench/ingest_profile.py [--calls 400]

What it showed (issue 20): a lone envelope costs ~2 ms of backend CPU and 32 in one call ~0.5 ms
each. Every transaction prepares again each expression a PL/pgSQL function evaluates (its plans
stay cached for the session, its expression trees do not), so a call of one event pays the set-up
of every stage. Uses PGWARDEN_BENCH_DATABASE_URL when set, else a throwaway cluster.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import bench_database, cpu_seconds  # noqa: E402
from ingest_sql import create_unlimited_organization  # noqa: E402
from sentry_ingest import envelope  # noqa: E402

from workers import sql  # noqa: E402
from workers.cli.webcmd import WEB_ROLE  # noqa: E402
from workers.web import jsonwire  # noqa: E402
from workers.web.decoding import decode_body  # noqa: E402
from workers.web.envelope import parse_envelope  # noqa: E402
from workers.web.routes_sentry import prepare_item  # noqa: E402

FINGERPRINTS = 100  # an application's errors: their groups exist before the clock starts
SIZES = (1, 2, 8, 32)
PROFILED = (1, 8)


def request(project_id: int, key: str, n: int) -> dict:
    """One envelope as pgwarden web hands it to app.web_ingest (routes_sentry)."""
    parsed = parse_envelope(decode_body(envelope(key, n % FINGERPRINTS), "gzip", 1 << 30))
    return {"project_id": project_id, "public_key": key, "event_id": parsed.headers.get("event_id"),
            "items": [prepare_item(item) for item in parsed.items]}


def bodies(project_id: int, key: str, per_call: int, calls: int) -> list[str]:
    return [jsonwire.dumps([request(project_id, key, call * per_call + n) for n in range(per_call)])
            for call in range(calls)]


def function_times(url: str, conn: psycopg.Connection, calls: list[str]) -> list[tuple[str, float, float, float]]:
    """(function, calls, total µs, own µs) per app.web_ingest call, the 25 of most own time."""
    conn.execute("RESET ROLE")  # (the counters are a superuser's to switch on and reset)
    conn.execute("SET track_functions = 'all'")
    conn.execute("SELECT pg_stat_reset()")
    conn.execute(f"SET ROLE {WEB_ROLE}")
    for body in calls:
        conn.execute(sql.WEB_INGEST, [body]).fetchall()
    conn.execute("RESET ROLE")
    conn.execute("SELECT pg_stat_force_next_flush()")
    conn.execute("SET track_functions = 'none'")  # (a statement's end flushes this session's counts)
    conn.execute(f"SET ROLE {WEB_ROLE}")
    time.sleep(1.2)
    with psycopg.connect(url, autocommit=True) as reader:
        rows = reader.execute("SELECT schemaname || '.' || funcname, calls, total_time, self_time"
                              " FROM pg_stat_user_functions ORDER BY self_time DESC LIMIT 25").fetchall()
    return [(name, count / len(calls), total * 1000 / len(calls), own * 1000 / len(calls))
            for name, count, total, own in rows]


def bench_project(url: str, conn: psycopg.Connection) -> tuple[int, str]:
    """A project of a new organization without a rate limit (ingest_sql.py's): (id, public key)."""
    return conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'profile')"
                        " RETURNING id, public_key", [create_unlimited_organization(url)]).fetchone()


def cpu_per_call(conn: psycopg.Connection, calls: list[str]) -> tuple[float, float]:
    """(wall s, backend CPU s) per call, after 5 untimed ones."""
    for body in calls[:5]:
        conn.execute(sql.WEB_INGEST, [body]).fetchall()
    timed = calls[5:]
    cpu_before, wall_before = cpu_seconds(conn.info.backend_pid) or 0, time.perf_counter()
    for body in timed:
        conn.execute(sql.WEB_INGEST, [body]).fetchall()
    wall = time.perf_counter() - wall_before
    return wall / len(timed), ((cpu_seconds(conn.info.backend_pid) or 0) - cpu_before) / len(timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls of one envelope (fewer of larger ones)")
    args = parser.parse_args()
    with bench_database() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET jit = off")  # (as the stack runs it)
        project_id, key = bench_project(url, conn)
        conn.execute(f"SET ROLE {WEB_ROLE}")
        for body in bodies(project_id, key, 8, 2 * FINGERPRINTS // 8):  # every group created, caches warm
            conn.execute(sql.WEB_INGEST, [body]).fetchall()
        print(f"{'envelopes a call':>16} {'wall ms a call':>15} {'CPU µs a call':>14} {'CPU µs an event':>16}")
        for per_call in SIZES:
            wall, cpu = cpu_per_call(conn, bodies(project_id, key, per_call, max(20, args.calls // per_call)))
            print(f"{per_call:>16} {wall * 1000:>15.2f} {cpu * 1e6:>14.0f} {cpu * 1e6 / per_call:>16.0f}")
        for per_call in PROFILED:
            calls = bodies(project_id, key, per_call, max(20, args.calls // per_call))
            print(f"\nfunctions, {per_call} envelope(s) a call (per call; timing on):")
            print(f"  {'function':<46} {'calls':>6} {'total µs':>9} {'own µs':>7}")
            for name, count, total, own in function_times(url, conn, calls):
                print(f"  {name:<46} {count:>6.1f} {total:>9.0f} {own:>7.0f}")


if __name__ == "__main__":
    main()
