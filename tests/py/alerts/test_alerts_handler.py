"""The alerts.deliver handler itself: malformed payloads, unknown channels, the total deadline,
Retry-After in both its forms, and what redaction hides."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from alert_support import deliver, delivery_payload

from workers.alerts.delivery import DeadlineExceeded, Delivery, retry_after_seconds, within_deadline
from workers.errors import Permanent


def test_a_payload_without_its_parts_or_with_an_unknown_channel_fails_permanently(db, database_url):
    unknown = delivery_payload("carrier_pigeon", {"url": "http://127.0.0.1:9/"})
    malformed = {"delivery_id": str(uuid.uuid4()), "channel": "slack"}
    unknown_job, malformed_job = deliver(db, database_url, unknown, malformed)

    assert (unknown_job["state"], unknown_job["attempts"]) == ("dead", 1)
    assert unknown_job["failures"][0]["details"]["provider_error"] == "no channel named 'carrier_pigeon'"
    assert (malformed_job["state"], malformed_job["attempts"]) == ("dead", 1)
    assert malformed_job["failures"][0]["details"]["provider_error"] == \
        "the payload lacks destination, notification"


def test_the_details_of_a_failure_have_exactly_the_contract_shape():
    with pytest.raises(Permanent) as failure:
        Delivery.from_payload({"delivery_id": "d-1", "channel": "slack", "destination": {"webhook_url": "x"}})
    assert failure.value.details == {"delivery_id": "d-1", "channel": "slack", "status_code": None,
                                     "latency_ms": None, "provider_error": "the payload lacks notification",
                                     "broken": False}


def test_secrets_of_the_destination_are_redacted_and_texts_cut_to_500_characters():
    delivery = Delivery.from_payload(delivery_payload("slack", {
        "webhook_url": "https://hooks.slack.com/services/T0AAA/B0BBB/abcdefghijklmnopqrstuvwx"}))
    said = ("POST https://hooks.slack.com/services/T0AAA/B0BBB/abcdefghijklmnopqrstuvwx failed; "
            "path /services/T0AAA/B0BBB/abcdefghijklmnopqrstuvwx token abcdefghijklmnopqrstuvwx")
    assert delivery.redact(said) == "POST [redacted] failed; path [redacted] token [redacted]"
    assert len(delivery.redact("x" * 2000)) == 500
    assert delivery.redact("two\n  lines") == "two lines"

    email = Delivery.from_payload(delivery_payload("email", {"to": "ops@example.com"}))
    assert email.redact("250 ok for ops@example.com") == "250 ok for ops@example.com", "the recipient is no secret"


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 100 < retry_after_seconds(later) <= 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0, "a date in the past means now"


def test_a_send_that_outlives_the_total_deadline_is_given_up():
    with pytest.raises(DeadlineExceeded):
        within_deadline(0.05, lambda: time.sleep(2))
    assert within_deadline(5, lambda: "sent") == "sent"
    with pytest.raises(ValueError):
        within_deadline(5, lambda: int("not a number"))
