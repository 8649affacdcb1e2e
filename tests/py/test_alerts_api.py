"""Alerting through the real PostgREST: org owners write only their organization's rules, secrets
are shown once and never read back, and the alert history (incidents, notifications, deliveries,
attempts) and in-app notifications are isolated per organization."""

from __future__ import annotations

from datetime import timedelta

import httpx
import psycopg
import pytest

from tests.conftest import postgrest_over_clone
from workers import tokens

ORG_A = "00000000-0000-0000-0000-00000000a1e1"
ORG_B = "00000000-0000-0000-0000-00000000a1e2"
OWNER_A = "00000000-0000-0000-0000-00000000a1f1"
SLACK_A = "https://hooks.slack.com/services/TA/BA/secret-of-a"
SLACK_B = "https://hooks.slack.com/services/TB/BB/secret-of-b"


@pytest.fixture(scope="module")
def api(pg_cluster, template_database):
    """Two organizations, each with a Slack rule and an in-app rule that fired on a critical error
    (on a PostgREST of its own: these tests write errors other modules do not expect)."""
    with postgrest_over_clone(pg_cluster, template_database) as (base_url, secret, database_url):
        yield set_up(base_url, secret, database_url)


def set_up(base_url: str, secret: str, database_url: str) -> tuple[str, str, str, dict[str, str]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'Alerting A'), (%s, 'Alerting B')",
                     [ORG_A, ORG_B])
        conn.execute("INSERT INTO app.users (id, organization_id, email, role)"
                     " VALUES (%s, %s, 'owner@alerting-a.test', 'org_owner')", [OWNER_A, ORG_A])
        rules = {}
        for org, url in ((ORG_A, SLACK_A), (ORG_B, SLACK_B)):
            rules[org] = conn.execute(
                "SELECT id::text FROM app.alert_rule_create(jsonb_build_object('alert_type', 'critical_error',"
                " 'channel', 'slack', 'webhook_url', %s::text, 'organization_id', %s::uuid))", [url, org]).fetchone()[0]
            conn.execute("SELECT app.alert_rule_create(jsonb_build_object('alert_type', 'critical_error',"
                         " 'channel', 'in_app', 'organization_id', %s::uuid))", [org])
            project = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'alerting')"
                                   " RETURNING id", [org]).fetchone()[0]
            conn.execute("SELECT count(*) FROM app.capture_batch(%s, %s, '[{\"message\": \"checkout exploded\","
                         " \"error_type\": \"api\", \"severity\": \"critical\"}]')", [org, project])
        # one attempt of A's delivery failed and will be retried
        job_id = conn.execute("SELECT d.job_id FROM app.alert_deliveries d WHERE d.rule_id = %s",
                              [rules[ORG_A]]).fetchone()[0]
        conn.execute("UPDATE app.job SET priority = -100 WHERE id = %s", [job_id])
        claimed = conn.execute("SELECT id FROM app.job_claim('api-test', ARRAY['alerts.deliver'], 1)").fetchone()[0]
        assert claimed == job_id
        conn.execute("SELECT app.job_fail(%s, 'api-test', 'HTTP 503', true, 30, %s::jsonb)",
                     [job_id, '{"status_code": 503, "latency_ms": 80, "provider_error": "service unavailable"}'])
    return base_url, secret, database_url, rules


def headers(secret: str, role: str, org_id: str | None = None, user_id: str | None = None, **extra: str) -> dict:
    token = tokens.mint(secret, role, timedelta(minutes=5), org_id=org_id, user_id=user_id)
    return {"Authorization": f"Bearer {token}", **extra}


def test_an_org_owner_creates_a_webhook_rule_and_sees_its_signing_secret_only_in_the_answer(api):
    base_url, secret, _, _ = api
    owner = headers(secret, "org_owner", ORG_A, OWNER_A, Prefer="return=representation")
    created = httpx.post(base_url + "/error_alerts", headers=owner, json={
        "alert_type": "health_degraded", "channel": "webhook", "webhook_url": "https://hooks.a.test/in?token=t0k",
        "trigger_conditions": {"status_at_least": "unhealthy"}, "name": "A's health hook"})
    assert created.status_code == 201, created.text
    [rule] = created.json()
    assert rule["organization_id"] == ORG_A and rule["signing_secret"].startswith("whsec_")
    assert rule["webhook_url"] == "https://hooks.a.test/in?…"
    [read] = httpx.get(base_url + f"/error_alerts?id=eq.{rule['id']}", headers=owner).json()
    assert read["signing_secret"] is None and "t0k" not in str(read)
    [destination] = read["destinations"]
    assert (destination["channel"], destination["recipient"], destination["broken_at"]) == (
        "webhook", "https://hooks.a.test/in?…", None)

    rotated = httpx.post(base_url + "/rpc/rotate_alert_secret", headers=owner, json={"rule_id": rule["id"]})
    assert rotated.status_code == 200 and rotated.json().startswith("whsec_")
    assert rotated.json() != rule["signing_secret"]


