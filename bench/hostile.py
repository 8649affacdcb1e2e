"""Hostile requests against a real stack: how long each takes to be answered (goal: under 1 s), and
the latency of a steady client capturing meanwhile (single captures through PostgREST and Sentry
envelopes through pgwarden web, one after the other), against the same client alone.

The hostile requests, each sent REPEAT times one after the other: a 5 MB stack trace to
/rpc/capture_error (plain and chunked), a 1 MB one (under the body limit: stored, cut), a thousand
numbers that PostgreSQL would print as 131,072 digits each, a 16 KB message of key=value pairs and
one of key word, value pairs, 128 KB stack traces of key=value pairs and of card numbers (what the
scrubbers read of a stack trace, all of it to replace), a 20 MiB webhook body, a 5,000-item
envelope, a 1 MiB Sentry event of 4,000 frames; then eight concurrent system-health-checks waiting
on a monitor that answers in 10 s.

    .venv/bin/python bench/hostile.py [--repeat 3] [--baseline-seconds 5]

It starts its own stack (temp data dir, free ports) and stops it afterwards. No assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psycopg
from benchlib import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
PGWARDEN = [sys.executable, "-m", "workers"]
MB = 1_000_000
FRAME = "\n    at render (https://shop.test/static/app.js:10:5)"
SLOW_MONITOR_SECONDS = 10


def stack_trace(size: int) -> str:
    return "TypeError: boom" + FRAME * (size // len(FRAME))


def card_numbers(size: int) -> str:
    """Distinct Visa numbers passing the Luhn check, space-separated, `size` characters in all."""
    cards = []
    for serial in range(size // 17 + 1):
        body = f"4{serial * 7919:014d}"
        total = sum(int(d) if i % 2 else (2 * int(d)) % 10 + (2 * int(d)) // 10 for i, d in enumerate(reversed(body)))
        cards.append(body + str(-total % 10))
    return " ".join(cards)[:size]


def envelope(event: dict) -> bytes:
    payload = json.dumps(event).encode()
    return b"{}\n" + json.dumps({"type": "event", "length": len(payload)}).encode() + b"\n" + payload + b"\n"


class SteadyClient(threading.Thread):
    """Alternates a single capture through PostgREST and an envelope through pgwarden web, each
    waiting for the previous answer; records (time sent, seconds, status) per request."""

    def __init__(self, api: str, web: str, project_id: int, key: str):
        super().__init__(daemon=True)
        self.api, self.web, self.project_id, self.key = api, web, project_id, key
        self.stopping = threading.Event()
        self.samples: list[tuple[float, float, int]] = []

    def run(self) -> None:
        serial = 0
        with httpx.Client(timeout=120) as client:
            while not self.stopping.is_set():
                serial += 1
                for send in (self.capture, self.sentry_event):
                    started = time.monotonic()
                    status = send(client, serial)
                    self.samples.append((started, time.monotonic() - started, status))

    def capture(self, client: httpx.Client, serial: int) -> int:
        return client.post(f"{self.api}/rpc/capture_error", headers={"X-Pgwarden-Key": self.key},
                           json={"error_type": "javascript", "message": f"steady {serial}",
                                 "stack_trace": "TypeError: steady" + FRAME}).status_code

    def sentry_event(self, client: httpx.Client, serial: int) -> int:
        return client.post(f"{self.web}/api/{self.project_id}/envelope/",
                           headers={"X-Sentry-Auth": f"Sentry sentry_key={self.key}, sentry_version=7"},
                           content=envelope({"message": f"steady sentry {serial}", "level": "error"})).status_code

    def summary(self, since: float, until: float) -> str:
        samples = [(seconds, status) for started, seconds, status in self.samples if since <= started < until]
        if not samples:
            return "no requests"
        times = sorted(seconds * 1000 for seconds, _ in samples)
        statuses = {status for _, status in samples}
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        return (f"{len(samples)} requests, statuses {sorted(statuses)}, p50 {statistics.median(times):.0f} ms, "
                f"p95 {p95:.0f} ms, max {times[-1]:.0f} ms")


def hostile_requests(api: str, web: str, project_id: int, key: str, webhook_secret: str) -> dict[str, dict]:
    """name -> httpx.request arguments (content given as a function, so a generator is fresh each time)."""
    rpc = {"X-Pgwarden-Key": key, "Content-Type": "application/json"}
    five_mb = json.dumps({"message": "TypeError: boom", "stack_trace": stack_trace(5 * MB)}).encode()
    one_mb = json.dumps({"message": "TypeError: boom", "stack_trace": stack_trace(MB)}).encode()
    numbers = b'{"message": "n", "metadata": {"n": [' + b",".join([b"1e131071"] * 1000) + b"]}}"
    pairs = json.dumps({"message": "login failed " + "auth=x " * 2300}).encode()
    spaced_pairs = json.dumps({"message": "login failed " + "token a1b2c3d4 " * 1100}).encode()
    stack_of_pairs = json.dumps({"message": "TypeError: boom", "stack_trace": "password=x " * 12000}).encode()
    stack_of_cards = json.dumps({"message": "TypeError: boom", "stack_trace": card_numbers(131072)}).encode()
    webhook = json.dumps({"source": "custom", "error": {"message": "webhook boom",
                                                        "stack": stack_trace(20 * 1024 * 1024 * 97 // 100)}}).encode()
    items = b"{}\n" + b"".join(b'{"type":"session"}\n{"sid":"s%d","status":"ok"}\n' % n for n in range(5000))
    frames = [{"filename": f"app{n}.js", "function": f"f{n}", "lineno": n, "in_app": True, "vars": {"x": "y" * 100}}
              for n in range(4000)]
    big_event = envelope({"exception": {"values": [{"type": "Error", "value": "boom",
                                                    "stacktrace": {"frames": frames}}]}})
    sentry = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}

    def chunks(body: bytes) -> Iterator[bytes]:
        yield from (body[i:i + 65536] for i in range(0, len(body), 65536))

    return {
        "5 MB stack trace, /rpc/capture_error": {"url": f"{api}/rpc/capture_error", "headers": rpc,
                                                 "content": lambda: five_mb},
        "5 MB stack trace, chunked": {"url": f"{api}/rpc/capture_error", "headers": rpc,
                                      "content": lambda: chunks(five_mb)},
        "1 MB stack trace": {"url": f"{api}/rpc/capture_error", "headers": rpc, "content": lambda: one_mb},
        "1,000 numbers of 131,072 digits": {"url": f"{api}/rpc/capture_error", "headers": rpc,
                                            "content": lambda: numbers},
        "16 KB of key=value pairs": {"url": f"{api}/rpc/capture_error", "headers": rpc, "content": lambda: pairs},
        "16 KB of key word, value pairs": {"url": f"{api}/rpc/capture_error", "headers": rpc,
                                           "content": lambda: spaced_pairs},
        "128 KB stack trace of pairs": {"url": f"{api}/rpc/capture_error", "headers": rpc,
                                        "content": lambda: stack_of_pairs},
        "128 KB stack trace of card numbers": {"url": f"{api}/rpc/capture_error", "headers": rpc,
                                               "content": lambda: stack_of_cards},
        "20 MiB webhook body": {"url": f"{web}/functions/v1/error-webhook", "content": lambda: webhook,
                                "headers": {"Authorization": f"Bearer {webhook_secret}",
                                            "Content-Type": "application/json"}},
        "5,000-item envelope": {"url": f"{web}/api/{project_id}/envelope/", "headers": sentry,
                                "content": lambda: items},
        "1 MiB event of 4,000 frames": {"url": f"{web}/api/{project_id}/envelope/", "headers": sentry,
                                        "content": lambda: big_event},
    }


class SlowHealth(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        time.sleep(SLOW_MONITOR_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


def health_checks_on_a_slow_monitor(database_url: str, web: str, checks: int) -> tuple[list[int], float]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHealth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    slow_url = f"http://127.0.0.1:{server.server_address[1]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT app.health_configure_stack(%s, %s)", [slow_url, slow_url])
        conn.execute("UPDATE app.health_monitors SET timeout_seconds = 20 WHERE service_name = 'api'")
    started = time.monotonic()
    with ThreadPoolExecutor(checks) as pool:
        answers = list(pool.map(lambda _: httpx.post(f"{web}/functions/v1/system-health-check",
                                                     json={"checks": ["api"]}, timeout=60).status_code,
                                range(checks)))
    server.shutdown()
    return answers, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="times each hostile request is sent")
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="pgwarden-bench-"))
    data_dir.chmod(0o755)
    api_port, web_port = free_port(), free_port()
    env = {**os.environ, "PGWARDEN_DATA_DIR": str(data_dir), "PGWARDEN_PG_PORT": str(free_port()),
           "PGWARDEN_API_PORT": str(api_port), "PGWARDEN_WEB_PORT": str(web_port),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("PGWARDEN_DATABASE_URL", None)
    api, web = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{web_port}"
    try:
        subprocess.run([*PGWARDEN, "stack", "up"], env=env, check=True, capture_output=True, cwd=REPO_ROOT)
        database_url = subprocess.run([*PGWARDEN, "db", "url"], env=env, capture_output=True, text=True, check=True,
                                      cwd=REPO_ROOT).stdout.strip()
        with psycopg.connect(database_url, autocommit=True) as conn:
            projects = {}
            for name in ("steady", "hostile"):
                (org_id,) = conn.execute("INSERT INTO app.organizations (name) VALUES (%s) RETURNING id",
                                         [name]).fetchone()
                projects[name] = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, %s)"
                                              " RETURNING id, public_key", [org_id, name]).fetchone()
                conn.execute("SELECT app.rate_limit_set(%s, 0)", [org_id])
            (webhook_secret,) = conn.execute("SELECT app.webhook_secret_rotate(%s)",
                                             [projects["hostile"][0]]).fetchone()

        steady = SteadyClient(api, web, *projects["steady"])
        steady.start()
        time.sleep(1)  # warm up
        baseline_from = time.monotonic()
        time.sleep(args.baseline_seconds)
        hostile_from = time.monotonic()
        print(f"hostile: steady client alone:       {steady.summary(baseline_from, hostile_from)}")
        with httpx.Client(timeout=120) as client:
            for name, request in hostile_requests(api, web, *projects["hostile"], webhook_secret).items():
                times, statuses = [], set()
                for _ in range(args.repeat):
                    started = time.monotonic()
                    statuses.add(client.post(request["url"], headers=request["headers"],
                                             content=request["content"]()).status_code)
                    times.append(time.monotonic() - started)
                print(f"  {name:<38} answered {'/'.join(map(str, sorted(statuses)))} in "
                      f"{statistics.median(times):.2f} s (median of {args.repeat}, max {max(times):.2f} s)")
        checks_from = time.monotonic()
        print(f"  steady client meanwhile:           {steady.summary(hostile_from, checks_from)}")
        answers, took = health_checks_on_a_slow_monitor(database_url, web, 8)
        print(f"  8 health checks on a {SLOW_MONITOR_SECONDS} s monitor     answered "
              f"{'/'.join(map(str, sorted(set(answers))))} after {took:.1f} s")
        print(f"  steady client meanwhile:           {steady.summary(checks_from, time.monotonic())}")
        steady.stopping.set()
        steady.join(120)
    finally:
        subprocess.run([*PGWARDEN, "stack", "down"], env=env, capture_output=True, cwd=REPO_ROOT)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
