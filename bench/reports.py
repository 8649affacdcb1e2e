"""Benchmark: user error reports through PostgREST (submitting, and the queue at many reports).

Starts its own throwaway cluster and PostgREST on free ports, then measures:

1. /rpc/submit_report with a widget key, the page's origin and a new client address
   (X-Forwarded-For) on every request, the rate limits lifted (each report still counts in its
   client's and its key's window rows); every report holds an e-mail address, a secret and a page
   URL to clean, and an in_app new_user_report rule is on. Through one widget key (all reports
   count in one row of the key's window) and through 50. Then as the widget posts it, to pgwarden
   web's POST /reports/submit with the key in the URL, and the browser's CORS preflight of that
   (OPTIONS, answered from the key's allowed origins). Reports/s, non-2xx answers and the CPU per
   report of the database backends / PostgREST or pgwarden web / wrk.
2. The queue at --reports reports (default 100,000 in 10 organizations, with captured errors):
   GET /report_queue as an org owner and as a system admin (open reports, newest first, 50),
   POST /rpc/report_detail, and app.report_list as the command line calls it: latency p50 / p99
   with one client, requests/s with --clients; and the minute pass app.report_link_late.

No assertions on speed. Needs wrk (scripts/install-bench-tools.sh installs it).

    .venv/bin/python bench/reports.py [--seconds 10] [--clients 16] [--reports 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from benchlib import cpu_seconds, free_port, throwaway_database  # noqa: E402
from ingest_http import backend_pids, cpu_of, start_postgrest, wrk_available  # noqa: E402

from workers import sql, tokens  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
ORIGIN = "https://shop.example.com"
ORGANIZATIONS = 10


def wrk(url: str, seconds: float, clients: int, *script_args: str) -> dict:
    """wrk with `clients` connections on two threads; its figures and its CPU seconds."""
    before = os.times()
    done = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(round(seconds), 1)}s", "--latency",
                           "-s", str(BENCH_DIR / "reports.lua"), url, "--", *script_args],
                          capture_output=True, text=True)
    after = os.times()
    match = re.search(r"WRK_RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk said:\n{done.stdout}{done.stderr}")
    requests, non_2xx, socket_errors, microseconds, p50, p99 = (int(group) for group in match.groups())
    return {"requests": requests, "failed": non_2xx + socket_errors, "seconds": microseconds / 1e6,
            "p50_ms": p50 / 1000, "p99_ms": p99 / 1000,
            "cpu": (after.children_user + after.children_system) - (before.children_user + before.children_system)}


def report_body(n: int) -> dict:
    return {"title": f"Checkout step {n % 7} fails", "priority": ["low", "medium", "high"][n % 3],
            "description": f"Customer jane{n}@example.com saw an error after token=abc{n:06d}; the total stays at 0.",
            "steps_to_reproduce": "1. add a mug 2. apply SAVE10 3. pay",
            "url": f"https://shop.example.com/checkout?step={n % 5}",
            "session_id": uuid.uuid4().hex, "event_id": uuid.uuid4().hex,
            "browser_info": {"userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0", "language": "de",
                             "viewport": "1280x720"}}


def submissions(url: str, port: int, process: subprocess.Popen, web: tuple[subprocess.Popen, int],
                args: argparse.Namespace) -> None:
    print(f"submit_report: {args.clients} clients (wrk), {args.seconds:.0f} s per run; "
          "CPU per request of the database backends / PostgREST or pgwarden web / wrk")
    with psycopg.connect(url, autocommit=True) as conn:
        defaults = conn.execute("SELECT per_client, per_key, window_seconds FROM app.report_rate_limit "
                                "WHERE kind = 'report'").fetchone()
    limits = "{} per address, {} per key per {} s".format(*defaults)
    runs = (  # label, widget keys, a new_user_report rule, client addresses, limits lifted, wrk mode
        ("50 widget keys", 50, False, 65536, True, "post"),
        ("one widget key", 1, False, 65536, True, "post"),
        (f"flood from one address ({limits})", 1, False, 1, False, "post"),
        ("50 widget keys, a new_user_report rule", 50, True, 65536, True, "post"),
        ("pgwarden web /reports/submit, 50 keys in URLs", 50, False, 65536, True, "web"),
        ("pgwarden web preflight (OPTIONS), 50 keys", 50, False, 65536, True, "preflight"),
    )
    with tempfile.TemporaryDirectory() as scratch:
        bodies = Path(scratch) / "bodies.jsonl"
        bodies.write_text("\n".join(json.dumps(report_body(n)) for n in range(2000)) + "\n")
        for label, key_count, alert_rule, addresses, lifted, mode in runs:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("UPDATE app.report_rate_limit SET per_client = %s, per_key = %s WHERE kind = 'report'",
                             [10**9, 10**9] if lifted else defaults[:2])
            organization_id, keys = organization_with_keys(url, key_count, alert_rule)
            keys_file = Path(scratch) / f"keys-{uuid.uuid4().hex}"
            keys_file.write_text("\n".join(keys) + "\n")
            server = process if mode == "post" else web[0]
            endpoint = (f"http://127.0.0.1:{port}/rpc/submit_report" if mode == "post"
                        else f"http://127.0.0.1:{web[1]}/reports/submit")
            script = (("preflight", str(keys_file), ORIGIN) if mode == "preflight"
                      else (mode, str(bodies), str(keys_file), ORIGIN, str(addresses)))
            if lifted:
                wrk(endpoint, 1.0, args.clients, *script)  # warm the pool
                time.sleep(0.5)
            stored_before = stored_reports(url, organization_id)
            pids = backend_pids(url) if mode == "post" else web_backend_pids(url)
            backends, postgrest_cpu = cpu_of(pids), cpu_seconds(server.pid) or 0.0
            run = wrk(endpoint, args.seconds, args.clients, *script)
            backends = cpu_of(pids) - backends
            postgrest_cpu = (cpu_seconds(server.pid) or 0.0) - postgrest_cpu
            time.sleep(0.5)
            stored = stored_reports(url, organization_id) - stored_before
            cpu = " / ".join(f"{seconds * 1e6 / max(run['requests'], 1):,.0f}"
                             for seconds in (backends, postgrest_cpu, run["cpu"]))
            print(f"  {label:<44} {run['requests'] / run['seconds']:>6,.0f} requests/s  "
                  f"{stored / run['seconds']:>5,.0f} stored/s  p50 {run['p50_ms']:.1f} ms p99 {run['p99_ms']:.1f} ms  "
                  f"(CPU {cpu} µs; non-2xx {run['failed']:,})")


def start_web(database_url: str, data_dir: Path) -> tuple[subprocess.Popen, int]:
    """A `pgwarden web` as its own role, listening: (process, port)."""
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "workers", "web", "--port", str(port), "--database-url",
                            database_url], cwd=BENCH_DIR.parent,
                           env={**os.environ, "PGWARDEN_DATA_DIR": str(data_dir)}, stdout=subprocess.DEVNULL)
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            return web, port
        except httpx.HTTPError:
            if web.poll() is not None:
                raise RuntimeError("pgwarden web did not start") from None
            time.sleep(0.1)


def web_backend_pids(url: str) -> list[int]:
    """pgwarden web's pooled connections (its own login role)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = 'pgwarden_web' AND backend_type = 'client backend'")]


