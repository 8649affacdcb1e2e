"""Generic webhook deliveries signed the Standard Webhooks way, to a receiver on 127.0.0.1 that
verifies every request with the standardwebhooks package: one webhook-id per delivery, kept on
every retry, even when the worker is killed mid-request."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from alert_servers import WEBHOOK_SECRET, ScriptedResponse, WebhookReceiver
from alert_support import deliver, delivery_payload, enqueue, fast_retries, history

from tests.py.jobs_support import wait_until, worker_starter


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def start_worker():
    yield from worker_starter()


def webhook_payload(receiver: WebhookReceiver, **overrides) -> dict:
    return delivery_payload("webhook", {"url": receiver.hook_url, "secret": WEBHOOK_SECRET}, **overrides)


def test_a_delivery_is_signed_verifiable_and_carries_the_notification_with_its_ids(db, database_url, receiver):
    payload = webhook_payload(receiver)
    (job,) = deliver(db, database_url, payload)

    assert (job["state"], job["result"]["status_code"]) == ("succeeded", 204)
    assert receiver.rejected == 0
    ((webhook_id, body),) = receiver.verified
    assert webhook_id == payload["webhook_id"]
    assert body == {"type": "alert.firing", "timestamp": payload["notification"]["started_at"],
                    "data": {"delivery_id": payload["delivery_id"], "webhook_id": payload["webhook_id"],
                             **payload["notification"]}}
    (request,) = receiver.requests
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["idempotency-key"] == payload["webhook_id"]
    assert request.headers["content-type"] == "application/json"


def test_every_retry_carries_the_same_webhook_id_with_a_fresh_valid_signature(db, database_url, receiver):
    fast_retries(db)
    receiver.then(ScriptedResponse(503, "busy"), ScriptedResponse(502))
    payload = webhook_payload(receiver, kind="resolved", resolved_at="2026-05-04T10:07:00+00:00")
    (job,) = deliver(db, database_url, payload)

    assert (job["state"], job["attempts"]) == ("succeeded", 3)
    assert [failure["details"]["status_code"] for failure in job["failures"]] == [503, 502]
    assert receiver.webhook_ids() == [payload["webhook_id"]] * 3 and receiver.rejected == 0
    assert {body["type"] for _, body in receiver.verified} == {"alert.resolved"}


def test_retry_after_of_a_throttled_webhook_sets_the_next_attempt(db, database_url, receiver):
    db.execute("UPDATE app.job_setting SET backoff_base_seconds = 1000, backoff_cap_seconds = 1000")
    receiver.then(ScriptedResponse(429, "slow down", {"Retry-After": "1"}))
    (job,) = deliver(db, database_url, webhook_payload(receiver))

    assert (job["state"], job["attempts"]) == ("succeeded", 2)
    (failure,) = job["failures"]
    assert datetime.fromisoformat(failure["retry_at"]) - datetime.fromisoformat(failure["failed_at"]) \
        == timedelta(seconds=1)


@pytest.mark.parametrize(("answer", "broken"), [(ScriptedResponse(410, "gone"), True),
                                                (ScriptedResponse(400, "bad request"), False),
                                                (ScriptedResponse(401, "who are you"), False),
                                                (ScriptedResponse(301, "", {"Location": "/elsewhere"}), False)])
def test_gone_is_broken_other_client_errors_and_redirects_are_permanent(db, database_url, receiver, answer, broken):
    receiver.then(answer)
    (job,) = deliver(db, database_url, webhook_payload(receiver))

    assert (job["state"], job["attempts"]) == ("dead", 1)
    details = job["failures"][0]["details"]
    assert (details["status_code"], details["broken"]) == (answer.status, broken)
    assert len(receiver.requests) == 1, "no redirect followed"


def test_the_signing_secret_and_the_url_token_stay_out_of_the_job_tables(db, database_url, receiver):
    fast_retries(db)
    receiver.then(ScriptedResponse(500, f"echoing your url {receiver.path}?token=t0k3nInTheQuery"))
    payload = delivery_payload("webhook", {"url": receiver.hook_url + "?token=t0k3nInTheQuery",
                                           "secret": WEBHOOK_SECRET})
    (job,) = deliver(db, database_url, payload, max_attempts=2)

    assert job["state"] == "succeeded"
    assert "[redacted]" in job["failures"][0]["details"]["provider_error"]
    recorded = json.dumps(job, default=str)
    for secret in (WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_"), "t0k3nInTheQuery", receiver.path):
        assert secret not in recorded


def test_a_slow_receiver_times_out_and_is_retried(db, database_url, receiver, monkeypatch):
    monkeypatch.setenv("PGWARDEN_ALERT_TIMEOUT_SECONDS", "1")
    fast_retries(db)
    receiver.then(ScriptedResponse(204, delay_seconds=30))
    (job,) = deliver(db, database_url, webhook_payload(receiver), max_attempts=10)

    assert job["state"] == "succeeded"  # (a busy machine may time out a later attempt too)
    details = job["failures"][0]["details"]
    assert details["provider_error"].startswith("timeout") and details["status_code"] is None
    assert details["broken"] is False


def test_a_worker_killed_mid_delivery_leaves_a_retry_with_the_same_webhook_id(db, database_url, receiver,
                                                                               start_worker):
    receiver.then(ScriptedResponse(204, delay_seconds=60))  # holds the first request open
    payload = webhook_payload(receiver)
    job_id = enqueue(db, payload)
    options = ("--kinds", "alerts.deliver", "--concurrency", "1", "--lease-seconds", "1", "--reap-seconds", "0.2",
               "--poll-seconds", "0.2")
    doomed = start_worker(database_url, *options)
    wait_until(lambda: receiver.verified, what="the receiver to hold the first delivery")
    doomed.signal(signal.SIGKILL)
    doomed.wait()

    start_worker(database_url, *options)
    job = wait_until(lambda: history(db, job_id), what="the retried delivery")

    assert (job["state"], job["attempts"]) == ("succeeded", 2)
    assert [failure["error"] for failure in job["failures"]] == ["lease expired"]
    assert receiver.webhook_ids() == [payload["webhook_id"]] * 2, "the receiver can drop the repeat by its id"
    assert receiver.rejected == 0
