"""Alerting end to end, as a user meets it: a rule added with `pgwarden alerts add`, errors captured
through PostgREST, monitors probed by the real handler, pg_cron's tick, a real `pgwarden worker`,
and a Slack-shaped server on 127.0.0.1 receiving what a person would read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from alert_servers import ScriptedResponse, SlackStub

from tests.py.jobs_support import wait_until
from tests.py.probes.servers import ScriptedHttpServer

pytest_plugins = ["alert_stack"]  # the stack fixture

CRITICAL = {"error_type": "api", "severity": "critical", "component": "checkout"}


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    with SlackStub() as stub:
        yield stub


@pytest.fixture
def service() -> Iterator[ScriptedHttpServer]:
    """The service a monitor watches: healthy until a test says otherwise."""
    with ScriptedHttpServer() as server:
        server.script("/health", ScriptedResponse(200, "ok"))
        yield server


def test_a_slack_rule_added_with_the_cli_sends_one_message_for_a_captured_critical_error(stack, slack):
    rule_id, _ = stack.add_rule("--type", "critical_error", "--channel", "slack", "--webhook-url", slack.webhook_url,
                                "--name", "ops room")
    stack.start_worker()

    stack.capture(message="Payment provider timed out", **CRITICAL)

    wait_until(lambda: slack.requests, 30, "the Slack message")
    stack.settled()
    [message] = slack.bodies()
    assert message["text"].startswith("[CRITICAL] Payment provider timed out (api error in checkout)")
    header, summary, facts, context = message["blocks"]
    assert header["text"]["text"] == ":rotating_light: [CRITICAL] Payment provider timed out (api error in checkout)"
    assert summary["text"]["text"].endswith("UTC; 1 event so far.")
    assert [field["text"] for field in facts["fields"]] == ["*Service*\ncheckout", "*Organization*\nAcme",
                                                            "*Rule*\nops room"]
    assert context["elements"][0]["text"].startswith("critical · critical_error · 1 event · since ")
    history = stack.pgwarden("alerts", "history", "--rule", rule_id)
    assert "delivered" in history.stdout and "#1 delivered 200" in history.stdout


def test_every_critical_error_of_a_burst_from_concurrent_clients_is_notified(stack, slack):
    # (one webhook for all: Slack's pacing of 1 message/s per webhook would spread them over 80 s)
    stack.db.execute("SELECT app.alert_setting_set('pace_seconds', app.alert_setting('pace_seconds') || %s)",
                     ['{"slack": 0}'])
    stack.add_rule("--type", "critical_error", "--channel", "slack", "--webhook-url", slack.webhook_url)
    stack.start_worker()

    with ThreadPoolExecutor(8) as clients:
        list(clients.map(lambda n: stack.capture(message=f"Burst {n}", fingerprint=[f"burst-{n}"], **CRITICAL),
                         range(80)))
    stack.settled()

    assert sorted(message["text"].splitlines()[0] for message in slack.bodies()) == sorted(
        f"[CRITICAL] Burst {n} (api error in checkout)" for n in range(80))


def test_a_storm_of_one_error_stays_one_message(stack, slack):
    stack.add_rule("--type", "critical_error", "--channel", "slack", "--webhook-url", slack.webhook_url)
    stack.start_worker()

    storm = [{"message": f"Cart service unavailable (attempt {n})", **CRITICAL} for n in range(3000)]
    stack.capture_many(storm, batch=500)
    stack.tick()  # what pg_cron runs each minute: nothing new to say
    stack.settled()

    assert len(slack.requests) == 1
    [(incident_id, status, sent)] = stack.incidents()
    assert (status, sent) == ("firing", 1)


def test_history_shows_every_attempt_including_a_throttled_one(stack, slack):
    rule_id, _ = stack.add_rule("--type", "critical_error", "--channel", "slack", "--webhook-url", slack.webhook_url)
    slack.then(ScriptedResponse(429, "rate_limited", {"Retry-After": "1"}))
    stack.start_worker()

    stack.capture(message="Inventory sync failed", **CRITICAL)
    stack.settled()

    assert len(slack.requests) == 2
    history = stack.pgwarden("alerts", "history", "--rule", rule_id)
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert "delivered" in lines[0] and "tries 2" in lines[0] and "Inventory sync failed" in lines[0]
    assert lines[1].split()[:3] == ["#1", "retry", "429"] and "rate_limited" in lines[1]
    assert lines[2].split()[:3] == ["#2", "delivered", "200"]


def test_a_monitor_going_down_and_coming_back_gives_one_down_and_one_resolved_message(stack, slack, service):
    stack.add_rule("--type", "health_degraded", "--channel", "slack", "--webhook-url", slack.webhook_url,
                   "--group-interval", "1")
    monitor_id = stack.add_monitor("payments", service.url + "/health", display_name="Payments API")
    stack.start_worker()
    stack.db.execute("SELECT app.health_enqueue_due()")  # what pg_cron runs each minute

    wait_until(lambda: stack.monitor_state(monitor_id) == "healthy", 30, "the first checks")
    service.script("/health", ScriptedResponse(503, "maintenance mode"))
    wait_until(lambda: stack.monitor_state(monitor_id) == "unhealthy", 30, "the outage")
    wait_until(lambda: slack.requests, 30, "the down message")
    service.script("/health", ScriptedResponse(200, "ok"))
    wait_until(lambda: stack.monitor_state(monitor_id) == "healthy", 30, "the recovery")
    wait_until(lambda: len(slack.requests) == 2, 30, "the resolved message")
    stack.db.execute("UPDATE app.health_monitors SET enabled = false")  # no more probes
    stack.tick()
    stack.settled()

    down, resolved = (message["text"].splitlines() for message in slack.bodies())
    assert down[0] == "[CRITICAL] Payments API is unhealthy"
    assert re.fullmatch(r"Firing since \S+ UTC\.", down[1]) and down[2] == "Last check: status 503 not expected"
    assert resolved[0] == "[RESOLVED] Payments API is unhealthy"
    assert re.fullmatch(r"Resolved at \S+ UTC after \d+ s\.", resolved[1]), "a monitor's outage counts no events"
    assert len(slack.requests) == 2
    [(_, status, sent)] = stack.incidents()
    assert (status, sent) == ("resolved", 2)


def test_an_error_spike_and_an_outage_of_one_service_are_one_incident_saying_which_came_first(stack, slack, service):
    spike = '{"threshold": 50, "window_minutes": 5}'
    for alert_type, conditions in (("error_spike", spike), ("health_degraded", "{}")):
        stack.add_rule("--type", alert_type, "--conditions", conditions, "--channel", "slack",
                       "--webhook-url", slack.webhook_url, "--group-wait", "0", "--group-interval", "1")
    monitor_id = stack.add_monitor("checkout", service.url + "/health", display_name="Checkout API")
    stack.start_worker()
    stack.db.execute("SELECT app.health_enqueue_due()")
    wait_until(lambda: stack.monitor_state(monitor_id) == "healthy", 30, "the first checks")

    stack.capture_many([{"message": f"Order {n} could not be saved", **CRITICAL} for n in range(60)])
    service.script("/health", ScriptedResponse(503, "database unavailable"))  # then the service fails
    wait_until(lambda: slack.requests, 30, "the outage's message")
    assert stack.tick()["spikes_firing"] == 1  # the minute's tick sees the spike that began before
    wait_until(lambda: len(slack.requests) == 2, 30, "the update saying the errors came first")
    stack.db.execute("UPDATE app.health_monitors SET enabled = false")
    stack.settled()

    [(_, status, sent)] = stack.incidents()
    assert (status, sent) == ("firing", 2)
    first, update = (message["text"] for message in slack.bodies())
    assert first.startswith("[CRITICAL] Checkout API is unhealthy")
    assert re.search(r"^Still firing since \S+ UTC; 60 events in all, and 60 more events since the last "
                     r"notification\.$", update, re.MULTILINE), update
    assert re.search(r"^Errors in Acme started \d+ s before Checkout API went unhealthy\.$", update,
                     re.MULTILINE), update
