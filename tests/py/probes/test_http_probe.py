"""The HTTP probe observes; it never judges. Every server here runs on 127.0.0.1."""

import json

from servers import CERTIFICATE_DAYS, ScriptedHttpServer, ScriptedResponse, make_self_signed_certificate

from workers.probes import PROBES
from workers.probes.http import BODY_LIMIT_BYTES, probe_http

pytest_plugins = ["servers"]


def test_every_probe_kind_is_registered() -> None:
    assert set(PROBES) == {"http", "database", "stripe", "smtp", "sms"}


def test_a_200_is_observed_with_status_body_and_timing(http_server: ScriptedHttpServer) -> None:
    http_server.script(
        "/health", ScriptedResponse(200, '{"status": "UP"}', {"Content-Type": "application/json"})
    )

    observation = probe_http({"url": f"{http_server.url}/health"})

    assert observation["reachable"] is True
    assert observation["status_code"] == 200
    assert observation["body"] == '{"status": "UP"}'
    assert observation["error"] is None and observation["timed_out"] is False
    assert isinstance(observation["response_time_ms"], int)
    assert observation["tls_days_left"] is None  # plain http
    assert observation["details"]["content_type"] == "application/json"
    assert json.loads(json.dumps(observation)) == observation


def test_a_500_is_observed_as_reachable_with_its_status_not_judged(http_server: ScriptedHttpServer) -> None:
    http_server.script("/health", ScriptedResponse(500, "database down"))

    observation = probe_http({"url": f"{http_server.url}/health"})

    assert (observation["reachable"], observation["status_code"], observation["error"]) == (True, 500, None)
    assert observation["body"] == "database down"


def test_slow_endpoint_past_timeout_is_observed_as_timed_out(http_server: ScriptedHttpServer) -> None:
    http_server.script("/slow", ScriptedResponse(200, "late", delay_seconds=5))

    observation = probe_http({"url": f"{http_server.url}/slow", "timeout_seconds": 0.3})

    assert observation["timed_out"] is True
    assert observation["reachable"] is False
    assert observation["error"] == "timeout"
    assert observation["status_code"] is None
    assert observation["details"]["timeout_phase"] == "read"


def test_a_body_that_stalls_after_the_headers_keeps_the_status_and_times_out(
    http_server: ScriptedHttpServer,
) -> None:
    http_server.script("/stall", ScriptedResponse(200, "never arrives", body_delay_seconds=5))

    observation = probe_http({"url": f"{http_server.url}/stall", "timeout_seconds": 0.3})

    assert (observation["timed_out"], observation["error"]) == (True, "timeout")
    assert (observation["reachable"], observation["status_code"]) == (True, 200)
    assert observation["body"] is None


def test_connection_refused_is_observed_as_unreachable(closed_port: int) -> None:
    observation = probe_http({"url": f"http://127.0.0.1:{closed_port}/", "timeout_seconds": 0.5})

    assert observation["reachable"] is False
    assert observation["timed_out"] is False
    assert observation["error"].startswith("connect refused")


def test_redirects_are_followed_and_the_final_url_recorded(http_server: ScriptedHttpServer) -> None:
    http_server.script("/old", ScriptedResponse(301, headers={"Location": "/new"}))
    http_server.script("/new", ScriptedResponse(200, "moved here"))

    observation = probe_http({"url": f"{http_server.url}/old"})

    assert (observation["status_code"], observation["body"]) == (200, "moved here")
    assert observation["details"]["final_url"] == f"{http_server.url}/new"
    assert observation["details"]["redirect_count"] == 1


def test_body_is_capped_at_64_kib_and_marked_truncated(http_server: ScriptedHttpServer) -> None:
    http_server.script("/big", ScriptedResponse(200, "x" * (3 * BODY_LIMIT_BYTES)))
    http_server.script("/exact", ScriptedResponse(200, "y" * BODY_LIMIT_BYTES))

    big = probe_http({"url": f"{http_server.url}/big"})
    exact = probe_http({"url": f"{http_server.url}/exact"})

    assert len(big["body"]) == BODY_LIMIT_BYTES and big["details"]["body_truncated"] is True
    assert len(exact["body"]) == BODY_LIMIT_BYTES and exact["details"]["body_truncated"] is False


def test_method_headers_and_body_are_sent_as_configured(http_server: ScriptedHttpServer) -> None:
    http_server.script("/rpc", ScriptedResponse(204))

    observation = probe_http(
        {
            "url": f"{http_server.url}/rpc",
            "method": "post",
            "headers": {"X-Probe": "pgwarden"},
            "body": "ping",
        }
    )

    assert observation["status_code"] == 204
    (request,) = http_server.requests
    assert (request.method, request.headers["x-probe"], request.body) == ("POST", "pgwarden", b"ping")
    assert http_server.request_count("/rpc") == 1


def test_the_charset_in_content_type_decodes_the_body(http_server: ScriptedHttpServer) -> None:
    latin1 = {"Content-Type": "text/plain; charset=iso-8859-1"}
    http_server.script("/latin1", ScriptedResponse(200, "café".encode("latin-1"), latin1))

    assert probe_http({"url": f"{http_server.url}/latin1"})["body"] == "café"


def test_tls_days_left_reports_certificate_expiry(https_server: ScriptedHttpServer, certificate) -> None:
    observation = probe_http({"url": f"{https_server.url}/", "ca_file": certificate.cert_file})

    assert observation["reachable"] is True and observation["status_code"] == 404  # nothing scripted
    # Whole days, rounded down: a few seconds have passed since the certificate was issued.
    assert observation["tls_days_left"] == CERTIFICATE_DAYS - 1


def test_tls_days_left_is_reported_even_when_verification_is_off(https_server: ScriptedHttpServer) -> None:
    observation = probe_http({"url": f"{https_server.url}/", "verify_tls": False})

    assert observation["reachable"] is True
    assert observation["tls_days_left"] == CERTIFICATE_DAYS - 1


def test_certificate_expiry_after_2049_is_read_with_and_without_verification(tmp_path) -> None:
    # From 2050 on, certificates carry GeneralizedTime instead of UTCTime.
    long_lived = make_self_signed_certificate(tmp_path, days=40 * 365)
    with ScriptedHttpServer(long_lived) as server:
        verified = probe_http({"url": server.url, "ca_file": long_lived.cert_file})
        unverified = probe_http({"url": server.url, "verify_tls": False})

    assert verified["tls_days_left"] == unverified["tls_days_left"] == 40 * 365 - 1


def test_untrusted_certificate_is_observed_as_a_tls_verify_failure(https_server: ScriptedHttpServer) -> None:
    observation = probe_http({"url": f"{https_server.url}/", "timeout_seconds": 2})

    assert observation["reachable"] is False
    assert observation["error"].startswith("tls verify failed")
    assert https_server.request_count("/") == 0