def test_invalid_trigger_conditions_answer_400_with_a_code_naming_the_key(api):
    base_url, secret, _, _ = api
    response = httpx.post(base_url + "/error_alerts", headers=headers(secret, "org_owner", ORG_A), json={
        "alert_type": "error_spike", "channel": "in_app", "trigger_conditions": {"threshold": "lots"}})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "QVA02" and "trigger_conditions.threshold" in body["details"]
    assert set(body) == {"code", "message", "details", "hint"}


def test_an_org_owner_cannot_see_or_edit_another_organizations_rules(api):
    base_url, secret, database_url, rules = api
    owner_a = headers(secret, "org_owner", ORG_A)
    visible = {rule["organization_id"] for rule in httpx.get(base_url + "/error_alerts", headers=owner_a).json()}
    assert visible == {ORG_A}
    b_rule = rules[ORG_B]
    assert httpx.get(base_url + f"/error_alerts?id=eq.{b_rule}", headers=owner_a).json() == []
    httpx.patch(base_url + f"/error_alerts?id=eq.{b_rule}", headers=owner_a, json={"is_active": False})
    httpx.delete(base_url + f"/error_alerts?id=eq.{b_rule}", headers=owner_a)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT is_active FROM app.error_alerts WHERE id = %s", [b_rule]).fetchone() == (True,)
    elsewhere = httpx.post(base_url + "/error_alerts", headers=owner_a, json={
        "alert_type": "critical_error", "channel": "in_app", "organization_id": ORG_B})
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "42501"
    rotated = httpx.post(base_url + "/rpc/rotate_alert_secret", headers=owner_a, json={"rule_id": b_rule})
    assert rotated.status_code == 404 and rotated.json()["code"] == "QNA01"
    tested = httpx.post(base_url + "/rpc/test_alert", headers=owner_a, json={"rule_id": b_rule})
    assert tested.status_code == 404 and tested.json()["code"] == "QNA01"


def test_an_org_owner_edits_and_deletes_its_own_rules_and_a_system_admin_writes_platform_rules(api):
    base_url, secret, _, _ = api
    owner_a = headers(secret, "org_owner", ORG_A, Prefer="return=representation")
    [rule] = httpx.post(base_url + "/error_alerts", headers=owner_a, json={
        "alert_type": "new_user_report", "channel": "email", "recipients": ["support@a.test"]}).json()
    change = {"muted_until": "2099-01-01T00:00:00Z", "trigger_conditions": {"priority_at_least": "high"}}
    [patched] = httpx.patch(base_url + f"/error_alerts?id=eq.{rule['id']}", headers=owner_a, json=change).json()
    assert patched["muted_until"].startswith("2099-01-01")
    assert patched["trigger_conditions"] == change["trigger_conditions"]
    deleted = httpx.delete(base_url + f"/error_alerts?id=eq.{rule['id']}", headers=owner_a)
    assert deleted.status_code == 200 and [row["id"] for row in deleted.json()] == [rule["id"]]

    admin = headers(secret, "system_admin", Prefer="return=representation")
    [platform] = httpx.post(base_url + "/error_alerts", headers=admin, json={
        "alert_type": "uptime_incident", "channel": "in_app", "recipients": ["system_admin"]}).json()
    assert platform["organization_id"] is None
    staff_a = headers(secret, "staff", ORG_A)
    refused = httpx.post(base_url + "/error_alerts", headers=staff_a,
                         json={"alert_type": "critical_error", "channel": "in_app"})
    assert refused.status_code in (401, 403)


def test_alert_history_is_isolated_per_organization(api):
    base_url, secret, _, rules = api
    owner_a = headers(secret, "org_owner", ORG_A)
    for view in ("alert_incidents", "alert_notifications", "alert_deliveries", "alert_delivery_attempts"):
        rows = httpx.get(base_url + f"/{view}", headers=owner_a).json()
        assert rows, f"{view}: A has history"
        assert {row["organization_id"] for row in rows} == {ORG_A}, view
    slack = httpx.get(base_url + f"/alert_deliveries?rule_id=eq.{rules[ORG_A]}", headers=owner_a).json()
    assert [(d["channel"], d["status"], d["last_status_code"]) for d in slack] == [("slack", "retrying", 503)]
    [attempt] = httpx.get(base_url + f"/alert_delivery_attempts?delivery_id=eq.{slack[0]['id']}",
                          headers=owner_a).json()
    assert (attempt["outcome"], attempt["status_code"], attempt["latency_ms"]) == ("retry", 503, 80)
    assert attempt["provider_error"] == "service unavailable" and attempt["next_retry_at"]
    assert httpx.get(base_url + f"/alert_deliveries?rule_id=eq.{rules[ORG_B]}", headers=owner_a).json() == []


