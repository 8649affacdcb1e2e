"""`pgwarden alerts list | add | edit | delete | mute | test | history | secret`, run as a user would."""

from __future__ import annotations

import pytest

from workers.settings import REPO_ROOT

PGWARDEN = str(REPO_ROOT / ".venv" / "bin" / "pgwarden")
ORG = "00000000-0000-0000-0000-0000000000aa"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/s3cr3tt0k3n"


@pytest.fixture
def project(db) -> int:
    db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'Acme')", [ORG])
    return db.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'shop') RETURNING id",
                      [ORG]).fetchone()[0]


def capture_critical(db, project: int, message: str) -> None:
    db.execute("SELECT count(*) FROM app.capture_batch(%s, %s, jsonb_build_array(jsonb_build_object("
               "'message', %s::text, 'error_type', 'api', 'severity', 'critical')))", [ORG, project, message])


def test_a_slack_rule_added_from_the_command_line_notifies_a_captured_critical_error(db, pgwarden, project):
    added = pgwarden("alerts", "add", "--type", "critical_error", "--channel", "slack", "--webhook-url", SLACK_URL,
                     "--org", ORG, "--conditions", '{"severity_at_least": "critical"}', "--name", "ops room")
    assert added.returncode == 0, added.stderr
    rule_id = added.stdout.splitlines()[0]
    stored = db.execute("SELECT alert_type::text FROM app.error_alerts WHERE id = %s", [rule_id]).fetchone()
    assert stored == ("critical_error",)

    listed = pgwarden("alerts", "list")
    assert rule_id in listed.stdout and "https://hooks.slack.com/…" in listed.stdout
    assert "s3cr3tt0k3n" not in listed.stdout, "a Slack URL is a secret: list shows it cut"

    capture_critical(db, project, "Payment provider timed out")
    history = pgwarden("alerts", "history", "--rule", rule_id)
    assert history.returncode == 0, history.stderr
    [line] = [line for line in history.stdout.splitlines() if "firing" in line]
    assert "queued" in line and "Payment provider timed out" in line
    [job] = db.execute("SELECT payload -> 'destination' ->> 'webhook_url' FROM app.job"
                       " WHERE kind = 'alerts.deliver'").fetchall()
    assert job == (SLACK_URL,), "the job carries what the worker needs"


def test_a_webhook_rule_shows_its_signing_secret_once_and_on_request(pgwarden):
    added = pgwarden("alerts", "add", "--type", "health_degraded", "--channel", "webhook",
                     "--webhook-url", "https://hooks.example.com/pgwarden")
    assert added.returncode == 0, added.stderr
    rule_id = added.stdout.splitlines()[0]
    secret = added.stdout.splitlines()[1].split()[-1]
    assert secret.startswith("whsec_")
    shown = pgwarden("alerts", "secret", rule_id)
    assert shown.stdout.strip() == secret
    assert secret not in pgwarden("alerts", "list").stdout


def test_invalid_rules_are_refused_with_the_code_naming_the_field(pgwarden):
    unknown_key = pgwarden("alerts", "add", "--type", "error_spike", "--channel", "in_app",
                           "--conditions", '{"threshold": 10, "windows": 5}')
    assert unknown_key.returncode == 2 and unknown_key.stderr.startswith("error QVA01")
    assert "trigger_conditions.windows" in unknown_key.stderr
    no_url = pgwarden("alerts", "add", "--type", "critical_error", "--channel", "slack")
    assert no_url.returncode == 2 and no_url.stderr.startswith("error QVA04") and "webhook_url" in no_url.stderr
    not_json = pgwarden("alerts", "add", "--type", "critical_error", "--channel", "in_app", "--conditions", "{")
    assert not_json.returncode == 2


def test_edit_mute_and_delete_a_rule(db, pgwarden):
    rule_id = pgwarden("alerts", "add", "--type", "critical_error", "--channel", "email",
                       "--recipient", "ops@example.com").stdout.splitlines()[0]
    edited = pgwarden("alerts", "edit", rule_id, "--recipient", "a@example.com", "--recipient", "b@example.com",
                      "--group-interval", "60")
    assert edited.returncode == 0, edited.stderr
    assert "a@example.com, b@example.com" in pgwarden("alerts", "list").stdout

    muted = pgwarden("alerts", "mute", rule_id, "--until", "2h")
    assert muted.returncode == 0 and "muted until" in muted.stdout
    assert db.execute("SELECT muted_until > now() + interval '119 minutes' FROM app.error_alerts WHERE id = %s",
                      [rule_id]).fetchone() == (True,)
    assert "muted until" in pgwarden("alerts", "list").stdout
    unmuted = pgwarden("alerts", "mute", rule_id, "--until", "now")
    assert unmuted.returncode == 0 and "not muted" in unmuted.stdout
    bad_time = pgwarden("alerts", "mute", rule_id, "--until", "whenever")
    assert bad_time.returncode == 2 and bad_time.stderr.startswith("error QVA05")

    assert pgwarden("alerts", "delete", rule_id).returncode == 0
    assert pgwarden("alerts", "list").stdout.strip() == "no alert rules"
    again = pgwarden("alerts", "delete", rule_id)
    assert again.returncode == 4 and again.stderr.startswith("error QNA01")


def test_test_notifications_and_the_history_of_a_broken_destination(db, pgwarden):
    rule_id = pgwarden("alerts", "add", "--type", "critical_error", "--channel", "slack",
                       "--webhook-url", SLACK_URL).stdout.splitlines()[0]
    tested = pgwarden("alerts", "test", rule_id)
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.startswith("test notification ") and "queued" in tested.stdout

    # the worker's handler finds the webhook gone: Permanent with details.broken
    job_id = db.execute("SELECT id FROM app.job_claim('cli-worker', ARRAY['alerts.deliver'], 1)").fetchone()[0]
    db.execute("SELECT app.job_fail(%s, 'cli-worker', 'Slack: no_service', false, NULL, "
               "'{\"status_code\": 404, \"latency_ms\": 42, \"provider_error\": \"no_service\", \"broken\": true}')",
               [job_id])

    failed = pgwarden("alerts", "history", "--failed")
    assert failed.returncode == 0, failed.stderr
    assert "failed" in failed.stdout and "#1 failed" in failed.stdout and "404 42 ms  no_service" in failed.stdout
    assert "[destination broken]" in failed.stdout
    assert "[broken: no_service]" in pgwarden("alerts", "list").stdout

    after = pgwarden("alerts", "test", rule_id)
    assert "suppressed" in after.stdout, "a broken destination receives nothing more"
    repaired = pgwarden("alerts", "edit", rule_id, "--clear-broken")
    assert "1 destination(s) no longer broken" in repaired.stdout
    assert "queued" in pgwarden("alerts", "test", rule_id).stdout
