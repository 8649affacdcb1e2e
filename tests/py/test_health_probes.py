"""Each probe type against a real local server, through the real health.probe handler, judged by SQL.

The path is the production one minus the job queue: SQL builds the payload
(app.health_probe_payload), the handler probes, SQL records the result
(app.health_on_probe_result) and decides the verdict.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).parent / "probes"))  # the probe tests' local servers
from servers import (  # noqa: E402
    ScriptedHttpServer,
    ScriptedResponse,
    SelfSignedCertificate,
    StripeStub,
    stripe_error,
)

from workers import sql  # noqa: E402
from workers.handlers.health import probe_monitor  # noqa: E402

pytest_plugins = ["servers"]


def add_monitor(db: psycopg.Connection, service: str, check_type: str, target: dict, expected: dict | None = None,
                timeout: float = 2) -> int:
    spec = {"service_name": service, "check_type": check_type, "target": target, "expected": expected or {},
            "timeout_seconds": timeout}
    return db.execute(sql.HEALTH_MONITOR_ADD, [Jsonb(spec)]).fetchone()[0]


def probe_and_record(db: psycopg.Connection, monitor_id: int) -> dict:
    """Payload from SQL, the real handler, the result back into SQL; returns the stored check."""
    payload = db.execute("SELECT payload FROM app.health_probe_payload(%s, now(), now() + interval '1 minute')",
                         [monitor_id]).fetchone()[0]
    result = probe_monitor(payload)
    json.dumps(result)  # what the runner stores must be JSON
    db.execute(sql.HEALTH_PROBE_RESULT, [Jsonb(result)])
    row = db.execute("SELECT status::text, response_time_ms, status_code, error_message, details, endpoint"
                     " FROM app.health_checks WHERE monitor_id = %s ORDER BY checked_at DESC LIMIT 1",
                     [monitor_id]).fetchone()
    return dict(zip(("status", "response_time_ms", "status_code", "error", "details", "endpoint"), row, strict=True))


def test_http_health_endpoint_answering_json_as_expected_is_healthy(db, http_server: ScriptedHttpServer) -> None:
    http_server.script("/health", ScriptedResponse(200, '{"status": "UP", "db": "ok"}',
                                                   {"Content-Type": "application/json"}))
    monitor = add_monitor(db, "shop", "api", {"url": f"{http_server.url}/health"},
                          {"json_path": "$.status", "json_equals": "UP", "body_contains": "ok"})

    check = probe_and_record(db, monitor)

    assert (check["status"], check["status_code"], check["error"]) == ("healthy", 200, None)
    assert isinstance(check["response_time_ms"], int)
    assert check["details"]["content_type"] == "application/json"
    assert check["endpoint"] == f"{http_server.url}/health"


def test_http_500_is_unhealthy_with_the_reason_and_an_excerpt_of_the_body(db, http_server) -> None:
    http_server.script("/health", ScriptedResponse(500, "database connection pool exhausted"))
    monitor = add_monitor(db, "shop", "api", {"url": f"{http_server.url}/health"})

    check = probe_and_record(db, monitor)

    assert (check["status"], check["status_code"], check["error"]) == ("unhealthy", 500, "status 500 not expected")
    assert check["details"]["body_excerpt"] == "database connection pool exhausted"


def test_http_json_field_with_the_wrong_value_is_unhealthy(db, http_server) -> None:
    http_server.script("/health", ScriptedResponse(200, '{"status": "DOWN"}'))
    monitor = add_monitor(db, "shop", "api", {"url": f"{http_server.url}/health"},
                          {"json_path": "$.status", "json_equals": "UP"})

    assert probe_and_record(db, monitor)["status"] == "unhealthy"


def test_http_slower_than_max_response_time_is_degraded(db, http_server) -> None:
    http_server.script("/slow", ScriptedResponse(200, "ok", delay_seconds=0.3))
    monitor = add_monitor(db, "shop", "api", {"url": f"{http_server.url}/slow"}, {"max_response_time_ms": 100})

    check = probe_and_record(db, monitor)

    assert check["status"] == "degraded"
    assert check["response_time_ms"] >= 300


def test_http_past_its_timeout_is_unhealthy(db, http_server) -> None:
    http_server.script("/hang", ScriptedResponse(200, "late", delay_seconds=5))
    monitor = add_monitor(db, "shop", "api", {"url": f"{http_server.url}/hang"}, timeout=0.3)

    check = probe_and_record(db, monitor)

    assert (check["status"], check["error"], check["details"]["timed_out"]) == ("unhealthy", "timeout", True)


def test_http_nothing_listening_is_unhealthy(db, closed_port: int) -> None:
    monitor = add_monitor(db, "shop", "api", {"url": f"http://127.0.0.1:{closed_port}/health"})

    check = probe_and_record(db, monitor)

    assert check["status"] == "unhealthy"
    assert check["error"].startswith("connect refused")


def test_https_certificate_days_are_recorded_and_judged_against_min_tls_days(
    db, https_server: ScriptedHttpServer, certificate: SelfSignedCertificate
) -> None:
    https_server.script("/", ScriptedResponse(200, "widget"))
    target = {"url": f"{https_server.url}/", "ca_file": certificate.cert_file}
    fine = add_monitor(db, "widget", "embed", target)
    strict = add_monitor(db, "widget-strict", "embed", target, {"min_tls_days": 60})

    fine_check, strict_check = probe_and_record(db, fine), probe_and_record(db, strict)

    assert fine_check["status"] == "healthy"
    assert 40 <= fine_check["details"]["tls_days_left"] <= 45
    assert strict_check["status"] == "degraded"
    assert strict_check["error"].startswith("certificate expires in")


def test_database_monitor_probes_our_own_database_by_default(db) -> None:
    monitor = db.execute("SELECT app.health_monitor_id('database')").fetchone()[0]

    check = probe_and_record(db, monitor)

    assert (check["status"], check["error"]) == ("healthy", None)
    assert check["details"]["first_value"] == 1
    assert check["endpoint"] == "SELECT 1"


def test_database_monitor_against_a_dead_server_is_unhealthy(db, closed_port: int) -> None:
    monitor = add_monitor(db, "reports-db", "database",
                          {"dsn": f"host=127.0.0.1 port={closed_port} dbname=x user=x"})

    check = probe_and_record(db, monitor)

    assert check["status"] == "unhealthy"
    assert check["error"].startswith("connect failed")


@pytest.fixture
def stripe_monitor(db, stripe_stub: StripeStub, monkeypatch: pytest.MonkeyPatch) -> int:
    """The seeded Stripe monitor, pointed at the stub, its key in the worker's environment."""
    monkeypatch.setenv("PGWARDEN_STRIPE_API_KEY", stripe_stub.api_key)
    db.execute("UPDATE app.health_monitors SET target = target || jsonb_build_object('api_base', %s::text),"
               " enabled = true WHERE service_name = 'stripe' AND organization_id IS NULL", [stripe_stub.api_base])
    return db.execute("SELECT app.health_monitor_id('stripe')").fetchone()[0]


