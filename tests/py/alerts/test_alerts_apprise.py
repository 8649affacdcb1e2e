"""Apprise deliveries, tested with its json:// notification to a local server on 127.0.0.1 (the
same code path as discord://, msteams://, tgram://, ntfy:// … up to the plugin's request)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alert_servers import ScriptedResponse
from alert_support import deliver, delivery_payload, fast_retries

from tests.py.probes.servers import ScriptedHttpServer

HOOK = "/apprise/t0k3nPathForApprise"


@pytest.fixture
def server() -> Iterator[ScriptedHttpServer]:
    with ScriptedHttpServer() as scripted:
        scripted.script(HOOK, ScriptedResponse(200, "{}"))
        yield scripted


def apprise_payload(server: ScriptedHttpServer, **overrides) -> dict:
    return delivery_payload("apprise", {"url": f"json://{server.url.removeprefix('http://')}{HOOK}"}, **overrides)


def test_a_notification_reaches_the_service_with_its_headline_and_text(db, database_url, server):
    (job,) = deliver(db, database_url, apprise_payload(server))

    assert job["state"] == "succeeded"
    assert (job["result"]["status_code"], job["result"]["provider_response"]) == (None, "sent")
    (request,) = server.requests
    sent = json.loads(request.body)
    assert sent["title"] == "[CRITICAL] TypeError in checkout: Cannot read properties of undefined"
    assert "Service: checkout" in sent["message"] and sent["type"] == "failure"


def test_a_missing_endpoint_is_broken_and_a_server_error_retried(db, database_url, server):
    fast_retries(db)
    server.script("/gone", ScriptedResponse(404, "unknown webhook"))
    server.script("/flaky", ScriptedResponse(503, "later"))
    gone = delivery_payload("apprise", {"url": f"json://{server.url.removeprefix('http://')}/gone"})
    flaky = delivery_payload("apprise", {"url": f"json://{server.url.removeprefix('http://')}/flaky"})
    gone_job, flaky_job = deliver(db, database_url, gone, flaky, max_attempts=2)

    assert (gone_job["state"], gone_job["attempts"]) == ("dead", 1)
    assert (gone_job["failures"][0]["details"]["status_code"], gone_job["failures"][0]["details"]["broken"]) \
        == (404, True)
    assert (flaky_job["state"], flaky_job["attempts"]) == ("dead", 2)
    assert all(failure["details"]["status_code"] == 503 for failure in flaky_job["failures"])


def test_a_url_apprise_does_not_understand_is_broken(db, database_url):
    (job,) = deliver(db, database_url, delivery_payload("apprise", {"url": "nosuchservice://whatever/s3cret"}))
    assert (job["state"], job["attempts"]) == ("dead", 1)
    assert job["failures"][0]["details"]["broken"] is True
    assert "s3cret" not in json.dumps(job, default=str)


def test_the_url_token_stays_out_of_the_job_tables(db, database_url, server):
    fast_retries(db)
    server.script(HOOK, ScriptedResponse(500, "oops"))
    (job,) = deliver(db, database_url, apprise_payload(server), max_attempts=1)
    assert job["state"] == "dead"
    assert "t0k3nPathForApprise" not in json.dumps(job, default=str)
