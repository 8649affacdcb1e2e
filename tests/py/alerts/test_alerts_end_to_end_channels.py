"""Alerting end to end through the other channels: a signed webhook verified by its receiver with the
standardwebhooks package (also when the worker is SIGKILLed mid-delivery), PagerDuty's trigger and
resolve of one incident, and e-mail over SMTP to aiosmtpd. Rules come from `pgwarden alerts add`,
errors through PostgREST, deliveries from a real `pgwarden worker`."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest
from alert_servers import PagerDutyStub, RecordingSmtp, ScriptedResponse, WebhookReceiver, start_smtp
from alert_stack import AlertStack
from standardwebhooks import Webhook

from tests.py.jobs_support import wait_until

pytest_plugins = ["alert_stack"]  # the stack fixture

CRITICAL = {"error_type": "database", "severity": "critical", "component": "billing"}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


def add_webhook_rule(stack: AlertStack, receiver: WebhookReceiver) -> str:
    """A standard webhook rule; the receiver verifies with the secret the command line showed once."""
    rule_id, printed = stack.add_rule("--type", "critical_error", "--channel", "webhook",
                                      "--webhook-url", receiver.hook_url)
    secret = printed[0].split()[-1]
    assert secret.startswith("whsec_") and stack.pgwarden("alerts", "secret", rule_id).stdout.strip() == secret
    receiver.verifier = Webhook(secret)
    return rule_id


def test_a_webhook_delivery_is_verified_by_the_receiver_with_the_rules_secret(stack, receiver):
    add_webhook_rule(stack, receiver)
    stack.start_worker()

    error = stack.capture(message="Ledger write conflict", **CRITICAL)
    stack.settled()

    assert receiver.rejected == 0
    [(webhook_id, body)] = receiver.verified
    assert body["type"] == "alert.firing" and body["data"]["webhook_id"] == webhook_id
    assert body["data"]["title"] == "Ledger write conflict (database error in billing)"
    assert (body["data"]["severity"], body["data"]["alert_type"]) == ("critical", "critical_error")
    assert body["data"]["links"] == [] and error["id"]


def test_pagerduty_is_triggered_and_resolved_with_one_dedup_key(stack):
    with PagerDutyStub() as pagerduty:
        stack.db.execute("SELECT app.alert_setting_set('pagerduty_events_url', to_jsonb(%s::text))", [pagerduty.url])
        stack.add_rule("--type", "critical_error", "--channel", "webhook", "--format", "pagerduty",
                       "--routing-key", pagerduty.routing_key, "--group-interval", "1")
        stack.start_worker()

        error = stack.capture(message="Invoice run crashed", **CRITICAL)
        wait_until(lambda: pagerduty.requests, 30, "the trigger")
        resolved = stack.pgwarden("errors", "resolve", error["id"])
        assert resolved.returncode == 0, resolved.stderr
        wait_until(lambda: len(pagerduty.requests) == 2, 30, "the resolve")
        stack.settled()

        trigger, resolve = pagerduty.bodies()
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"]
    assert trigger["payload"]["summary"] == "Invoice run crashed (database error in billing)"
    assert (trigger["payload"]["severity"], trigger["payload"]["source"]) == ("critical", "billing")
    [(_, status, sent)] = stack.incidents()
    assert (status, sent) == ("resolved", 2)


def test_an_email_rule_sends_one_message_with_text_and_html_parts(stack):
    smtp = RecordingSmtp()
    server = start_smtp(smtp)
    try:
        stack.add_rule("--type", "critical_error", "--channel", "email", "--recipient", "ops@acme.test")
        stack.start_worker(env={"PGWARDEN_SMTP_HOST": "127.0.0.1", "PGWARDEN_SMTP_PORT": str(server.port),
                                "PGWARDEN_SMTP_SECURITY": "none", "PGWARDEN_SMTP_FROM": "alerts@acme.test"})

        stack.capture(message="Nightly export <failed> & stopped", **CRITICAL)
        stack.settled()
    finally:
        server.stop()

    [(sender, recipients, message)] = smtp.messages
    assert (sender, recipients) == ("alerts@acme.test", ["ops@acme.test"])
    # (CPython folds a long subject right after "Subject:", valid RFC 5322, and its parser keeps the space)
    assert message["Subject"].lstrip() == "[CRITICAL] Nightly export <failed> & stopped (database error in billing)"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Nightly export <failed> & stopped" in text
    facts = [line.split(":")[0] for line in text.splitlines() if ": " in line]
    assert sorted(facts) == ["Alert", "Events", "Organization", "Service", "Severity", "Started"], "each fact once"
    assert "Nightly export &lt;failed&gt; &amp; stopped" in html and "<failed>" not in html


def test_a_worker_killed_mid_delivery_redelivers_the_same_webhook_id_and_opens_no_second_incident(stack, receiver):
    add_webhook_rule(stack, receiver)
    receiver.then(ScriptedResponse(204, delay_seconds=60))  # holds the first request open
    options = ("--concurrency", "1", "--lease-seconds", "1", "--reap-seconds", "0.2")
    doomed = stack.start_worker(*options)

    error = stack.capture(message="Card vault unreachable", **CRITICAL)
    wait_until(lambda: receiver.verified, 30, "the receiver to hold the first delivery")
    doomed.signal(signal.SIGKILL)
    doomed.wait()
    stack.start_worker(*options)
    wait_until(lambda: len(receiver.verified) == 2, 30, "the redelivery")
    again = stack.capture(message="Card vault unreachable", **CRITICAL)
    stack.tick()
    stack.settled()

    assert again["id"] == error["id"]
    first, second = receiver.webhook_ids()
    assert first == second, "the receiver can drop the repeat by its webhook-id"
    assert receiver.rejected == 0
    [(_, status, sent)] = stack.incidents()
    assert (status, sent) == ("firing", 1)
    history = stack.pgwarden("alerts", "history").stdout.splitlines()
    assert "delivered" in history[0] and "tries 2" in history[0]
    assert history[1].split()[:3] == ["#1", "retry", "-"] and "lease expired" in history[1]
    assert history[2].split()[:3] == ["#2", "delivered", "204"]
