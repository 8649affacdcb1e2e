"""Alerting end to end: how soon a captured critical error reaches Slack, and how much noise a storm
and an outage make. Prints figures; asserts nothing.

1. Latency: 200 critical errors of distinct fingerprints, captured one after another through
   PostgREST (/rpc/capture_error); each timed from the request until a Slack-shaped server on
   127.0.0.1 receives its message (a real `pgwarden worker` delivers it). Then the same 200 as a
   burst from 8 clients at once. Goal p95 < 1 s. Slack pacing (1 message/s per webhook, the
   pace_seconds setting) is set to 0 here: all 200 go to one webhook, which pacing would spread
   over 200 s by design.
2. Storm: 10,000 events of one fingerprint within one minute (capture_errors batches of 100); one
   critical_error rule and one error_spike rule (threshold 1,000 in 5 min) of the organization.
   Prints the messages each rule sent (goal: exactly one each) and when the spike's notice went
   out after the spike fired (group wait 30 s).
3. Correlation: another organization's monitor goes down (a local service answering 503) while its
   errors spike; a health_degraded and an error_spike rule. Prints its incidents (goal: one) and
   what the notice says came first.
4. The minute tick (app.alert_tick, evaluated in SQL) at scale: --tick-orgs organizations with an
   error_spike rule each (in-app), --tick-groups error groups each with per-minute counts over the
   last five minutes and the same hour last week (written straight into app.error_metrics), a
   platform baseline rule judging them all, and --tick-monitors unhealthy monitors under a platform
   health rule waiting 60 min (judged each tick, held). Prints how long ticks take: quiet (nothing
   over a threshold), the tick that opens a spike for half the organizations, the next one (all
   still firing) and the one that clears them. pg_cron's own tick is paused meanwhile.

pg_cron runs in the benchmark database (alerts-tick and health-enqueue-due each minute), so phases
2 and 3 take about three minutes. Runs on a throwaway cluster with the settings `make run` uses.

    .venv/bin/python bench/alerts.py [--alerts 200] [--storm-events 10000] [--skip-storm]
                                     [--tick-orgs 500] [--tick-groups 20] [--tick-monitors 100]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from benchlib import REPO_ROOT, throwaway_database  # noqa: E402
from ingest_http import start_postgrest  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from workers import sql  # noqa: E402

CLIENTS = 8


class Receiver(BaseHTTPRequestHandler):
    """Slack-shaped: 200 `ok` for every message; a monitored service answering 503 on /down."""

    server: Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        arrived = time.monotonic()
        with self.server.lock:
            self.server.received.append((self.path, arrived, json.loads(body).get("text", "")))
        self.answer(200, b"ok")

    def do_GET(self) -> None:  # noqa: N802
        self.answer(503 if self.path == "/down" else 200, b"unavailable" if self.path == "/down" else b"ok")

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Receiver)
        self.lock = threading.Lock()
        self.received: list[tuple[str, float, str]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def arrival(self, path: str, marker: str) -> float | None:
        with self.lock:
            return next((at for got, at, text in self.received if got == path and marker in text), None)

    def messages(self, path: str) -> list[str]:
        with self.lock:
            return [text for got, _, text in self.received if got == path]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def organization(conn: psycopg.Connection, name: str) -> tuple[str, str]:
    """A new organization without a rate limit, with one project: (organization id, project key)."""
    org_id, key = str(uuid.uuid4()), uuid.uuid4().hex
    conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, %s)", [org_id, name])
    conn.execute("INSERT INTO app.projects (organization_id, name, public_key) VALUES (%s, 'shop', %s)", [org_id, key])
    conn.execute("SELECT app.rate_limit_set(%s, 0)", [org_id])
    return org_id, key


def rule(conn: psycopg.Connection, org_id: str, alert_type: str, webhook_url: str,
         conditions: dict | None = None) -> str:
    return str(conn.execute(sql.ALERT_RULE_CREATE, [Jsonb({
        "alert_type": alert_type, "channel": "slack", "webhook_url": webhook_url, "organization_id": org_id,
        "trigger_conditions": conditions or {}})]).fetchone()[0])


def capture_and_time(api: str, key: str, server: Server, path: str, serial: int, client: httpx.Client) -> float | None:
    marker = f"Latency probe {serial} ("
    started = time.monotonic()
    response = client.post(api + "/rpc/capture_error", headers={"X-Pgwarden-Key": key}, json={
        "message": marker[:-2], "error_type": "api", "severity": "critical", "fingerprint": ["latency", serial]})
    response.raise_for_status()
    deadline = started + 30
    while (arrived := server.arrival(path, marker)) is None and time.monotonic() < deadline:
        time.sleep(0.002)
    return None if arrived is None else arrived - started


def print_latencies(label: str, latencies: list[float | None]) -> None:
    received = [value for value in latencies if value is not None]
    if not received:
        print(f"   {label}: nothing arrived")
        return
    print(f"   {label}: p50 {percentile(received, 0.5) * 1000:.0f} ms, p95 {percentile(received, 0.95) * 1000:.0f} ms, "
          f"max {max(received) * 1000:.0f} ms ({len(received)} of {len(latencies)} arrived)", flush=True)


def latency(conn: psycopg.Connection, api: str, server: Server, alerts: int) -> None:
    org_id, key = organization(conn, "Latency")
    rule(conn, org_id, "critical_error", server.url + "/hooks/latency")
    conn.execute("SELECT app.alert_setting_set('pace_seconds', app.alert_setting('pace_seconds') || '{\"slack\": 0}')")
    print(f"1. capture -> Slack, {alerts} critical errors of distinct fingerprints (Slack pacing set to 0)", flush=True)
    with httpx.Client(timeout=30) as client:
        capture_and_time(api, key, server, "/hooks/latency", -1, client)  # (connections and plans warm)
        one_by_one = [capture_and_time(api, key, server, "/hooks/latency", n, client) for n in range(alerts)]
    print_latencies("one after another", one_by_one)

    def burst(serial: int) -> float | None:
        with httpx.Client(timeout=30) as client:
            return capture_and_time(api, key, server, "/hooks/latency", serial, client)

    with ThreadPoolExecutor(CLIENTS) as pool:
        at_once = list(pool.map(burst, range(alerts, 2 * alerts)))
    print_latencies(f"a burst from {CLIENTS} clients", at_once)


def ticks_after(conn: psycopg.Connection, job: str, after: datetime) -> int:
    return conn.execute("""SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                            WHERE j.jobname = %s AND d.status = 'succeeded' AND d.start_time > %s""",
                        [job, after]).fetchone()[0]


def storm_and_outage(conn: psycopg.Connection, api: str, server: Server, events: int) -> None:
    storm_org, storm_key = organization(conn, "Storm")
    critical = rule(conn, storm_org, "critical_error", server.url + "/hooks/storm-critical")
    spike = rule(conn, storm_org, "error_spike", server.url + "/hooks/storm-spike",
                 {"threshold": 1000, "window_minutes": 5})
    outage_org, outage_key = organization(conn, "Outage")
    rule(conn, outage_org, "health_degraded", server.url + "/hooks/outage")
    rule(conn, outage_org, "error_spike", server.url + "/hooks/outage", {"threshold": 200, "window_minutes": 5})
    conn.execute(sql.HEALTH_MONITOR_ADD, [Jsonb({
        "service_name": "checkout", "display_name": "Checkout API", "check_type": "external",
        "target": {"url": server.url + "/down"}, "interval_seconds": 1, "timeout_seconds": 1, "failure_threshold": 2,
        "organization_id": outage_org})])
    conn.execute("SELECT app.health_enqueue_due()")  # (pg_cron continues each minute)

    print(f"2. a storm of {events:,} events of one fingerprint within a minute; 3. an outage and an error spike",
          flush=True)
    batches = [{"events": [{"message": "Cart service unavailable", "error_type": "api", "severity": "critical",
                            "component": "cart"}] * 100} for _ in range(events // 100)]
    started = time.monotonic()
    with httpx.Client(timeout=60) as client:
        client.post(api + "/rpc/capture_errors", headers={"X-Pgwarden-Key": outage_key}, json={"events": [
            {"message": f"Order {n} not saved", "error_type": "database", "component": "checkout"}
            for n in range(300)]}).raise_for_status()
        for number, batch in enumerate(batches):
            time.sleep(max(0.0, started + number * 55 / len(batches) - time.monotonic()))
            response = client.post(api + "/rpc/capture_errors", headers={"X-Pgwarden-Key": storm_key}, json=batch)
            response.raise_for_status()
    storm_end = datetime.now(UTC)
    print(f"   storm sent in {time.monotonic() - started:.0f} s; waiting for the next alert tick and the spike's"
          " 30 s group wait", flush=True)
    deadline = time.monotonic() + 150
    while ticks_after(conn, "alerts-tick", storm_end) == 0 and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(40)

    for label, rule_id, path in (("critical_error rule", critical, "/hooks/storm-critical"),
                                 ("error_spike rule", spike, "/hooks/storm-spike")):
        notifications = conn.execute("""SELECT count(*) FROM app.alert_notifications n
                                          JOIN app.alert_incidents i ON i.id = n.incident_id
                                         WHERE i.rule_id = %s""", [rule_id]).fetchone()[0]
        print(f"   {label}: {len(server.messages(path))} Slack message(s), {notifications} notification(s)")
    # (the spike's timer was enqueued in the transaction that fired it; a signal's started_at is
    # its first event, not that moment)
    waited, late = conn.execute("""
        SELECT extract(epoch FROM min(n.created_at) - min(j.created_at))::float8,
               max(extract(epoch FROM j.finished_at - j.run_at))::float8
          FROM app.alert_incidents i
          JOIN app.alert_notifications n ON n.incident_id = i.id
          JOIN app.job_history j ON j.kind = 'alerts.notify' AND j.payload ->> 'incident_id' = i.id::text
         WHERE i.rule_id = %s""", [spike]).fetchone()
    if waited is not None:
        print(f"   the spike's first notice went out {waited:.1f} s after it fired (group wait 30 s; its timer ran"
              f" {late or 0:.2f} s after it was due)")
    incidents = conn.execute("SELECT count(*) FROM app.alert_incidents WHERE organization_id = %s AND NOT is_test",
                             [outage_org]).fetchone()[0]
    print(f"   outage + error spike: {incidents} incident(s), {len(server.messages('/hooks/outage'))} Slack message(s)")
    said = conn.execute("SELECT app.alert_correlation_text(id) FROM app.alert_incidents WHERE organization_id = %s",
                        [outage_org]).fetchone()
    print(f"   it says: {said[0] if said else '-'}", flush=True)


def timed_tick(conn: psycopg.Connection) -> tuple[float, dict]:
    started = time.perf_counter()
    outcome = conn.execute("SELECT app.alert_tick()").fetchone()[0]
    return (time.perf_counter() - started) * 1000, outcome


def ticks_at_scale(conn: psycopg.Connection, server: Server, orgs: int, groups: int, monitors: int) -> None:
    print(f"4. the minute tick: {orgs} organizations x {groups} error groups ({orgs * groups * 5:,} metric rows in"
          f" the window), {orgs + 1} spike rules, {monitors} monitors", flush=True)
    conn.execute("SELECT cron.alter_job(jobid, active => false) FROM cron.job WHERE jobname = 'alerts-tick'")
    # only this phase's rules, monitors and counts (what the earlier ones left firing is retired silently)
    conn.execute("UPDATE app.health_monitors SET enabled = false")
    conn.execute("DELETE FROM app.error_alerts")
    conn.execute("DELETE FROM app.error_metrics")
    org_ids = [str(uuid.uuid4()) for _ in range(orgs)]
    with conn.transaction():
        conn.execute("INSERT INTO app.organizations (id, name) SELECT o, 'Tick ' || n"
                     " FROM unnest(%s::uuid[]) WITH ORDINALITY AS u (o, n)", [org_ids])
        # 2 events a minute per group, now (10 in the window) as in the same hour last week (120 in it)
        conn.execute("""INSERT INTO app.error_metrics (organization_id, bucket, error_hash, event_count)
                        SELECT o, date_trunc('minute', now()) - make_interval(mins => m), md5(o::text || g), 2
                          FROM unnest(%s::uuid[]) AS o, generate_series(1, %s) g, generate_series(0, 4) m
                        UNION ALL
                        SELECT o, date_trunc('minute', now() - interval '7 days'), md5(o::text || g), 120
                          FROM unnest(%s::uuid[]) AS o, generate_series(1, %s) g""", [org_ids, groups] * 2)
        for org_id in org_ids:  # a threshold just above the window's events
            conn.execute(sql.ALERT_RULE_CREATE, [Jsonb({
                "alert_type": "error_spike", "channel": "in_app", "organization_id": org_id,
                "trigger_conditions": {"threshold": groups * 10 + 1, "window_minutes": 5}})])
        conn.execute(sql.ALERT_RULE_CREATE, [Jsonb({"alert_type": "error_spike", "channel": "in_app",
                                                    "trigger_conditions": {"baseline_factor": 3, "min_count": 50}})])
        conn.execute(sql.ALERT_RULE_CREATE, [Jsonb({"alert_type": "health_degraded", "channel": "in_app",
                                                    "trigger_conditions": {"for_minutes": 60}})])
        for n in range(monitors):
            monitor = conn.execute(sql.HEALTH_MONITOR_ADD, [Jsonb({
                "service_name": f"tick-{n}", "display_name": f"Tick {n}", "check_type": "external",
                "target": {"url": server.url + "/down"}, "interval_seconds": 300, "failure_threshold": 1,
                "organization_id": org_ids[n % orgs]})]).fetchone()[0]
            conn.execute("SELECT app.health_record_observation(%s, %s)",
                         [monitor, Jsonb({"reachable": False, "error": "connection refused"})])
    conn.execute("ANALYZE app.error_metrics")  # (as autovacuum soon would: planned for its real size)
    unhealthy = conn.execute("SELECT count(*) FROM app.health_monitor_state s JOIN app.health_monitors m"
                             " ON m.id = s.monitor_id WHERE m.enabled AND s.status = 'unhealthy'").fetchone()[0]
    print(f"   ({unhealthy} monitors unhealthy, judged and held by a health rule waiting 60 min)")

    quiet = [timed_tick(conn) for _ in range(5)]
    print(f"   quiet (nothing over a threshold): median {statistics.median(ms for ms, _ in quiet):.0f} ms,"
          f" max {max(ms for ms, _ in quiet):.0f} ms over 5 ticks; {quiet[-1][1]}")
    conn.execute("""UPDATE app.error_metrics SET event_count = event_count + 1
                     WHERE organization_id = ANY (%s) AND bucket = date_trunc('minute', now())""",
                 [org_ids[: orgs // 2]])
    for label in ("opening a spike for half of them", "all still firing (no notice due)"):
        ms, outcome = timed_tick(conn)
        print(f"   {label}: {ms:.0f} ms; {outcome}")
    conn.execute("DELETE FROM app.error_metrics WHERE organization_id = ANY (%s)", [org_ids])
    ms, outcome = timed_tick(conn)
    print(f"   clearing them all: {ms:.0f} ms; {outcome}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=200, help="critical errors timed to Slack")
    parser.add_argument("--storm-events", type=int, default=10000, help="events of one fingerprint in a minute")
    parser.add_argument("--skip-storm", action="store_true", help="no storm and outage (no pg_cron wait)")
    parser.add_argument("--tick-orgs", type=int, default=500, help="organizations, each with a spike rule")
    parser.add_argument("--tick-groups", type=int, default=20, help="error groups per organization")
    parser.add_argument("--tick-monitors", type=int, default=100, help="unhealthy monitors judged each tick")
    args = parser.parse_args()

    server = Server()
    with throwaway_database(cron=True) as (cluster, url), tempfile.TemporaryDirectory() as run_dir:
        Path(run_dir).chmod(0o755)
        postgrest, port = start_postgrest(url, Path(run_dir))
        env = {**os.environ, "PGWARDEN_WORKER_DATABASE_URL": cluster.url("bench", user="pgwarden_worker")}
        worker = subprocess.Popen([sys.executable, "-m", "workers", "worker", "--kinds",
                                   "alerts.deliver,alerts.notify,health.probe"], cwd=REPO_ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("UPDATE app.health_monitors SET enabled = false")  # the seeds would probe absent services
                api = f"http://127.0.0.1:{port}"
                latency(conn, api, server, args.alerts)
                if not args.skip_storm:
                    storm_and_outage(conn, api, server, args.storm_events)
                ticks_at_scale(conn, server, args.tick_orgs, args.tick_groups, args.tick_monitors)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
            postgrest.terminate()
            postgrest.wait(10)
            server.shutdown()


if __name__ == "__main__":
    main()
