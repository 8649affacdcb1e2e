"""Health checks waiting on a slow monitor leave Sentry ingest alone: POST /functions/v1/system-health-check
waits up to half a minute for probe results, and used to hold one of the web process's four ingest
connections while it did; four such requests made every Sentry request answer 503. A real
`pgwarden web`, a real local HTTP server that answers slowly, and the real probe handler."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from web_server import WebServer

from tests.py.health_support import FakeWorker

sys.path.insert(0, str(Path(__file__).parent / "probes"))  # the probe tests' local servers
from servers import ScriptedHttpServer, ScriptedResponse  # noqa: E402

pytest_plugins = ["web_server", "servers"]

CHECK = "/functions/v1/system-health-check"
CONCURRENT_CHECKS = 8  # twice the web process's ingest pool
SLOW_SECONDS = 10  # long enough to send every envelope while the checks wait


def envelope(message: str) -> bytes:
    payload = json.dumps({"message": message, "level": "error"}).encode()
    return b"{}\n" + json.dumps({"type": "event", "length": len(payload)}).encode() + b"\n" + payload + b"\n"


def test_sentry_ingest_answers_every_envelope_while_health_checks_wait_on_a_slow_monitor(
    web_server: WebServer, http_server: ScriptedHttpServer
) -> None:
    # the API monitor probes {web_url}/health: here a server that takes SLOW_SECONDS to answer
    http_server.script("/health", ScriptedResponse(200, '{"ok": true}', delay_seconds=SLOW_SECONDS))
    web_server.query("SELECT app.health_configure_stack(%s, %s)", [http_server.url, http_server.url])
    web_server.query("UPDATE app.health_monitors SET timeout_seconds = 20 WHERE service_name = 'api' RETURNING id")
    # requests coalesce within a time bucket (10 s by default); on a loaded machine the eight may
    # straddle a bucket's end and rightly get two probes, so the bucket is made an hour long here
    web_server.query("""INSERT INTO app.health_settings (key, value, description)
                        VALUES ('run_now_coalesce_seconds', '3600', 'test') ON CONFLICT (key)
                        DO UPDATE SET value = excluded.value RETURNING key""")
    project = web_server.new_project()
    worker = FakeWorker(web_server.database_url)
    worker.start()
    try:
        with ThreadPoolExecutor(CONCURRENT_CHECKS) as pool:
            checks = [pool.submit(httpx.post, web_server.base_url + CHECK, json={"checks": ["api"]}, timeout=60)
                      for _ in range(CONCURRENT_CHECKS)]
            deadline = time.monotonic() + 30
            while http_server.request_count("/health") == 0 and time.monotonic() < deadline:
                time.sleep(0.05)  # the probe is under way: every check is waiting now
            assert http_server.request_count("/health") == 1

            auth = {"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"}
            ingest = [httpx.post(f"{web_server.base_url}/api/{project.id}/envelope/", content=envelope(f"during {n}"),
                                 headers=auth, timeout=30).status_code for n in range(40)]
            still_waiting = sum(not check.done() for check in checks)
            answers = [check.result() for check in checks]
    finally:
        worker.stopping.set()
        worker.join(10)

    assert ingest == [200] * 40
    assert still_waiting == CONCURRENT_CHECKS  # (the envelopes were sent while every check waited)
    assert [answer.status_code for answer in answers] == [200] * CONCURRENT_CHECKS
    assert {answer.json()["results"][0]["status"] for answer in answers} == {"healthy"}
    assert http_server.request_count("/health") == 1  # concurrent checks of one service share one probe
