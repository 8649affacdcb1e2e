"""Benchmark: statistics and lists through PostgREST at 100,000 error groups, as an org owner and as an admin.

Builds the reads issue's fixture on a throwaway cluster: 100,000 error groups captured through the
pipeline (app.capture_batch, 1,000 events a call; a few triaged afterwards) and 5,000 in a second
organization, a day of per-minute history for the 1,000 busiest groups and 30 days of hourly history
before it (one minute row an hour), folded into the hourly, daily and users rollups as pg_cron does
each minute (once more after the captures' last minute has passed). Then times every read of the
issue's table through a real PostgREST, as the organization's owner and as a system admin naming the
organization, and prints p50/p95 of --runs calls each, the server's CPU a call (PostgreSQL's and
PostgREST's, steadier than wall time on shared cores) and EXPLAIN (ANALYZE, BUFFERS) of the slowest
read (nested statements too). No assertions on speed.

    .venv/bin/python bench/reads.py [--groups 100000] [--runs 25] [--idle-captures] [--only TEXT] [--hold FILE]
        [--client httpx|raw]
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from benchlib import cpu_seconds, throwaway_database  # noqa: E402
from ingest_http import start_postgrest  # noqa: E402
from ingest_sql import LETTERS, USER_AGENT, create_unlimited_organization  # noqa: E402

from workers import sql, tokens  # noqa: E402

TYPES = ["javascript", "api", "database", "network", "auth", "runtime"]
SEVERITIES = ["critical"] * 3 + ["error"] * 60 + ["warning"] * 27 + ["info"] * 10


def name_of(kind: int) -> str:
    """Four letters without hex digits, so message normalization keeps 160,000 kinds apart."""
    letters = []
    for _ in range(4):
        kind, digit = divmod(kind, len(LETTERS))
        letters.append(LETTERS[digit])
    return "".join(letters)


def group_event(kind: int, serial: int) -> dict:
    name = name_of(kind)
    return {
        "error_type": TYPES[kind % len(TYPES)],
        "severity": SEVERITIES[kind * 7 % len(SEVERITIES)],
        "message": f"Failed to load {name} for order {serial}",
        "stack_trace": (f"Error: Failed to load {name}\n"
                        f"    at load_{name} (https://shop.test/static/app.js:{10 + serial % 90}:5)\n"
                        f"    at render (https://shop.test/static/app.js:42:9)"),
        "url": f"https://shop.test/{name}?order={serial}",
        "user_agent": USER_AGENT,
        "user_id": f"user-{serial * 7919 % 20000}",
    }


def capture_groups(url: str, organization_id: str, groups: int, batch: int = 1000, connections: int = 2) -> float:
    """One event per group through app.capture_batch, a batch per call over a few connections."""
    queue = list(range(0, groups, batch))
    lock = threading.Lock()

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                with lock:
                    if not queue:
                        return
                    start = queue.pop()
                events = [group_event(kind, kind) for kind in range(start, min(start + batch, groups))]
                conn.execute(sql.CAPTURE_BATCH, [organization_id, None, json.dumps(events)]).fetchall()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


HISTORY = """
WITH busy AS (
  SELECT s.organization_id, s.error_hash, row_number() OVER (ORDER BY s.error_hash) AS rank
    FROM app.system_errors s WHERE s.organization_id = %(org)s ORDER BY s.error_hash LIMIT 1000
), counted AS (
  INSERT INTO app.error_metrics AS m (organization_id, bucket, error_hash, event_count)
  SELECT b.organization_id, h.minute, b.error_hash, h.events
    FROM busy b
    CROSS JOIN LATERAL (
      -- a day of minutes, busier groups in more of them (531,520 rows for the issue's 1,000 groups)
      SELECT minute, 1 + floor(random() * 17)::integer AS events
        FROM generate_series(date_trunc('minute', now()) - interval '1 day',
                             date_trunc('minute', now()) - interval '2 minutes', interval '1 minute') AS minute
       WHERE random() < least(1.0, 6.4 / sqrt(b.rank))
      UNION ALL  -- 30 days before it: one minute row an hour
      SELECT date_trunc('hour', hour) + interval '17 minutes', 1 + floor(random() * 600)::integer
        FROM generate_series(now() - interval '31 days', now() - interval '1 day 1 hour', interval '1 hour') AS hour
       WHERE random() < least(1.0, 6.4 / sqrt(b.rank))) AS h
  ON CONFLICT (organization_id, bucket, error_hash) DO NOTHING
  RETURNING m.organization_id, m.error_hash, m.bucket, m.event_count)
UPDATE app.system_errors s
   SET occurrence_count = s.occurrence_count + c.events, first_seen_at = least(s.first_seen_at, c.first)
  FROM (SELECT organization_id, error_hash, sum(event_count)::integer AS events, min(bucket) AS first
          FROM counted GROUP BY 1, 2) AS c
 WHERE s.organization_id = c.organization_id AND s.error_hash = c.error_hash
"""
# a few groups triaged: resolved, ignored, being looked at
TRIAGE = """
UPDATE app.system_errors s
   SET status = (CASE WHEN h < 30 THEN 'resolved' WHEN h < 35 THEN 'ignored' ELSE 'investigating' END)
                  ::app.error_status_enum,
       resolved_at = CASE WHEN h < 30 THEN now() END
  FROM (SELECT id, abs(hashtext(id::text)) % 100 AS h FROM app.system_errors) AS t
 WHERE s.id = t.id AND t.h < 40
"""


# the captures' minute rows two days back (--idle-captures); the fold below rebuilds from them
IDLE_CAPTURES = """
UPDATE app.error_metrics SET bucket = bucket - interval '2 days'
 WHERE bucket >= date_trunc('minute', now()) - interval '1 hour'
"""


def build_fixture(url: str, groups: int, idle_captures: bool) -> tuple[str, dict]:
    organization_id = create_unlimited_organization(url)
    other = create_unlimited_organization(url)
    figures: dict = {"capture_s": capture_groups(url, organization_id, groups)}
    capture_groups(url, other, 5000)
    with psycopg.connect(url, autocommit=True) as conn:
        if idle_captures:
            conn.execute(IDLE_CAPTURES)
        conn.execute(HISTORY, {"org": organization_id})
        conn.execute(TRIAGE)
        started = time.perf_counter()
        figures["fold"] = conn.execute("SELECT app.error_rollup_rebuild()").fetchone()[0]  # history is a backfill
        figures["fold_s"] = time.perf_counter() - started
        # as pg_cron would have by now: the minute of the last captures is folded too
        time.sleep(65 - time.time() % 60)
        conn.execute("SELECT app.error_rollup_fold()")
        conn.execute("VACUUM ANALYZE")
        figures["rows"] = dict(conn.execute(
            """SELECT 'error_metrics', count(*) FROM app.error_metrics UNION ALL
               SELECT 'error_metrics_hourly', count(*) FROM app.error_metrics_hourly UNION ALL
               SELECT 'error_metrics_daily', count(*) FROM app.error_metrics_daily UNION ALL
               SELECT 'system_errors', count(*) FROM app.system_errors UNION ALL
               SELECT 'events in error_metrics', sum(event_count) FROM app.error_metrics""").fetchall())
    return organization_id, figures


def reads(org: str, one_id: str, cursor: dict) -> list[tuple[str, str, str, dict | None, str]]:
    """(label, method, path, body, SQL for EXPLAIN) as an org owner; an admin adds the organization."""
    newest = "order=last_seen_at.desc&limit=50"
    return [
        ("get_error_stats('24 hours')", "POST", "/rpc/get_error_stats", {"p_time_range": "24 hours"},
         "SELECT api.get_error_stats('24 hours', {org})"),
        ("get_error_stats('7 days')", "POST", "/rpc/get_error_stats", {"p_time_range": "7 days"},
         "SELECT api.get_error_stats('7 days', {org})"),
        ("/system_errors newest 50 (issue's URL)", "GET", f"/system_errors?{newest}", None,
         "SELECT * FROM api.system_errors WHERE {filter} ORDER BY last_seen_at DESC LIMIT 50"),
        ("/system_errors newest 50, page 2 (keyset)", "GET",
         f"/system_errors?order=last_seen_at.desc,id.desc&limit=50&last_seen_at=lte.{quote(cursor['after_last_seen_at'])}"
         f"&or=(last_seen_at.lt.{quote(cursor['after_last_seen_at'])},id.lt.{cursor['after_id']})", None,
         "SELECT * FROM api.system_errors WHERE {filter} "
         f"AND last_seen_at <= '{cursor['after_last_seen_at']}' AND (last_seen_at < '{cursor['after_last_seen_at']}' "
         f"OR id < '{cursor['after_id']}') ORDER BY last_seen_at DESC, id DESC LIMIT 50"),
        ("/system_errors new+critical by events, all (issue's URL)", "GET",
         "/system_errors?status=eq.new&severity=eq.critical&order=occurrence_count.desc", None,
         "SELECT * FROM api.system_errors WHERE {filter} AND status = 'new' AND severity = 'critical' "
         "ORDER BY occurrence_count DESC"),
        ("/error_groups new+critical by events (issue's URL)", "GET",
         "/error_groups?status=eq.new&severity=eq.critical&order=occurrence_count.desc&limit=50", None,
         "SELECT * FROM api.error_groups WHERE {filter} AND status = 'new' AND severity = 'critical' "
         "ORDER BY occurrence_count DESC LIMIT 50"),
        ("/error_groups first seen 50", "GET", "/error_groups?order=first_seen_at.desc,id.desc&limit=50", None,
         "SELECT * FROM api.error_groups WHERE {filter} ORDER BY first_seen_at DESC, id DESC LIMIT 50"),
        ("/error_groups newest 50 (issue's URL)", "GET", f"/error_groups?{newest}", None,
         "SELECT * FROM api.error_groups WHERE {filter} ORDER BY last_seen_at DESC LIMIT 50"),
        *[(f"/error_groups {name}, newest 50", "GET", f"/error_groups?{query}&{newest}", None,
           f"SELECT * FROM api.error_groups WHERE {{filter}} AND {condition} ORDER BY last_seen_at DESC LIMIT 50")
          for name, query, condition in (("investigating", "status=eq.investigating", "status = 'investigating'"),
                                         ("critical", "severity=eq.critical", "severity = 'critical'"),
                                         ("of type auth", "error_type=eq.auth", "error_type = 'auth'"))],
        ("/rpc/list_errors newest", "POST", "/rpc/list_errors", {},
         "SELECT * FROM api.list_errors(organization_id => {org})"),
        ("/rpc/list_errors newest, page 2", "POST", "/rpc/list_errors", cursor,
         "SELECT * FROM api.list_errors(organization_id => {org}, "
         f"after_id => '{cursor['after_id']}', after_last_seen_at => '{cursor['after_last_seen_at']}')"),
        ("/rpc/list_errors most events", "POST", "/rpc/list_errors", {"sort": "events"},
         "SELECT * FROM api.list_errors('events', organization_id => {org})"),
        ("/rpc/list_errors most users", "POST", "/rpc/list_errors", {"sort": "users"},
         "SELECT * FROM api.list_errors('users', organization_id => {org})"),
        ("/rpc/list_errors new+critical by events", "POST", "/rpc/list_errors",
         {"sort": "events", "status": "new", "severity": "critical"},
         "SELECT * FROM api.list_errors('events', 'new', 'critical', organization_id => {org})"),
        ("one group by id", "GET", f"/error_groups?id=eq.{one_id}", None,
         f"SELECT * FROM api.error_groups WHERE {{filter}} AND id = '{one_id}'"),
    ]


class RawClient:
    """The timings' client with --client raw: one keep-alive connection of the standard library,
    the body read as bytes. httpx spends about 4 ms of this machine's CPU receiving a 2.2 MB answer
    (http.client under 1 ms), on the two cores the server uses too."""

    def __init__(self, base: str, headers: dict):
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = headers

    encode = staticmethod(json.dumps)  # (request's json argument, as httpx names it, hides the module)

    def request(self, method: str, path: str, json: dict | None = None) -> httpx.Response:
        body = None if json is None else self.encode(json).encode()
        headers = self.headers if body is None else {**self.headers, "Content-Type": "application/json"}
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return httpx.Response(response.status, content=response.read())


def timed(client: httpx.Client | RawClient, method: str, path: str, body: dict | None, runs: int,
          server_cpu: Callable[[], float]) -> tuple[list[float], float]:
    """Wall times of `runs` calls in ms, and the server's CPU a call (PostgreSQL and PostgREST) in ms:
    on two cores shared with other work, the CPU figure is the steadier one."""
    times = []
    for attempt in range(runs + 3):  # three to warm up
        if attempt == 3:
            cpu_before = server_cpu()
        started = time.perf_counter()
        response = client.request(method, path, json=body)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        if attempt >= 3:
            times.append(elapsed)
    return times, (server_cpu() - cpu_before) * 1000 / runs


def as_admin(path: str, body: dict | None, org: str) -> tuple[str, dict | None]:
    if body is not None:
        key = "p_organization_id" if path == "/rpc/get_error_stats" else "organization_id"
        return path, {**body, key: org}
    return f"{path}&organization_id=eq.{org}", None


def explain(url: str, statement: str, role: str, org: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) through auto_explain, so a function's own statements show too."""
    notices: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_analyze = on", "SET auto_explain.log_buffers = on",
                        "SET auto_explain.log_nested_statements = on", "SET auto_explain.log_level = notice"):
            conn.execute(setting)
        claims = {"role": role, "org_id": org} if role == "org_owner" else {"role": role}
        with conn.transaction():
            conn.execute(f"SET LOCAL ROLE {role}")
            conn.execute("SELECT set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
            conn.execute(statement).fetchall()
    return "\n\n".join(notices)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=25, help="timed calls per read and role")
    parser.add_argument("--idle-captures", action="store_true",
                        help="count the captured groups' events two days back, so only the 1,000 busiest groups "
                             "are active in the last day (the statistics' work follows the active groups)")
    parser.add_argument("--client", choices=("httpx", "raw"), default="httpx",
                        help="the timings' HTTP client: httpx (as before) or raw (http.client, body as bytes: "
                             "less of the client's own CPU in a large answer's figure)")
    parser.add_argument("--only", metavar="TEXT", help="time only the reads whose label contains TEXT")
    parser.add_argument("--hold", metavar="FILE", type=Path,
                        help="after the timings, keep the cluster and PostgREST up until interrupted (Ctrl-C or "
                             "SIGTERM) and write how to reach them (database URL, PostgREST port, both roles' "
                             "headers) to FILE as JSON, to measure one read again without rebuilding the fixture")
    args = parser.parse_args()
    # SIGTERM as Ctrl-C, so a held cluster is removed either way
    signal.signal(signal.SIGTERM, lambda *_: signal.default_int_handler(signal.SIGINT, None))

    with throwaway_database("pgwarden") as (cluster, url):
        org, figures = build_fixture(url, args.groups, args.idle_captures)
        rows = figures["rows"]
        print(f"reads: {rows['system_errors']:,} groups ({args.groups:,} captured in {figures['capture_s']:.0f} s"
              f"{', counted two days back' if args.idle_captures else ''}), {rows['error_metrics']:,} minute rows "
              f"({rows['events in error_metrics']:,} events), folded in {figures['fold_s']:.1f} s into "
              f"{rows['error_metrics_hourly']:,} hour and {rows['error_metrics_daily']:,} day rows")
        secret = uuid.uuid4().hex * 2
        run_dir = cluster.pgdata.parent / "postgrest"
        run_dir.mkdir()
        process, port = start_postgrest(url, run_dir, jwt_secret=secret)
        postmaster = int((cluster.pgdata / "postmaster.pid").read_text().split()[0])

        def server_cpu() -> float:  # the postmaster's and its backends', and PostgREST's
            return cpu_seconds(postmaster, with_children=True) + cpu_seconds(process.pid)
        try:
            headers = {role: {"Authorization": "Bearer " + tokens.mint(secret, role, timedelta(hours=2),
                                                                       org if role == "org_owner" else None)}
                       for role in ("org_owner", "system_admin")}
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, headers=headers["org_owner"], timeout=60) as owner, \
                    httpx.Client(base_url=base, headers=headers["system_admin"], timeout=60) as admin:
                first = owner.post("/rpc/list_errors", json={}).json()
                cursor = {"after_id": first[-1]["id"], "after_last_seen_at": first[-1]["last_seen_at"]}
                results = []
                if args.client == "raw":
                    owner, admin = RawClient(base, headers["org_owner"]), RawClient(base, headers["system_admin"])
                print(f"  {'read':<58} {'org owner p50 / p95':>22} {'admin p50 / p95':>20} "
                      f"{'server CPU a call, owner / admin':>34}")
                for label, method, path, body, statement in reads(org, first[0]["id"], cursor):
                    if args.only and args.only not in label:
                        continue
                    owner_ms, owner_cpu = timed(owner, method, path, body, args.runs, server_cpu)
                    admin_ms, admin_cpu = timed(admin, method, *as_admin(path, body, org), args.runs, server_cpu)
                    results.append((statistics.median(owner_ms), label, statement))
                    print(f"  {label:<58} {statistics.median(owner_ms):>9.1f} / {quantile(owner_ms):>6.1f} ms "
                          f"{statistics.median(admin_ms):>8.1f} / {quantile(admin_ms):>6.1f} ms "
                          f"{owner_cpu:>8.1f} / {admin_cpu:>5.1f} ms")
            _, label, statement = max(results)
            print(f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest read, {label}, as the org owner:\n")
            print(explain(url, statement.format(org="NULL", filter="true"), "org_owner", org))
            if args.hold:
                hold(args.hold, {"database_url": url, "postgrest": base, "postgrest_pid": process.pid,
                                 "organization_id": org, "headers": headers})
        finally:
            process.terminate()
            process.wait(10)


def hold(path: Path, how_to_reach: dict) -> None:
    path.write_text(json.dumps(how_to_reach, indent=2))
    print(f"\nholding the cluster and PostgREST (see {path}) until interrupted", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        path.unlink(missing_ok=True)


def quantile(values: list[float], q: float = 0.95) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