def organization_with_keys(url: str, key_count: int, alert_rule: bool) -> tuple[str, list[str]]:
    organization_id = str(uuid.uuid4())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'bench')", [organization_id])
        if alert_rule:
            conn.execute("INSERT INTO app.error_alerts (alert_type, channel, organization_id, trigger_conditions)"
                         " VALUES ('new_user_report', 'in_app', %s, '{}')", [organization_id])
        keys = []
        for n in range(key_count):
            (project_id,) = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, %s) "
                                         "RETURNING id", [organization_id, f"shop-{n}"]).fetchone()
            (key,) = conn.execute(sql.WIDGET_KEY_SET, [project_id, [ORIGIN], False]).fetchone()
            keys.append(key["widget_key"])
    return organization_id, keys


def stored_reports(url: str, organization_id: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM app.user_error_reports WHERE organization_id = %s",
                            [organization_id]).fetchone()[0]


# == The queue ==

def fill_queue(url: str, total: int) -> list[str]:
    """`total` reports in ORGANIZATIONS organizations, one every 25 s back from now per organization
    (a tenth naming an event id, all a page URL and a session), through the insert trigger, and 2,000
    captured errors in 200 groups per organization over the last day."""
    per_org = total // ORGANIZATIONS
    organizations = [str(uuid.uuid4()) for _ in range(ORGANIZATIONS)]
    with psycopg.connect(url, autocommit=True) as conn:
        for organization_id in organizations:
            conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'queue')", [organization_id])
            conn.execute(sql.ORG_RATE_LIMIT_SET, [organization_id, 0])
            for chunk in range(4):
                events = [{"error_type": "javascript", "message": f"Error: widget {n % 200} broke",
                           "url": f"https://shop.example.com/page/{n % 50}", "session_id": f"s-{n % 300}",
                           "stack_trace": f"Error: widget broke\n    at render{n % 200} (https://shop.example.com/app.js:1:{n})"}
                          for n in range(chunk * 500, chunk * 500 + 500)]
                conn.execute("SELECT count(*) FROM app.capture_batch(%s, NULL, %s)",
                             [organization_id, json.dumps(events)])
            conn.execute("UPDATE app.error_events SET received_at = now() - (random() * interval '1 day') "
                         "WHERE organization_id = %s", [organization_id])
            conn.execute(
                """INSERT INTO app.user_error_reports (report_type, priority, reporter_type, organization_id, title,
                                                       description, url, session_id, event_id, status, created_at)
                   SELECT 'bug', (ARRAY['low', 'medium', 'high', 'critical'])[1 + n %% 4]::app.priority_enum,
                          'customer', %s, 'Widget ' || n %% 200 || ' is broken',
                          'It broke for jane' || n || '@example.com',
                          'https://shop.example.com/page/' || n %% 50, 's-' || n %% 300,
                          CASE WHEN n %% 10 = 0 THEN gen_random_uuid() END,
                          (ARRAY['open', 'open', 'open', 'open', 'open', 'open', 'in_progress', 'resolved', 'closed',
                                 'pending_info'])[1 + n %% 10]::app.report_status_enum,
                          now() - n * interval '25 seconds'
                     FROM generate_series(1, %s) AS n""", [organization_id, per_org])
        conn.execute("ANALYZE")
    return organizations