def test_stripe_seed_lists_payment_intents_through_the_sdk(db, stripe_monitor: int, stripe_stub: StripeStub) -> None:
    check = probe_and_record(db, stripe_monitor)

    assert (check["status"], check["status_code"]) == ("healthy", 200)
    assert stripe_stub.request_count("/v1/payment_intents") == 1


def test_stripe_rejecting_the_key_is_unhealthy(db, stripe_monitor: int, monkeypatch) -> None:
    monkeypatch.setenv("PGWARDEN_STRIPE_API_KEY", "sk_test_revoked_key_0000")

    check = probe_and_record(db, stripe_monitor)

    assert (check["status"], check["status_code"]) == ("unhealthy", 401)
    assert check["error"] == "stripe rejected the key (401)"


def test_stripe_rate_limiting_or_failing_is_degraded(db, stripe_monitor: int, stripe_stub: StripeStub) -> None:
    rate_limited = stripe_error(429, "rate_limit_error", "Too many requests", "rate_limit")
    stripe_stub.override("/v1/payment_intents", rate_limited)
    assert probe_and_record(db, stripe_monitor)["status"] == "degraded"

    stripe_stub.override("/v1/payment_intents", stripe_error(500, "api_error", "Something went wrong"))
    assert probe_and_record(db, stripe_monitor)["status"] == "degraded"


def test_stripe_without_its_key_in_the_environment_is_unknown(db, stripe_monitor: int, monkeypatch) -> None:
    monkeypatch.delenv("PGWARDEN_STRIPE_API_KEY")

    check = probe_and_record(db, stripe_monitor)

    assert check["status"] == "unknown"
    assert "PGWARDEN_STRIPE_API_KEY" in check["error"]


def test_smtp_server_answering_noop_is_healthy(db, smtp_server) -> None:
    monitor = add_monitor(db, "mail", "email", {"host": smtp_server.hostname, "port": smtp_server.port})

    check = probe_and_record(db, monitor)

    assert (check["status"], check["status_code"]) == ("healthy", 250)
    assert "banner" in check["details"]


def test_sms_provider_status_call_is_judged_by_its_status(db, http_server) -> None:
    http_server.script("/2010-04-01/Accounts/AC1.json", ScriptedResponse(200, '{"status": "active"}'))
    monitor = add_monitor(db, "sms", "sms", {"url": f"{http_server.url}/2010-04-01/Accounts/AC1.json",
                                             "headers": {"Authorization": "Basic eDp5"}},
                          {"json_path": "$.status", "json_equals": "active"})
    assert probe_and_record(db, monitor)["status"] == "healthy"
    assert http_server.requests[-1].headers["authorization"] == "Basic eDp5"

    http_server.script("/2010-04-01/Accounts/AC1.json", ScriptedResponse(401, '{"code": 20003}'))
    assert probe_and_record(db, monitor)["status"] == "unhealthy"


def test_a_job_that_runs_after_its_expiry_skips_the_probe(http_server) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    payload = {"monitor_id": 7, "probe": "http", "target": {"url": f"{http_server.url}/x"},
               "scheduled_for": past, "expires_at": past, "run_id": None}

    assert probe_monitor(payload) == {"monitor_id": 7, "scheduled_for": past, "run_id": None, "skipped": "expired"}
    assert http_server.request_count("/x") == 0


def test_a_probe_that_raises_is_reported_as_a_probe_error_not_a_crash() -> None:
    result = probe_monitor({"monitor_id": 1, "probe": "smtp", "target": {}, "expires_at": None})

    assert result["observation"]["probe_error"].startswith("KeyError")


def test_only_as_much_body_as_the_conditions_read_comes_back(db, http_server) -> None:
    http_server.script("/big", ScriptedResponse(200, "x" * 5000 + "needle"))
    plain = add_monitor(db, "plain", "api", {"url": f"{http_server.url}/big"})
    searching = add_monitor(db, "searching", "api", {"url": f"{http_server.url}/big"}, {"body_contains": "needle"})

    def returned_body(monitor_id: int) -> str:
        payload = db.execute("SELECT payload FROM app.health_probe_payload(%s, now(), now() + interval '1 minute')",
                             [monitor_id]).fetchone()[0]
        return probe_monitor(payload)["observation"]["body"]

    assert len(returned_body(plain)) == 500
    assert returned_body(searching).endswith("needle")
    assert probe_and_record(db, searching)["status"] == "healthy"
