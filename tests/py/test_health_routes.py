"""POST /functions/v1/system-health-check and /functions/v1/heartbeat/<token>, served by a Starlette
app built from routes_health.ROUTES with a real pool logged in as pgwarden_web. A thread that
claims health.probe jobs and runs the real handler stands in for `pgwarden worker`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.py.health_support import FakeWorker, client_for, login_as

sys.path.insert(0, str(Path(__file__).parent / "probes"))  # the probe tests' local servers
from servers import ScriptedHttpServer, ScriptedResponse  # noqa: E402

pytest_plugins = ["servers"]

CHECK = "/functions/v1/system-health-check"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with client_for(login_as(database_url, "pgwarden_web")) as test_client:
        yield test_client


@pytest.fixture
def worker(database_url: str) -> Iterator[FakeWorker]:
    fake = FakeWorker(database_url)
    fake.start()
    yield fake
    fake.stopping.set()
    fake.join(10)


@pytest.fixture
def web_health(db, http_server: ScriptedHttpServer) -> ScriptedHttpServer:
    """The seeded API monitor probes {web_url}/health: point web_url (and api_url) at a local server."""
    http_server.script("/health", ScriptedResponse(200, '{"ok": true}'))
    db.execute("SELECT app.health_configure_stack(%s, %s)", [http_server.url, http_server.url])
    return http_server


def test_system_health_check_runs_the_probes_and_answers_in_the_spec_shape(
    client: TestClient, worker: FakeWorker, web_health: ScriptedHttpServer, db
) -> None:
    response = client.post(CHECK, json={"checks": ["api", "database", "webhooks"]})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "overallStatus"}
    assert [(r["service"], r["status"]) for r in body["results"]] == [
        ("api", "healthy"), ("database", "healthy"), ("webhooks", "unknown")]  # no heartbeat ever
    # an error (the reason) only where a service is not healthy
    assert all(set(r) - {"error"} == {"service", "status", "responseTime"} for r in body["results"])
    assert not any("error" in r for r in body["results"] if r["status"] == "healthy")
    assert isinstance(body["results"][0]["responseTime"], int) and isinstance(body["results"][1]["responseTime"], int)
    assert body["overallStatus"] == "healthy"
    assert web_health.request_count("/health") == 1
    recorded = db.execute("SELECT service_name::text, status::text FROM app.health_checks"
                          " WHERE details ? 'run_id' ORDER BY service_name").fetchall()
    assert recorded == [("api", "healthy"), ("database", "healthy"), ("webhooks", "unknown")]


def test_a_failing_service_makes_the_overall_status_unhealthy(
    client: TestClient, worker: FakeWorker, web_health: ScriptedHttpServer
) -> None:
    web_health.script("/health", ScriptedResponse(503, "draining"))

    body = client.post(CHECK, json={"checks": ["api", "database"]}).json()

    assert [r["status"] for r in body["results"]] == ["unhealthy", "healthy"]
    assert body["overallStatus"] == "unhealthy"


def test_without_a_worker_the_answer_comes_after_the_wait_with_unknowns_not_an_error(client: TestClient, db) -> None:
    db.execute("SELECT app.health_setting_set('run_now_max_wait_seconds', '1')")

    response = client.post(CHECK, json={"checks": ["database", "nope"]})

    assert response.status_code == 200
    assert response.json() == {
        "results": [{"service": "database", "status": "unknown", "responseTime": None},
                    {"service": "nope", "status": "unknown", "responseTime": None, "error": "not monitored"}],
        "overallStatus": "unknown"}


def test_without_checks_every_enabled_platform_monitor_runs(client: TestClient, worker: FakeWorker, web_health) -> None:
    body = client.post(CHECK).json()

    assert [r["service"] for r in body["results"]] == ["api", "database", "webhooks", "edge_functions"]


def test_past_the_per_minute_cap_a_check_is_a_429_with_retry_after(client: TestClient, db) -> None:
    db.execute("SELECT app.health_setting_set('run_now_per_minute', '1')")
    db.execute("SELECT app.health_setting_set('run_now_max_wait_seconds', '0')")

    first = client.post(CHECK, json={"checks": ["database"]})
    second = client.post(CHECK, json={"checks": ["database"]})

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["code"] == "QR501"
    assert 1 <= int(second.headers["retry-after"]) <= 60


def test_a_body_over_64_kib_is_refused_before_it_is_read_whole(client: TestClient) -> None:
    body = b"{" + b" " * (64 * 1024) + b"}"
    response = client.post(CHECK, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.json()["code"] == "QV501"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"checks": "api"}', b'{"checks": [1]}',
                                  b'{"checks": [""]}'])
def test_a_malformed_request_is_a_400_with_a_json_error(client: TestClient, body: bytes) -> None:
    response = client.post(CHECK, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["code"] == "QV501"


def test_an_unknown_field_is_a_400_naming_it_and_listing_the_accepted_ones(client: TestClient) -> None:
    response = client.post(CHECK, json={"check": ["api"]})

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["details"]) == ("QV501", "Field: check.")
    assert "checks" in response.json()["hint"]


def test_a_heartbeat_keeps_the_push_monitor_healthy(client: TestClient, db) -> None:
    token = db.execute("SELECT heartbeat_token FROM app.health_monitors WHERE service_name = 'webhooks'").fetchone()[0]

    response = client.post(f"/functions/v1/heartbeat/{token}")

    assert response.status_code == 200
    assert response.json()["service"] == "webhooks"
    assert response.json()["status"] == "healthy"
    assert db.execute("SELECT status::text FROM app.health_monitor_state s JOIN app.health_monitors m"
                      " ON m.id = s.monitor_id WHERE m.service_name = 'webhooks'").fetchone()[0] == "healthy"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_heartbeat_is_also_accepted_by_get_and_head_as_cron_lines_and_uptime_kuma_send_it(
        client: TestClient, db, method: str) -> None:
    token = db.execute("SELECT heartbeat_token FROM app.health_monitors WHERE service_name = 'webhooks'").fetchone()[0]
    db.execute("UPDATE app.health_monitor_state s SET last_heartbeat_at = NULL FROM app.health_monitors m"
               " WHERE m.id = s.monitor_id AND m.service_name = 'webhooks'")

    response = client.request(method, f"/functions/v1/heartbeat/{token}")

    assert response.status_code == 200
    assert db.execute("SELECT s.last_heartbeat_at IS NOT NULL FROM app.health_monitor_state s"
                      " JOIN app.health_monitors m ON m.id = s.monitor_id WHERE m.service_name = 'webhooks'"
                      ).fetchone()[0]


def test_an_unknown_heartbeat_token_is_a_404_with_a_json_error(client: TestClient) -> None:
    response = client.post("/functions/v1/heartbeat/" + "0" * 32)

    assert response.status_code == 404
    assert response.json()["code"] == "QN502"


def test_an_unreachable_database_is_a_503_not_a_500(closed_port: int) -> None:
    with client_for(f"postgresql://pgwarden_web@127.0.0.1:{closed_port}/x", pool_timeout=0.5) as unreachable:
        response = unreachable.post(CHECK, json={"checks": ["api"]})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


def test_pgwarden_web_mounts_the_health_routes(database_url: str, db) -> None:
    from workers.web.app import create_app

    token = db.execute("SELECT heartbeat_token FROM app.health_monitors WHERE service_name = 'webhooks'").fetchone()[0]
    with TestClient(create_app(login_as(database_url, "pgwarden_web"))) as web:
        assert web.post(f"/functions/v1/heartbeat/{token}").status_code == 200
        assert web.post(CHECK, content=b"[]").status_code == 400