def test_in_app_notifications_reach_only_their_recipients_and_are_marked_read(api):
    base_url, secret, _, _ = api
    owner_a = headers(secret, "org_owner", ORG_A)
    mine = httpx.get(base_url + "/in_app_notifications?is_read=is.false", headers=owner_a).json()
    assert mine and {n["organization_id"] for n in mine} == {ORG_A}
    assert {n["recipient_role"] for n in mine} == {"org_owner"}
    assert httpx.get(base_url + "/in_app_notifications", headers=headers(secret, "staff", ORG_A)).json() == []
    marked = httpx.post(base_url + "/rpc/mark_notifications_read", headers=owner_a, json={"ids": [mine[0]["id"]]})
    assert marked.json() == 1
    again = httpx.post(base_url + "/rpc/mark_notifications_read", headers=owner_a, json={"ids": [mine[0]["id"]]})
    assert again.json() == 0
    owner_b = headers(secret, "org_owner", ORG_B)
    b_unread = httpx.get(base_url + "/in_app_notifications?is_read=is.false", headers=owner_b).json()
    assert b_unread and mine[0]["id"] not in {n["id"] for n in b_unread}


def test_job_listings_redact_delivery_destinations(api):
    base_url, secret, _, _ = api
    jobs = httpx.get(base_url + "/jobs?kind=eq.alerts.deliver", headers=headers(secret, "system_admin")).json()
    assert jobs and {job["payload"]["destination"] for job in jobs} == {"[redacted]"}
    assert "secret-of-a" not in str(jobs) and "secret-of-b" not in str(jobs)


def test_in_app_notifications_are_announced_on_notify(api):
    _, _, database_url, _ = api
    with (psycopg.connect(database_url, autocommit=True) as listener,
          psycopg.connect(database_url, autocommit=True) as conn):
        listener.execute('LISTEN "alerts:in_app"')
        rule_id = conn.execute("SELECT id FROM app.error_alerts WHERE channel = 'in_app' AND organization_id = %s"
                               " LIMIT 1", [ORG_A]).fetchone()[0]
        conn.execute("SELECT app.alert_test(%s)", [rule_id])
        [notice] = list(listener.notifies(timeout=5, stop_after=1))
    assert notice.channel == "alerts:in_app" and f'"organization_id" : "{ORG_A}"' in notice.payload


def test_an_org_owner_can_neither_read_nor_change_another_organizations_history(api):
    base_url, secret, database_url, _ = api
    with psycopg.connect(database_url) as conn:
        incident, notification, delivery, in_app = conn.execute(
            "SELECT i.id, n.id, d.id, a.id FROM app.alert_incidents i"
            " JOIN app.alert_notifications n ON n.incident_id = i.id"
            " JOIN app.alert_deliveries d ON d.notification_id = n.id AND d.channel = 'in_app'"
            " JOIN app.alert_in_app_notifications a ON a.delivery_id = d.id"
            " WHERE i.organization_id = %s AND NOT i.is_test LIMIT 1", [ORG_B]).fetchone()
    owner_a = headers(secret, "org_owner", ORG_A)
    b_rows = {"alert_incidents": f"id=eq.{incident}", "alert_notifications": f"id=eq.{notification}",
              "alert_deliveries": f"id=eq.{delivery}", "alert_delivery_attempts": f"delivery_id=eq.{delivery}",
              "in_app_notifications": f"id=eq.{in_app}"}
    owner_b = headers(secret, "org_owner", ORG_B)
    for view, row in b_rows.items():
        assert httpx.get(base_url + f"/{view}?{row}", headers=owner_b).json(), f"{view}: B sees its own row"
        assert httpx.get(base_url + f"/{view}?{row}", headers=owner_a).json() == [], f"{view}: A does not"
        for write in (httpx.patch(base_url + f"/{view}?{row}", headers=owner_a, json={"organization_id": ORG_A}),
                      httpx.delete(base_url + f"/{view}?{row}", headers=owner_a)):
            assert (write.status_code, write.json()["code"]) == (405, "QA040"), f"{view}: the history is read-only"
    marked = httpx.post(base_url + "/rpc/mark_notifications_read", headers=owner_a, json={"ids": [str(in_app)]})
    assert marked.json() == 0
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT read_at FROM app.alert_in_app_notifications WHERE id = %s",
                            [in_app]).fetchone() == (None,), "B's notification stays unread"
