"""E-mail deliveries over SMTP to aiosmtpd on 127.0.0.1: one multipart message (plain text + HTML
from the templates) per recipient, settings from the worker's environment, and SMTP replies
classified: 4xx retried, 5xx for the recipient broken, other 5xx permanent."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator

import pytest
from alert_servers import RecordingSmtp, start_smtp
from alert_support import deliver, delivery_payload, fast_retries

from tests.py.probes.servers import SelfSignedCertificate, free_port, make_self_signed_certificate

SENDER = "alerts@pgwarden.test"


@pytest.fixture
def smtp() -> Iterator[RecordingSmtp]:
    handler = RecordingSmtp()
    controller = start_smtp(handler)
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def smtp_env(monkeypatch, smtp):
    monkeypatch.setenv("PGWARDEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PGWARDEN_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("PGWARDEN_SMTP_SECURITY", "none")
    monkeypatch.setenv("PGWARDEN_SMTP_FROM", SENDER)
    return monkeypatch


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    return make_self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


def email_payload(to: str, **overrides) -> dict:
    return delivery_payload("email", {"to": to}, **overrides)


def test_each_recipient_gets_one_message_with_text_and_escaped_html(db, database_url, smtp, smtp_env):
    title = "<script>alert(1)</script> in checkout"
    jobs = deliver(db, database_url, email_payload("ops@example.com", title=title),
                   email_payload("dev@example.com", title=title))

    assert [job["state"] for job in jobs] == ["succeeded", "succeeded"]
    assert jobs[0]["result"]["status_code"] == 250
    assert jobs[0]["result"]["provider_response"].startswith("250 2.0.0 Ok")
    assert sorted(rcpts for _, rcpts, _ in smtp.messages) == [["dev@example.com"], ["ops@example.com"]]
    sender, _, message = smtp.messages[0]
    assert sender == SENDER and message["From"] == SENDER
    assert message["Subject"] == f"[CRITICAL] {title}"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert title in text and "Service: checkout" in text and "and 37 more events" in text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="http://127.0.0.1:8000/errors/42">Error</a>' in html


def test_a_retried_delivery_keeps_its_message_id(db, database_url, smtp, smtp_env):
    fast_retries(db)
    smtp.refuse_data.append("451 4.3.0 try again later")
    payload = email_payload("ops@example.com")
    (job,) = deliver(db, database_url, payload)

    assert (job["state"], job["attempts"]) == ("succeeded", 2)
    details = job["failures"][0]["details"]
    assert (details["status_code"], details["broken"]) == (451, False)
    (_, _, message), = smtp.messages
    assert message["Message-ID"] == f"<{payload['webhook_id']}@pgwarden.test>"


def test_a_recipient_refused_for_good_is_broken_and_a_busy_one_retried(db, database_url, smtp, smtp_env):
    fast_retries(db)
    smtp.refuse_recipient["gone@example.com"] = deque(["550 5.1.1 no such user"])
    smtp.refuse_recipient["busy@example.com"] = deque(["452 4.2.2 mailbox full", "250 OK"])
    gone, busy = deliver(db, database_url, email_payload("gone@example.com"), email_payload("busy@example.com"))

    assert (gone["state"], gone["attempts"]) == ("dead", 1)
    assert gone["failures"][0]["details"] | {"latency_ms": None} == {
        "delivery_id": gone["failures"][0]["details"]["delivery_id"], "channel": "email", "status_code": 550,
        "latency_ms": None, "provider_error": "recipient refused: 550 5.1.1 no such user", "broken": True}
    assert (busy["state"], busy["attempts"]) == ("succeeded", 2)
    assert busy["failures"][0]["details"]["status_code"] == 452


def test_a_rejected_message_is_permanent_and_the_recipient_not_broken(db, database_url, smtp, smtp_env):
    smtp.refuse_data.append("554 5.7.1 message rejected as spam")
    (job,) = deliver(db, database_url, email_payload("ops@example.com"))
    assert (job["state"], job["attempts"]) == ("dead", 1)
    assert (job["failures"][0]["details"]["status_code"], job["failures"][0]["details"]["broken"]) == (554, False)


def test_starttls_and_login_with_credentials_from_the_environment(db, database_url, monkeypatch, certificate):
    handler = RecordingSmtp()
    controller = start_smtp(handler, certificate, credentials=("pgwarden", "sm7p-pa55word"))
    try:
        for name, value in {"HOST": "127.0.0.1", "PORT": str(controller.port), "SECURITY": "starttls",
                            "USERNAME": "pgwarden", "PASSWORD": "sm7p-pa55word", "FROM": SENDER,
                            "CA_FILE": certificate.cert_file}.items():
            monkeypatch.setenv(f"PGWARDEN_SMTP_{name}", value)
        (accepted,) = deliver(db, database_url, email_payload("ops@example.com"))
        monkeypatch.setenv("PGWARDEN_SMTP_PASSWORD", "wrong-pa55word")
        (refused,) = deliver(db, database_url, email_payload("ops@example.com"))
    finally:
        controller.stop()

    assert accepted["state"] == "succeeded" and len(handler.messages) == 1
    assert (refused["state"], refused["attempts"]) == ("dead", 1)
    details = refused["failures"][0]["details"]
    assert (details["status_code"], details["broken"]) == (535, False)
    assert "pa55word" not in json.dumps([accepted, refused], default=str)


def test_an_unreachable_server_is_retried(db, database_url, monkeypatch):
    fast_retries(db)
    monkeypatch.setenv("PGWARDEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PGWARDEN_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("PGWARDEN_SMTP_SECURITY", "none")
    (job,) = deliver(db, database_url, email_payload("ops@example.com"), max_attempts=2)

    assert (job["state"], job["attempts"]) == ("dead", 2)
    assert all(failure["details"]["provider_error"].startswith("connect refused") for failure in job["failures"])
    assert "retry_at" in job["failures"][0], "a network failure is retried"


def test_without_an_smtp_host_the_delivery_fails_permanently_naming_the_variable(db, database_url, monkeypatch):
    monkeypatch.delenv("PGWARDEN_SMTP_HOST", raising=False)
    (job,) = deliver(db, database_url, email_payload("ops@example.com"))
    assert (job["state"], job["attempts"]) == ("dead", 1)
    assert "PGWARDEN_SMTP_HOST" in job["failures"][0]["details"]["provider_error"]
