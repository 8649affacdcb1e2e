"""PagerDuty deliveries (Events API v2) to a PagerDuty-shaped server on 127.0.0.1: trigger and
resolve with our dedup_key, severities mapped, 429 retried, a rejected routing key broken."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alert_servers import PagerDutyStub, ScriptedResponse, pagerduty_error
from alert_support import deliver, delivery_payload, fast_retries


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyStub]:
    with PagerDutyStub() as stub:
        yield stub


def pagerduty_payload(stub: PagerDutyStub, routing_key: str | None = None, **overrides) -> dict:
    return delivery_payload("pagerduty", {"url": stub.events_url, "routing_key": routing_key or stub.routing_key},
                            **overrides)


def test_a_firing_notification_triggers_an_alert_with_our_dedup_key_and_details(db, database_url, pagerduty):
    payload = pagerduty_payload(pagerduty)
    (job,) = deliver(db, database_url, payload)

    assert (job["state"], job["result"]["status_code"]) == ("succeeded", 202)
    assert "Event processed" in job["result"]["provider_response"]
    assert pagerduty.routing_key not in job["result"]["provider_response"]
    (event,) = pagerduty.bodies()
    notification = payload["notification"]
    assert (event["event_action"], event["dedup_key"]) == ("trigger", notification["dedup_key"])
    assert event["payload"]["summary"] == notification["title"]
    assert (event["payload"]["source"], event["payload"]["severity"]) == ("checkout", "critical")
    assert event["payload"]["custom_details"]["event_count"] == 38
    assert event["links"] == [{"href": "http://127.0.0.1:8000/errors/42", "text": "Error"}]


def test_severities_map_one_to_one(db, database_url, pagerduty):
    severities = ["critical", "error", "warning", "info"]
    deliver(db, database_url, *(pagerduty_payload(pagerduty, severity=severity) for severity in severities))
    assert sorted(event["payload"]["severity"] for event in pagerduty.bodies()) == sorted(severities)


def test_a_resolved_notification_resolves_the_same_dedup_key(db, database_url, pagerduty):
    payload = pagerduty_payload(pagerduty, kind="resolved", resolved_at="2026-05-04T10:07:00+00:00")
    (job,) = deliver(db, database_url, payload)

    assert job["state"] == "succeeded"
    (event,) = pagerduty.bodies()
    assert event == {"routing_key": pagerduty.routing_key, "event_action": "resolve",
                     "dedup_key": payload["notification"]["dedup_key"]}


def test_429_and_server_errors_are_retried(db, database_url, pagerduty):
    fast_retries(db)
    pagerduty.then(ScriptedResponse(429, ""), ScriptedResponse(500, "internal error"))
    (job,) = deliver(db, database_url, pagerduty_payload(pagerduty))

    assert (job["state"], job["attempts"]) == ("succeeded", 3)
    assert [failure["details"]["status_code"] for failure in job["failures"]] == [429, 500]
    assert all(failure["details"]["broken"] is False for failure in job["failures"])


@pytest.mark.parametrize("routing_key", ["tooShort", "X" * 32])
def test_a_rejected_routing_key_is_broken_and_not_retried(db, database_url, pagerduty, routing_key):
    (job,) = deliver(db, database_url, pagerduty_payload(pagerduty, routing_key))

    assert (job["state"], job["attempts"]) == ("dead", 1)
    details = job["failures"][0]["details"]
    assert (details["status_code"], details["broken"]) == (400, True)
    assert "routing" in details["provider_error"] and routing_key not in details["provider_error"]


def test_an_invalid_event_is_permanent_but_the_destination_is_fine(db, database_url, pagerduty):
    pagerduty.then(pagerduty_error("'payload.summary' is missing or blank"))
    (job,) = deliver(db, database_url, pagerduty_payload(pagerduty))

    assert (job["state"], job["attempts"]) == ("dead", 1)
    assert (job["failures"][0]["details"]["status_code"], job["failures"][0]["details"]["broken"]) == (400, False)
