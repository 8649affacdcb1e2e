"""Slack deliveries through the real runner to a Slack-shaped incoming webhook on 127.0.0.1:
Block Kit with a text fallback, Retry-After honoured, a revoked or archived webhook marked broken."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from alert_servers import ScriptedResponse, SlackStub
from alert_support import deliver, delivery_payload, fast_retries

from workers.alerts.slack import escape


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    with SlackStub() as stub:
        yield stub


def slack_payload(slack: SlackStub, **overrides) -> dict:
    return delivery_payload("slack", {"webhook_url": slack.webhook_url}, **overrides)


def test_a_notification_arrives_as_block_kit_with_a_text_fallback_and_the_reply_is_the_result(db, database_url, slack):
    payload = slack_payload(slack, title="<b>Checkout</b> & payments down")
    (job,) = deliver(db, database_url, payload)

    assert job["state"] == "succeeded"
    assert set(job["result"]) == {"delivery_id", "channel", "status_code", "latency_ms", "provider_response"}
    assert job["result"]["delivery_id"] == payload["delivery_id"] and job["result"]["channel"] == "slack"
    assert (job["result"]["status_code"], job["result"]["provider_response"]) == (200, "ok")
    assert job["result"]["latency_ms"] >= 0
    (message,) = slack.bodies()
    assert message["text"].startswith("[CRITICAL] <b>Checkout</b> & payments down")  # plain fallback
    kinds = [block["type"] for block in message["blocks"]]
    assert kinds == ["header", "section", "section", "context", "actions"]
    header, summary, facts, _context, actions = message["blocks"]
    assert "Checkout" in header["text"]["text"] and header["text"]["type"] == "plain_text"
    assert summary["text"]["text"] == escape(payload["notification"]["summary"])
    assert facts["fields"][0]["text"] == "*Service*\ncheckout"
    assert actions["elements"][0]["url"] == "http://127.0.0.1:8000/errors/42"


def test_mrkdwn_control_characters_are_escaped():
    assert escape("a <b> & <!channel>") == "a &lt;b&gt; &amp; &lt;!channel&gt;"


def test_a_resolved_notification_says_so_in_the_header(db, database_url, slack):
    deliver(db, database_url, slack_payload(slack, kind="resolved", resolved_at="2026-05-04T10:07:00+00:00"))
    (message,) = slack.bodies()
    assert message["blocks"][0]["text"]["text"].startswith(":white_check_mark: [RESOLVED]")


def test_429_is_retried_after_exactly_the_retry_after_seconds(db, database_url, slack):
    db.execute("UPDATE app.job_setting SET backoff_base_seconds = 1000, backoff_cap_seconds = 1000")
    slack.then(ScriptedResponse(429, "rate_limited", {"Retry-After": "1"}))
    (job,) = deliver(db, database_url, slack_payload(slack))

    assert (job["state"], job["attempts"], job["result"]["status_code"]) == ("succeeded", 2, 200)
    (failure,) = job["failures"]
    assert failure["details"]["status_code"] == 429 and failure["details"]["broken"] is False
    assert failure["details"]["provider_error"] == "HTTP 429: rate_limited"
    retry_at, failed_at = (datetime.fromisoformat(failure[key]) for key in ("retry_at", "failed_at"))
    assert retry_at - failed_at == timedelta(seconds=1), "Retry-After, not the (1000 s) backoff"
    assert len(slack.requests) == 2


@pytest.mark.parametrize(("status", "reply"), [(404, "no_service"), (404, "channel_not_found"),
                                               (410, "channel_is_archived")])
def test_a_revoked_deleted_or_archived_webhook_is_broken_and_not_retried(db, database_url, slack, status, reply):
    slack.then(ScriptedResponse(status, reply))
    (job,) = deliver(db, database_url, slack_payload(slack))

    assert (job["state"], job["attempts"]) == ("dead", 1)
    details = job["failures"][0]["details"]
    assert (details["status_code"], details["broken"]) == (status, True)
    assert details["provider_error"] == f"HTTP {status}: {reply}"


def test_a_refused_message_is_permanent_but_the_webhook_is_not_broken(db, database_url, slack):
    slack.then(ScriptedResponse(400, "invalid_payload"))
    (job,) = deliver(db, database_url, slack_payload(slack))
    assert (job["state"], job["attempts"]) == ("dead", 1)
    assert job["failures"][0]["details"]["broken"] is False


def test_server_errors_and_a_dead_server_are_retried_and_never_show_the_token(db, database_url, slack):
    fast_retries(db)
    slack.then(ScriptedResponse(500, "rollup_error"))
    unreachable = delivery_payload("slack", {"webhook_url": "http://127.0.0.1:9" + slack.path})
    flaky, down = deliver(db, database_url, slack_payload(slack), unreachable, max_attempts=2)

    assert (flaky["state"], flaky["attempts"]) == ("succeeded", 2)
    assert flaky["failures"][0]["details"]["status_code"] == 500
    assert (down["state"], down["attempts"]) == ("dead", 2)
    for failure in down["failures"]:
        assert failure["details"]["status_code"] is None and failure["details"]["broken"] is False
        assert failure["details"]["provider_error"].startswith("connect refused")
    recorded = json.dumps([flaky, down], default=str)
    assert "s3cretTokenPath" not in recorded and slack.path not in recorded
