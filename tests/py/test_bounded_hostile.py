"""No single client can slow another's captures to failure: hostile requests (a 5 MB stack trace,
a 20 MiB webhook body, a 5,000-item envelope, ...) are answered by the bounds in front of the
database, while a well-behaved client keeps capturing through PostgREST and pgwarden web over the
same database, and every one of its captures is stored. (bench/hostile.py prints how long each
hostile request takes and the other client's latency meanwhile.)"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from web_server import Project, WebServer

from tests.conftest import running_postgrest

pytest_plugins = ["web_server"]

MB = 1_000_000
FRAME = "\n    at render (https://shop.test/static/app.js:10:5)"


@pytest.fixture(scope="module")
def api_url(web_server: WebServer) -> Iterator[str]:
    """PostgREST over the web process's database: one system, both front doors."""
    with running_postgrest(web_server.database_url) as (base_url, _secret):
        yield base_url


def envelope(event: dict) -> bytes:
    payload = json.dumps(event).encode()
    return b"{}\n" + json.dumps({"type": "event", "length": len(payload)}).encode() + b"\n" + payload + b"\n"


def sentry_auth(project: Project) -> dict[str, str]:
    return {"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"}


def stack_trace(size: int) -> str:
    return "TypeError: boom" + FRAME * (size // len(FRAME))


def hostile_requests(api_url: str, web: WebServer, project: Project, webhook_secret: str) -> dict[str, tuple]:
    """Each hostile request, as (method, url, keyword arguments for httpx)."""
    key = {"X-Pgwarden-Key": project.public_key, "Content-Type": "application/json"}
    five_mb = json.dumps({"message": "TypeError: boom", "stack_trace": stack_trace(5 * MB)}).encode()

    def chunked() -> Iterator[bytes]:
        yield from (five_mb[i:i + 65536] for i in range(0, len(five_mb), 65536))

    items = b"".join(b'{"type":"session"}\n{"sid":"s%d","status":"ok"}\n' % n for n in range(5000))
    # just under the web process's 20 MiB body limit once JSON escapes the newlines
    webhook_stack = stack_trace(20 * 1024 * 1024 * 97 // 100)
    webhook = {"source": "custom", "error": {"message": "webhook boom", "stack": webhook_stack}}
    return {
        "5 MB stack trace": ("POST", f"{api_url}/rpc/capture_error", {"content": five_mb, "headers": key}),
        "5 MB stack trace, chunked": ("POST", f"{api_url}/rpc/capture_error", {"content": chunked(), "headers": key}),
        "1 MB stack trace": ("POST", f"{api_url}/rpc/capture_error",
                             {"json": {"message": "TypeError: boom", "stack_trace": stack_trace(MB)},
                              "headers": key}),
        "numbers printing 131,072 digits": ("POST", f"{api_url}/rpc/capture_error",
                                            {"content": b'{"message": "n", "metadata": {"n": [' + b",".join(
                                                [b"1e131071"] * 1000) + b"]}}", "headers": key}),
        "20 MiB webhook body": ("POST", f"{web.base_url}/functions/v1/error-webhook",
                                {"json": webhook, "headers": {"Authorization": f"Bearer {webhook_secret}"}}),
        "5,000-item envelope": ("POST", f"{web.base_url}/api/{project.id}/envelope/",
                                {"content": b"{}\n" + items, "headers": sentry_auth(project)}),
    }


EXPECTED = {
    "5 MB stack trace": 413,  # over the 1 MiB body limit, refused before PostgreSQL parses it
    "5 MB stack trace, chunked": 411,  # no size to check: refused
    "1 MB stack trace": 200,  # under the limit: stored, cut to 65,536 characters
    "numbers printing 131,072 digits": 400,
    "20 MiB webhook body": 200,  # stored, its stack cut before the database parsed it
    "5,000-item envelope": 413,
}


def test_hostile_requests_are_bounded_while_another_client_keeps_capturing(web_server: WebServer, api_url: str):
    hostile = web_server.new_project("hostile")
    steady = web_server.new_project("steady")
    web_server.query("SELECT app.rate_limit_set(%s, 0)", [steady.organization_id])
    [(webhook_secret,)] = web_server.query("SELECT app.webhook_secret_rotate(%s)", [hostile.id])
    hostile_done = threading.Event()
    steady_answers: list[tuple[str, int]] = []

    def steady_client() -> None:
        with httpx.Client(timeout=60) as client:
            serial = 0
            while not hostile_done.is_set() or serial < 20:
                serial += 1
                rpc = client.post(f"{api_url}/rpc/capture_error",
                                  json={"error_type": "javascript", "message": f"steady rpc {serial}",
                                        "stack_trace": "TypeError: x" + FRAME},
                                  headers={"X-Pgwarden-Key": steady.public_key})
                sentry = client.post(f"{web_server.base_url}/api/{steady.id}/envelope/",
                                     content=envelope({"message": f"steady sentry {serial}", "level": "error"}),
                                     headers=sentry_auth(steady))
                steady_answers.extend([("rpc", rpc.status_code), ("envelope", sentry.status_code)])

    steady_thread = threading.Thread(target=steady_client)
    steady_thread.start()
    requests = hostile_requests(api_url, web_server, hostile, webhook_secret)
    with ThreadPoolExecutor(len(requests)) as pool, httpx.Client(timeout=120) as client:
        futures = {name: pool.submit(client.request, method, url, **options)
                   for name, (method, url, options) in requests.items()}
        answers = {name: future.result().status_code for name, future in futures.items()}
    hostile_done.set()
    steady_thread.join(120)

    assert answers == EXPECTED
    assert len(steady_answers) >= 40
    assert {status for _, status in steady_answers} == {200}
    [(stored,)] = web_server.query("SELECT count(*) FROM app.error_events WHERE organization_id = %s",
                                   [steady.organization_id])
    assert stored == len(steady_answers)
    [(longest,)] = web_server.query("SELECT max(length(stack_trace)) FROM app.error_events WHERE organization_id = %s",
                                    [hostile.organization_id])
    assert longest == 65536
