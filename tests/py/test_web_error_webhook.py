"""POST /functions/v1/error-webhook: the spec's shape, Vercel log drains and Cloudflare Workers
tail / Logpush events, authenticated by the project's webhook secret."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json

import httpx
import pytest
from web_server import Project, WebServer

pytest_plugins = ["web_server"]

WEBHOOK = "/functions/v1/error-webhook"


@pytest.fixture
def project(web_server) -> Project:
    return web_server.new_project()


def secret_of(server: WebServer, project: Project) -> str:
    [(secret,)] = server.query("SELECT app.webhook_secret_rotate(%s)", [project.id])
    return secret


def errors_of(server: WebServer, project: Project) -> list[tuple]:
    return server.query("SELECT error_type::text, severity::text, message, url, metadata->>'source' "
                        "FROM app.system_errors WHERE organization_id = %s ORDER BY message",
                        [project.organization_id])


def test_spec_shape_with_bearer_secret_lands_an_error(web_server, project):
    body = {"source": "custom", "error": {"message": "Nightly export failed",
                                          "stack": "Error: x\n    at run (job.js:3:9)",
                                          "metadata": {"job": "export"}}}
    response = httpx.post(web_server.base_url + WEBHOOK, json=body,
                          headers={"Authorization": f"Bearer {secret_of(web_server, project)}"})
    assert response.status_code == 200 and response.json()["accepted"] == 1
    assert errors_of(web_server, project) == [("unknown", "error", "Nightly export failed", None, "custom")]
    [(stack, job)] = web_server.query("SELECT stack_trace, metadata->>'job' FROM app.system_errors "
                                      "WHERE organization_id = %s", [project.organization_id])
    assert (stack.splitlines()[0], job) == ("Error: x", "export")


def test_vercel_log_drain_signed_ndjson_keeps_only_errors(web_server, project):
    secret = secret_of(web_server, project)
    logs = [
        {"id": "1573817187330377061717300000", "message": "GET /api/orders 200", "timestamp": 1795874289000,
         "type": "stdout", "source": "lambda", "projectId": "prj_1", "deploymentId": "dpl_1", "level": "info"},
        {"id": "1573817250283254651097202070",
         "message": "TypeError: order.items is undefined\n    at handler (api/orders.js:12:5)",
         "timestamp": 1795874290000, "type": "stderr", "source": "lambda", "projectId": "prj_1",
         "deploymentId": "dpl_1", "requestId": "643af4e3-975a-4cc7-9e7a-1eda11539d90", "statusCode": 500,
         "host": "shop.vercel.app", "path": "/api/orders", "level": "error",
         "proxy": {"timestamp": 1795874290000, "method": "GET", "scheme": "https", "host": "shop.example.com",
                   "path": "/api/orders?page=2", "userAgent": ["Mozilla/5.0 (Macintosh)"], "statusCode": 500}},
    ]
    body = gzip.compress("\n".join(json.dumps(log) for log in logs).encode())
    signature = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()  # over the bytes as sent
    url = f"{web_server.base_url}{WEBHOOK}?project_id={project.id}"
    response = httpx.post(url, content=body, headers={"x-vercel-signature": signature, "Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["dropped"]) == (1, 1)
    assert errors_of(web_server, project) == [
        ("api", "error", "TypeError: order.items is undefined", "https://shop.example.com/api/orders?page=2", "vercel")]

    forged = httpx.post(url, content=body, headers={"x-vercel-signature": "0" * 40, "Content-Encoding": "gzip"})
    assert forged.status_code == 403

    again = httpx.post(url, content=body, headers={"x-vercel-signature": signature, "Content-Encoding": "gzip"})
    assert again.status_code == 200  # a redelivered drain batch is the same event: counted once
    assert web_server.query("SELECT occurrence_count FROM app.system_errors WHERE organization_id = %s",
                            [project.organization_id]) == [(1,)]


def test_cloudflare_tail_and_logpush_events_land_their_exceptions(web_server, project):
    tail_event = {"scriptName": "checkout-worker", "outcome": "exception", "eventTimestamp": 1795874291000,
                  "event": {"request": {"url": "https://shop.example.com/pay", "method": "POST"}},
                  "logs": [{"message": ["paying", 42], "level": "log", "timestamp": 1795874290900}],
                  "exceptions": [{"name": "Error", "message": "Stripe key missing", "timestamp": 1795874291000}]}
    logpush_event = {"ScriptName": "image-worker", "Outcome": "exceededCpu", "EventTimestampMs": 1795874292000,
                     "Event": {"Request": {"URL": "https://img.example.com/a.png", "Method": "GET"}},
                     "Exceptions": [], "Logs": []}
    response = httpx.post(web_server.base_url + WEBHOOK, json=[tail_event, logpush_event],
                          headers={"X-Webhook-Secret": secret_of(web_server, project)})
    assert response.status_code == 200 and response.json()["accepted"] == 2
    assert errors_of(web_server, project) == [
        ("api", "error", "Error: Stripe key missing", "https://shop.example.com/pay", "cloudflare"),
        ("api", "critical", "Worker image-worker ended with outcome exceededcpu", "https://img.example.com/a.png",
         "cloudflare"),
    ]


def test_bad_credentials_and_bodies_are_refused_and_nothing_is_stored(web_server, project):
    secret = secret_of(web_server, project)
    good = {"source": "custom", "error": {"message": "should not be stored"}}
    no_credentials = httpx.post(web_server.base_url + WEBHOOK, json=good)
    wrong_secret = httpx.post(web_server.base_url + WEBHOOK, json=good,
                              headers={"Authorization": "Bearer whsec_" + "0" * 48})
    no_message = httpx.post(web_server.base_url + WEBHOOK, json={"source": "custom", "error": {"stack": "x"}},
                            headers={"Authorization": f"Bearer {secret}"})
    not_json = httpx.post(web_server.base_url + WEBHOOK, content=b"{oops",
                          headers={"Authorization": f"Bearer {secret}"})
    assert (no_credentials.status_code, wrong_secret.status_code) == (401, 403)
    assert (no_message.status_code, no_message.json()["code"]) == (400, "QV601")
    assert not_json.status_code == 400
    assert errors_of(web_server, project) == []


def test_a_body_of_more_documents_than_a_capture_batch_takes_is_too_large(web_server, project):
    documents = [{"source": "custom", "error": {"message": f"error {n}"}} for n in range(1001)]
    response = httpx.post(web_server.base_url + WEBHOOK, json=documents,
                          headers={"Authorization": f"Bearer {secret_of(web_server, project)}"})
    assert response.status_code == 413
    assert errors_of(web_server, project) == []


def test_a_huge_field_is_cut_before_the_database_parses_it_and_the_error_is_kept(web_server, project):
    stack = "Error: huge\n" + "    at render (https://shop.test/app.js:10:5)\n" * 200_000  # ~9 MB
    body = {"source": "custom", "error": {"message": "huge", "stack": stack}}
    response = httpx.post(web_server.base_url + WEBHOOK, json=body,
                          headers={"Authorization": f"Bearer {secret_of(web_server, project)}"}, timeout=60)
    assert response.status_code == 200 and response.json()["accepted"] == 1
    [(length,)] = web_server.query("SELECT length(stack_trace) FROM app.error_events WHERE organization_id = %s",
                                   [project.organization_id])
    assert length == 65536  # app.capture_limit('stack_trace'), with its marker
