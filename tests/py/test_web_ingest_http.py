"""`pgwarden web` over HTTP with hand-built requests: the answers SDKs read (status, headers, CORS),
every item type, and bad input refused with a 4xx and nothing stored."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import shutil
import zlib

import httpx
import pytest
from web_server import Project, WebServer, scratch_dir

from workers.web.errors import RETRY_AFTER_SECONDS

pytest_plugins = ["web_server"]

BROWSER_EVENT = {
    "event_id": "678f7192607b49f4af7736d8a7acd03f", "timestamp": 1795874289.98, "platform": "javascript",
    "level": "error",
    "exception": {"values": [{"type": "Error", "value": "Payment widget failed to mount",
                              "mechanism": {"type": "onerror", "handled": False},
                              "stacktrace": {"frames": [
                                  {"filename": "https://shop.example.com/app.js", "function": "mount", "in_app": True,
                                   "lineno": 24, "colno": 68}]}}]},
    "request": {"url": "https://shop.example.com/checkout?step=2",
                "headers": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36"}},
    "breadcrumbs": [{"timestamp": 1795874289.949, "category": "ui.click", "message": "button#b"}],
    "release": "shop-frontend@2.3.0", "environment": "production",
}


def envelope(*items: tuple[dict, dict | bytes], headers: dict | None = None) -> bytes:
    lines = [json.dumps(headers or {})]
    for item_headers, payload in items:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        lines.append(json.dumps(item_headers))
        lines.append(raw.decode("latin-1"))
    return ("\n".join(lines) + "\n").encode("latin-1")


def post(server: WebServer, project: Project, body: bytes, *, path: str | None = None, key: str | None = None,
         headers: dict | None = None) -> httpx.Response:
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={key or project.public_key}, sentry_version=7"}
    return httpx.post(server.base_url + (path or f"/api/{project.id}/envelope/"), content=body,
                      headers={**auth, **(headers or {})}, timeout=30)


def stored_errors(server: WebServer, project: Project) -> int:
    [(count,)] = server.query("SELECT count(*) FROM app.system_errors WHERE organization_id = %s",
                              [project.organization_id])
    return count


@pytest.fixture
def project(web_server) -> Project:
    return web_server.new_project()


def test_browser_style_request_text_plain_query_auth_no_length_float_timestamp(web_server, project):
    body = envelope(({"type": "event"}, BROWSER_EVENT), headers={"event_id": BROWSER_EVENT["event_id"]})
    response = httpx.post(f"{web_server.base_url}/api/{project.id}/envelope/?sentry_version=7&sentry_key="
                          f"{project.public_key}&sentry_client=sentry.javascript.browser%2F11.12.0",
                          content=body, headers={"Content-Type": "text/plain;charset=UTF-8",
                                                 "Origin": "https://shop.example.com"})
    assert response.status_code == 200
    assert response.json() == {"id": BROWSER_EVENT["event_id"]}
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-sentry-rate-limits" in response.headers["access-control-expose-headers"]
    [row] = web_server.query(
        "SELECT error_type::text, message, url, user_agent, file_path, line_number, column_number, "
        "       metadata->>'release' FROM app.system_errors WHERE organization_id = %s", [project.organization_id])
    assert row == ("javascript", "Error: Payment widget failed to mount", "https://shop.example.com/checkout?step=2",
                   BROWSER_EVENT["request"]["headers"]["User-Agent"], "https://shop.example.com/app.js", 24, 68,
                   "shop-frontend@2.3.0")


def test_preflight_answers_like_relay(web_server, project):
    response = httpx.options(f"{web_server.base_url}/api/{project.id}/envelope/",
                             headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "x-sentry-auth" in response.headers["access-control-allow-headers"]
    assert response.headers["access-control-expose-headers"] == "x-sentry-error, x-sentry-rate-limits, retry-after"


def test_dsn_path_prefix_and_store_endpoint_with_base64_zlib_body(web_server, project):
    event = {"event_id": "a" * 32, "message": "legacy client says hi", "level": "info"}
    prefixed = post(web_server, project, envelope(({"type": "event"}, {**event, "event_id": "b" * 32})),
                    path=f"/sentry/eu/api/{project.id}/envelope/")
    stored = post(web_server, project, base64.b64encode(zlib.compress(json.dumps(event).encode())),
                  path=f"/api/{project.id}/store/")
    assert (prefixed.status_code, stored.status_code, stored.json()) == (200, 200, {"id": "a" * 32})
    [(count,)] = web_server.query("SELECT occurrence_count FROM app.system_errors WHERE organization_id = %s",
                                  [project.organization_id])
    assert count == 2


def test_non_error_items_are_counted_where_admins_can_see_them(web_server, project):
    body = envelope(
        ({"type": "session"}, {"sid": "s1", "init": True, "started": "2026-11-28T13:58:01.988Z", "status": "ok",
                               "attrs": {"release": "shop@2", "environment": "production"}}),
        ({"type": "session"}, {"sid": "s2", "init": True, "started": 1795874289.5, "status": "crashed",
                               "errors": 1, "attrs": {"release": "shop@2", "environment": "production"}}),
        ({"type": "sessions"}, {"attrs": {"release": "shop@2", "environment": "production"},
                                "aggregates": [{"started": "2026-11-28T13:57:00Z", "exited": 6, "errored": 1}]}),
        ({"type": "client_report"}, {"discarded_events": [{"reason": "sample_rate", "category": "error",
                                                           "quantity": 5}]}),
        ({"type": "check_in"}, {"check_in_id": "c" * 32, "monitor_slug": "nightly-import", "status": "ok",
                                "duration": 12.5}),
        ({"type": "transaction"}, {"type": "transaction", "spans": []}),
        ({"type": "attachment", "length": 5}, b"\x00\x01\n\x02\x03"),
        ({"type": "some_future_item"}, {"x": 1}),
    )
    assert post(web_server, project, body).json() == {}
    assert web_server.query(
        "SELECT sessions, errored, crashed, crash_free_percent::float FROM api.release_health "
        "WHERE project_id = %s", [project.id]) == [(9, 1, 1, 88.89)]
    assert web_server.query("SELECT reason, category, quantity FROM app.client_discards WHERE project_id = %s",
                            [project.id]) == [("sample_rate", "error", 5)]
    assert web_server.query("SELECT monitor_slug, status, duration_seconds FROM app.cron_check_ins "
                            "WHERE project_id = %s", [project.id]) == [("nightly-import", "ok", 12.5)]
    assert dict(web_server.query("SELECT item_type, quantity FROM app.dropped_items WHERE project_id = %s",
                                 [project.id])) == {"transaction": 1, "attachment": 1, "some_future_item": 1}


@pytest.mark.parametrize("case", ["not json", "item header without type", "truncated item", "event not an object",
                                  "bad encoding", "truncated gzip", "bad base64 store body"])
def test_malformed_bodies_get_400_and_store_nothing(web_server, project, case):
    good = envelope(({"type": "event"}, {"message": "should not be stored"}))
    bodies = {
        "not json": (b"this is not an envelope\n", {}, None),
        "item header without type": (b'{}\n{"length": 2}\n{}\n', {}, None),
        "truncated item": (b'{}\n{"type":"event","length":500}\n{"message":"x"}\n', {}, None),
        "event not an object": (b'{}\n{"type":"event"}\n["a list"]\n', {}, None),
        "bad encoding": (good, {"Content-Encoding": "snappy"}, None),
        "truncated gzip": (gzip.compress(good)[:-12], {"Content-Encoding": "gzip"}, None),
        "bad base64 store body": (b"%%%not base64%%%", {}, f"/api/{project.id}/store/"),
    }
    body, headers, path = bodies[case]
    response = post(web_server, project, body, headers=headers, path=path)
    assert response.status_code == 400
    assert response.json()["message"] and response.headers["x-sentry-error"]
    assert stored_errors(web_server, project) == 0


def test_credentials_are_checked_by_the_database_and_unknown_projects_look_like_foreign_ones(web_server, project):
    other = web_server.new_project("other")
    body = envelope(({"type": "event"}, {"message": "should not be stored"}))
    wrong_key = post(web_server, project, body, key=other.public_key)
    unknown_project = post(web_server, project, body, path="/api/987654321/envelope/")
    no_auth = httpx.post(f"{web_server.base_url}/api/{project.id}/envelope/", content=body)
    malformed_key = post(web_server, project, body, key="not-a-key")
    assert (wrong_key.status_code, wrong_key.json()["code"]) == (403, "QA601")
    # a stranger cannot tell a project that does not exist from one whose key is not theirs
    assert (unknown_project.status_code, unknown_project.json()["code"]) == (403, "QA601")
    assert set(unknown_project.json()) == set(wrong_key.json()) == {"code", "message", "details", "hint"}
    assert unknown_project.json()["message"] == wrong_key.json()["message"]
    assert no_auth.status_code == 401 and malformed_key.status_code == 400
    assert wrong_key.headers["access-control-allow-origin"] == "*"
    assert stored_errors(web_server, project) == stored_errors(web_server, other) == 0


def test_zip_bomb_and_oversized_event_get_413_and_store_nothing(web_server, project):
    bomb = gzip.compress(envelope(({"type": "event"}, {"message": "x" * (64 * 1024 * 1024)})), 9)
    oversized = envelope(({"type": "event"}, {"message": "y" * (1024 * 1024 + 10)}))
    assert len(bomb) < 200 * 1024
    assert post(web_server, project, bomb, headers={"Content-Encoding": "gzip"}).status_code == 413
    assert post(web_server, project, oversized).status_code == 413
    assert stored_errors(web_server, project) == 0


def test_concurrent_requests_each_get_their_own_answer(web_server, project):
    intruder = web_server.new_project("intruder")

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=web_server.base_url, timeout=30) as client:
            def request(n: int):
                key = intruder.public_key if n == 7 else project.public_key
                event_id = f"{n:032x}"
                body = envelope(({"type": "event"}, {"event_id": event_id, "message": f"order {n} failed"}),
                                headers={"event_id": event_id})
                return client.post(f"/api/{project.id}/envelope/", content=body,
                                   headers={"X-Sentry-Auth": f"Sentry sentry_key={key}"})
            return await asyncio.gather(*(request(n) for n in range(40)))

    responses = asyncio.run(send_all())
    assert [r.status_code for r in responses] == [403 if n == 7 else 200 for n in range(40)]
    assert [r.json().get("id") for n, r in enumerate(responses) if n != 7] == [f"{n:032x}" for n in range(40) if n != 7]
    # every accepted event was counted exactly once
    assert web_server.query("SELECT sum(occurrence_count)::int FROM app.system_errors WHERE organization_id = %s",
                            [project.organization_id]) == [(39,)]


def test_database_down_gives_503_with_retry_after_and_health_says_so():
    log_dir = scratch_dir("pgwarden-web-down-")
    unreachable = "postgresql://pgwarden_web@127.0.0.1:1/pgwarden?connect_timeout=1"
    server = WebServer(unreachable, unreachable, log_dir)
    try:
        server.wait_until_listening()
        body = envelope(({"type": "event"}, {"message": "nobody home"}))
        response = httpx.post(f"{server.base_url}/api/1/envelope/", content=body, timeout=30,
                              headers={"X-Sentry-Auth": "Sentry sentry_key=" + "0" * 32})
        assert response.status_code == 503 and int(response.headers["retry-after"]) > 0
        # every route says so in the one error shape, with the registered code and the one Retry-After
        answers = [response,
                   httpx.post(f"{server.base_url}/functions/v1/error-webhook", json={"source": "custom"}, timeout=30,
                              headers={"Authorization": "Bearer " + "0" * 32}),
                   httpx.post(f"{server.base_url}/functions/v1/system-health-check", json={}, timeout=30)]
        for answer in answers:
            assert answer.status_code == 503, answer.request.url
            assert answer.json() == {"code": "QR003", "message": "database unavailable", "details": None,
                                     "hint": "Try again shortly."}
            assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        health = httpx.get(server.base_url + "/health", timeout=30)
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        assert health.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    finally:
        server.stop()
        shutil.rmtree(log_dir, ignore_errors=True)


def test_health_reports_a_reachable_database(web_server):
    response = httpx.get(web_server.base_url + "/health")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}
