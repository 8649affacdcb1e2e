"""The web app's pages at scale: time per page (p50/p95 of sequential requests, measured at the
client over loopback, so it is the server's time plus ~1 ms of HTTP), the HTML size of the errors
list, and the time from a capture to its SSE event reaching an open Overview.

Data: one organization with 100,000 error groups (first/last seen spread over 30 days) and their
similarity documents, a day of per-minute metrics (300 active groups each minute: 432,000 rows),
2,000 events of one group (releases and environments in their metadata), 2,000 alerts sent, and
the seeded monitors with a day of checks. While pages are measured, the per-minute pg_cron jobs
the pages read from run each minute as under `make run` (the rollup fold, the health summary
cache). /errors?environment=qa matches no event: the filter's
worst case, a probe of every group's events. Goals (issue 14): each page p95 < 100 ms, the list
< 50 ms, list HTML < 150 KB, a new error in the Overview within 1 s.

    .venv/bin/python bench/web_pages.py [--groups 100000] [--requests 30] [--paths / /errors ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import httpx
import psycopg
from benchlib import REPO_ROOT, free_port, throwaway_database

from workers.web.ui.security import hash_password

PASSWORD = "bench password 1"
_CSRF_MARK = 'name="csrf" value="'


def seed(url: str, groups: int) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        org = conn.execute("INSERT INTO app.organizations (name) VALUES ('bench') RETURNING id").fetchone()[0]
        project, key = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'bench')"
                                    " RETURNING id, public_key", [org]).fetchone()
        conn.execute("SELECT app.rate_limit_set(%s, 0)", [org])
        conn.execute(
            "INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id,"
            " occurrence_count, first_seen_at, last_seen_at)"
            " SELECT encode(sha256(n::text::bytea), 'hex'),"
            " (enum_range(NULL::app.error_type_enum))[1 + n %% 12], (enum_range(NULL::app.severity_enum))[1 + n %% 5],"
            " (enum_range(NULL::app.error_status_enum))[1 + n %% 7],"
            " 'TypeError: cannot read property ' || n || ' of undefined at checkout step ' || n %% 97, %s,"
            " 1 + (n * 7919) %% 5000, now() - interval '30 days' + (n %% 43200) * interval '1 minute',"
            " now() - (n %% 43200) * interval '1 minute'"
            " FROM generate_series(1, %s) n", [org, groups])
        conn.execute(
            "INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)"
            " SELECT %s, date_trunc('minute', now()) - m * interval '1 minute',"
            " encode(sha256((1 + (m * 31 + g) %% %s)::text::bytea), 'hex'), 1 + g %% 5"
            " FROM generate_series(0, 1439) m, generate_series(1, 300) g ON CONFLICT DO NOTHING", [org, groups])
        hot = conn.execute("SELECT id, error_hash FROM app.system_errors"
                           " WHERE error_hash = encode(sha256('1'::bytea), 'hex')").fetchone()
        conn.execute(
            "INSERT INTO app.error_events (organization_id, error_hash, project_id, error_type, message, browser, os,"
            " url, metadata, received_at)"
            " SELECT %s, %s, %s, 'runtime', 'TypeError: cannot read property 1',"
            " (ARRAY['Chrome', 'Firefox', 'Safari'])[1 + n %% 3],"
            " 'Linux', 'https://shop.example/p/' || n %% 20, jsonb_build_object('release', 'shop@' || n %% 4,"
            " 'environment', (ARRAY['production', 'staging'])[1 + n %% 2]),"
            " now() - n * interval '30 seconds' FROM generate_series(1, 2000) n", [org, hot[1], project])
        conn.execute(
            "INSERT INTO app.health_checks (check_type, service_name, status, response_time_ms, checked_at, monitor_id)"
            " SELECT m.check_type, m.service_name, 'healthy', 30 + n %% 40, now() - n * interval '1 minute', m.id"
            " FROM app.health_monitors m, generate_series(1, 1440) n WHERE m.enabled", [])
        for email, role, organization in (("admin@bench.example", "system_admin", None),
                                          ("owner@bench.example", "org_owner", org)):
            conn.execute("SELECT app.user_create(%s, %s, %s, %s)", [email, role, organization, hash_password(PASSWORD)])
        # 2,000 alerts sent, one notification each (the Overview's latest alerts)
        conn.execute(
            "WITH i AS (INSERT INTO app.alert_incidents (organization_id, alert_type, status, severity, title,"
            " started_at, resolved_at) SELECT %s, 'error_spike', 'resolved', 'error', 'Error spike ' || n,"
            " now() - n * interval '20 minutes', now() - n * interval '20 minutes' + interval '5 minutes'"
            " FROM generate_series(1, 2000) n RETURNING id, organization_id, title, started_at)"
            " INSERT INTO app.alert_notifications (incident_id, organization_id, kind, content, event_count,"
            " new_since_last, created_at) SELECT id, organization_id, 'firing', jsonb_build_object('title', title),"
            " 100, 100, started_at FROM i", [org])
        # as pg_cron would have by now: the history folded into the hourly, daily and users rollups, and
        # every group's similarity document written (related errors)
        conn.execute("SELECT app.error_rollup_rebuild()")
        conn.execute("SELECT app.error_rollup_fold()")
        conn.execute("SELECT app.error_similarity_fill(%s)", [groups])
        conn.execute("ANALYZE")
    return {"org": str(org), "project": str(project), "key": key, "hot": str(hot[0])}


def minute_jobs(url: str) -> Callable[[], None]:
    """What pg_cron does each minute under `make run` and the pages read (the bench's cluster has no
    pg_cron): the rollup fold and the health summary cache, now and then every minute until the
    function returned is called."""
    stop = threading.Event()

    def run() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                conn.execute("SELECT app.error_rollup_fold()")
                conn.execute("SELECT app.health_refresh_cache()")
                if stop.wait(60):
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def stop_jobs() -> None:
        stop.set()
        thread.join(30)
    return stop_jobs


def sign_in(client: httpx.Client, email: str) -> None:
    page = client.get("/login").text
    csrf = page.split(_CSRF_MARK, 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"csrf": csrf, "email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text[:300]


def timed(client: httpx.Client, path: str, requests: int) -> tuple | None:
    """p50 and p95 in ms and the HTML size; (status, code) of a refusal; None when a request took
    longer than the client waits."""
    try:
        started = time.perf_counter()
        client.get(path)  # warm
        if time.perf_counter() - started > 2:
            requests = 3  # a slow page: a few samples say enough
    except httpx.TimeoutException:
        return None
    times, size = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:  # a refusal (a statement timeout, say) is a figure too
            return answer.status_code, answer.json().get("code") if "json" in answer.headers["content-type"] else ""
        size = len(answer.content)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], size


def live_latency(base_url: str, cookies: httpx.Cookies, project: str, key: str, samples: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base_url, cookies=cookies, timeout=30) as client, \
            client.stream("GET", "/live/errors") as stream:
        lines = stream.iter_lines()
        for line in lines:
            if line.startswith("event: ready"):
                break
        for _ in range(samples):
            # letters the grouping's normalization keeps (no digits, no hex), so each capture is a new group
            message = "bench live " + "".join(random.choice("ghijklmnopqrstuvwxyz") for _ in range(16))
            started = time.perf_counter()
            httpx.post(f"{base_url}/api/{project}/store/", content=json.dumps({"message": message}).encode(),
                       headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}, timeout=30)
            for line in lines:
                if message in line:
                    latencies.append((time.perf_counter() - started) * 1000)
                    break
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--paths", nargs="*", help="measure only these pages (as listed below, e.g. / /?range=30d)")
    args = parser.parse_args()
    with throwaway_database("bench_web", fast=True) as (cluster, url):
        started = time.perf_counter()
        ids = seed(url, args.groups)
        print(f"seeded {args.groups:,} error groups, a day of minute metrics in {time.perf_counter() - started:.0f} s")
        port = free_port()
        data_dir = tempfile.mkdtemp(prefix="pgwarden-bench-web-")
        web = subprocess.Popen([sys.executable, "-m", "workers", "web", "--port", str(port), "--database-url",
                                cluster.url("bench_web", user="pgwarden_web")], cwd=REPO_ROOT,
                               env={**os.environ, "PGWARDEN_DATA_DIR": data_dir, "PYTHONPATH": str(REPO_ROOT)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        stop_minute_jobs = minute_jobs(url)
        try:
            for _ in range(300):
                try:
                    httpx.get(base_url + "/health", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"{'page':<44} {'p50 ms':>8} {'p95 ms':>8} {'HTML KB':>8}")
            for who in ("admin@bench.example", "owner@bench.example"):
                with httpx.Client(base_url=base_url, timeout=60) as client:
                    sign_in(client, who)
                    print(f"-- as {who.split('@')[0]}")
                    for path in ("/", "/?range=30d", "/errors", "/errors?status=all", "/errors?status=all&sort=events",
                                 "/errors?status=all&sort=first_seen", "/errors?status=all&severity=critical",
                                 "/errors?status=all&q=step+42", f"/errors?status=all&project={ids['project']}",
                                 "/errors?status=all&sort=users", "/errors?status=all&environment=staging",
                                 "/errors?status=all&release=shop@2", "/errors?status=all&environment=qa",
                                 f"/errors/{ids['hot']}", f"/errors/{ids['hot']}/related", "/monitors",
                                 *(["/monitors/1"] if who.startswith("admin") else []),  # platform-wide: admins only
                                 "/alerts", "/reports", "/settings", "/status"):
                        if args.paths and path not in args.paths:
                            continue
                        measured = timed(client, path, args.requests)
                        label = path if len(path) <= 44 else "…" + path[-43:]  # the end tells pages apart
                        if measured is None:
                            print(f"{label:<44} {'> 60 s (client gave up)':>26}")
                            continue
                        if len(measured) == 2:
                            print(f"{label:<44} {'answered ' + ' '.join(map(str, measured)):>26}")
                            continue
                        p50, p95, size = measured
                        print(f"{label:<44} {p50:>8.1f} {p95:>8.1f} {size / 1024:>8.1f}")
                    if who.startswith("admin"):
                        latencies = sorted(live_latency(base_url, client.cookies, ids["project"], ids["key"], 20))
                        print(f"capture -> SSE event in an open Overview: p50 {statistics.median(latencies):.1f} ms, "
                              f"max {latencies[-1]:.1f} ms ({len(latencies)} captures)")
        finally:
            stop_minute_jobs()
            web.terminate()
            web.wait(15)


if __name__ == "__main__":
    main()