def latency(get, requests: int = 200) -> tuple[float, float]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        get()
        timings.append((time.perf_counter() - started) * 1000)
    quantiles = statistics.quantiles(timings, n=100)
    return quantiles[49], quantiles[98]


def queue(url: str, port: int, secret: str, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    organizations = fill_queue(url, args.reports)
    print(f"queue: {args.reports:,} reports in {ORGANIZATIONS} organizations, stored through the insert trigger in "
          f"{time.perf_counter() - started:.1f} s; latency with one client, requests/s with {args.clients} (wrk)")
    with psycopg.connect(url, autocommit=True) as conn:
        (report_id,) = conn.execute("SELECT id FROM app.user_error_reports WHERE organization_id = %s LIMIT 1",
                                    [organizations[0]]).fetchone()
    owner = tokens.mint(secret, "org_owner", timedelta(hours=1), org_id=organizations[0])
    admin = tokens.mint(secret, "system_admin", timedelta(hours=1))
    base = f"http://127.0.0.1:{port}"
    page = "/report_queue?status=eq.open&order=created_at.desc&limit=50"
    with httpx.Client(base_url=base) as client:
        for label, token in (("org owner", owner), ("system admin", admin)):
            headers = {"Authorization": f"Bearer {token}"}
            rows = client.get(page, headers=headers).json()
            p50, p99 = latency(lambda: client.get(page, headers=headers).raise_for_status())  # noqa: B023
            run = wrk(base + page, args.seconds, args.clients, "get", token)
            print(f"  GET /report_queue as {label:<12} ({len(rows)} rows)  p50 {p50:.1f} ms p99 {p99:.1f} ms  "
                  f"{run['requests'] / run['seconds']:>6,.0f} requests/s (non-2xx {run['failed']})")
        headers = {"Authorization": f"Bearer {owner}"}
        p50, p99 = latency(lambda: client.post("/rpc/report_detail", json={"report_id": str(report_id)},
                                               headers=headers).raise_for_status())
        print(f"  POST /rpc/report_detail as org owner     p50 {p50:.1f} ms p99 {p99:.1f} ms")
    with psycopg.connect(url, autocommit=True) as conn:
        p50, p99 = latency(lambda: conn.execute(sql.REPORT_LIST, ["open", None, 50]).fetchall())
        print(f"  app.report_list (the command line)       p50 {p50:.1f} ms p99 {p99:.1f} ms")
        waiting, recent = conn.execute(
            "SELECT count(*) FILTER (WHERE event_id IS NOT NULL), count(*) FILTER (WHERE created_at > now() - "
            "interval '10 minutes') FROM app.user_error_reports WHERE linked_error_id IS NULL "
            "AND created_at > now() - interval '1 day'").fetchone()
        started = time.perf_counter()
        (linked,) = conn.execute("SELECT app.report_link_late()").fetchone()
        print(f"  app.report_link_late (minute pass)       {(time.perf_counter() - started) * 1000:,.0f} ms "
              f"(unlinked: {waiting:,} naming an event of the last day, {recent:,} of the last 10 minutes; "
              f"{linked:,} linked now)")
        started = time.perf_counter()
        (linked,) = conn.execute("SELECT app.report_link_late()").fetchone()
        print(f"  app.report_link_late again               {(time.perf_counter() - started) * 1000:,.0f} ms "
              f"({linked:,} linked)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each wrk run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reports", type=int, default=100_000, help="reports in the queue")
    args = parser.parse_args()
    if not wrk_available():
        sys.exit("reports bench: wrk is needed (scripts/install-bench-tools.sh)")
    secret = uuid.uuid4().hex * 2
    with throwaway_database("pgwarden", cron=True) as (cluster, url):
        run_dir = cluster.pgdata.parent / "postgrest"
        run_dir.mkdir()
        process, port = start_postgrest(url, run_dir, jwt_secret=secret)
        web = start_web(cluster.url("pgwarden", user="pgwarden_web"), cluster.pgdata.parent / "web")
        try:
            submissions(url, port, process, web, args)
            queue(url, port, secret, args)
        finally:
            for server in (process, web[0]):
                server.terminate()
                server.wait(10)


if __name__ == "__main__":
    main()
