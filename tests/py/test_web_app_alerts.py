"""The Alerts page over HTTP against a real `pgwarden web` and database: rules created, edited,
muted, tested and deleted through api as the signed-in person; SQL's validation shown on the
editor with its code; deliveries and in-app notifications; an org owner seeing and changing only
their organization's rules, and staff reading without writing."""

from __future__ import annotations

import re
import uuid

import pytest
from web_app_support import BROWSER, World, csrf_of, seed, signed_in_client
from web_server import WebServer

from workers.web.ui.security import hash_password

pytest_plugins = ["web_server"]


@pytest.fixture(scope="module")
def world(web_server: WebServer) -> World:
    return seed(web_server)


def rule_named(web_server: WebServer, name: str) -> dict | None:
    found = web_server.query("SELECT id::text, channel::text, webhook_url, muted_until > now() + interval '50 minutes',"
                             " muted_until IS NULL, organization_id::text FROM app.error_alerts WHERE name = %s",
                             [name])
    if not found:
        return None
    rule_id, channel, url, muted_for_an_hour, unmuted, organization_id = found[0]
    return {"id": rule_id, "channel": channel, "webhook_url": url, "muted_for_an_hour": muted_for_an_hour,
            "unmuted": unmuted, "organization_id": organization_id}


def new_rule(client, csrf: str, name: str, **fields) -> object:
    form = {"csrf": csrf, "name": name, "alert_type": "critical_error", "destination": "in_app",
            "trigger_conditions": "{}", "is_active": "on", "send_resolved": "on", **fields}
    return client.post("/alerts/new", data=form)


def test_an_org_owner_creates_a_rule_sends_a_test_and_sees_it_delivered_and_notified(web_server, world):
    name = f"Critical checkout {uuid.uuid4().hex[:6]}"
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get("/alerts").text)
        client.post("/alerts/notifications/read", data={"csrf": csrf})
        created = new_rule(client, csrf, name, trigger_conditions='{"new_only": true}')
        assert (created.status_code, created.headers["location"]) == (303, "/alerts?done=created")
        rule = rule_named(web_server, name)
        assert rule["organization_id"] == world.project_a.organization_id  # the owner's organization, by SQL
        assert client.post(f"/alerts/{rule['id']}/test", data={"csrf": csrf}).status_code == 303
        page = client.get("/alerts").text
        deliveries = page.split('id="deliveries"')[1]
        assert f"Test notification from pgwarden: {name}" in deliveries and "delivered" in deliveries
        assert re.search(r'class="badge new">1<span class="visually-hidden"> unread notifications', page)
        assert client.post("/alerts/notifications/read", data={"csrf": csrf}).status_code == 303
        assert "unread notifications" not in client.get("/alerts").text


def test_the_editor_shows_sqls_refusal_with_its_code_and_keeps_what_was_typed(web_server, world):
    name = f"Never created {uuid.uuid4().hex[:6]}"
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get("/alerts/new").text)
        refused = new_rule(client, csrf, name, trigger_conditions='{"threshold_typo": 5}')
        assert refused.status_code == 400
        assert "code QVA01" in refused.text and "critical_error rules take:" in refused.text
        assert "threshold_typo" in refused.text and name in refused.text  # the form as it was sent
        not_json = new_rule(client, csrf, name, trigger_conditions="{threshold: 5")
        assert not_json.status_code == 400 and "code QVW02" in not_json.text
    assert rule_named(web_server, name) is None


def test_a_rule_is_muted_unmuted_edited_and_its_signing_secret_shown_once(web_server, world):
    name = f"Hook {uuid.uuid4().hex[:6]}"
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get("/alerts").text)
        assert new_rule(client, csrf, name).status_code == 303
        rule_id = rule_named(web_server, name)["id"]
        assert client.post(f"/alerts/{rule_id}/mute", data={"csrf": csrf, "for": "1h"}).status_code == 303
        assert rule_named(web_server, name)["muted_for_an_hour"] is True
        assert '<span class="badge waiting">muted</span>' in client.get("/alerts").text
        assert client.post(f"/alerts/{rule_id}/unmute", data={"csrf": csrf}).status_code == 303
        assert rule_named(web_server, name)["unmuted"] is True
        edit = {"csrf": csrf, "name": name, "alert_type": "critical_error", "destination": "webhook",
                "webhook_url": "https://hooks.example/pgwarden?token=s3cret", "trigger_conditions": "{}",
                "is_active": "on"}
        saved = client.post(f"/alerts/{rule_id}/edit", data=edit)
        assert saved.status_code == 200 and re.search(r"signing secret, shown only now: whsec_", saved.text)
        assert "s3cret" not in client.get("/alerts").text  # the URL's query is cut in every read
        again = client.post(f"/alerts/{rule_id}/edit", data={**edit, "webhook_url": "", "name": name + " renamed"})
        assert again.status_code == 303  # no new secret: it stayed a standard webhook
        assert rule_named(web_server, name + " renamed")["webhook_url"] == "https://hooks.example/pgwarden?token=s3cret"
        assert client.post(f"/alerts/{rule_id}/delete", data={"csrf": csrf}).status_code == 303
        assert client.post(f"/alerts/{rule_id}/delete", data={"csrf": csrf}).status_code == 404
    assert rule_named(web_server, name + " renamed") is None


def test_an_org_owner_sees_and_changes_only_their_organizations_rules(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        page = client.get("/alerts").text
        assert "Checkout critical" in page and "B secret failure alert" not in page
        csrf = csrf_of(page)
        assert client.get(f"/alerts/{world.rule_b}/edit").status_code == 404
        for action in ("delete", "unmute", "test"):
            assert client.post(f"/alerts/{world.rule_b}/{action}", data={"csrf": csrf}).status_code == 404, action
        other_org = new_rule(client, csrf, "Into B", organization_id=world.project_b.organization_id)
        assert other_org.status_code >= 400  # RLS refuses a rule for another organization
    assert web_server.query("SELECT count(*) FROM app.error_alerts WHERE id = %s", [world.rule_b]) == [(1,)]
    assert rule_named(web_server, "Into B") is None
    with signed_in_client(web_server, world.admin) as client:
        page = client.get("/alerts").text
        assert "Checkout critical" in page and "B secret failure alert" in page


def test_staff_read_the_rules_without_ways_to_change_them(web_server, world):
    email = f"staff-{uuid.uuid4().hex[:6]}@example.com"
    web_server.query("SELECT app.user_create(%s, 'staff', %s, %s, 'Staff')",
                     [email, world.project_a.organization_id, hash_password("staff password")])
    with signed_in_client(web_server, email, "staff password") as client:
        page = client.get("/alerts").text
        assert "Checkout critical" in page and "New rule" not in page and "Send test" not in page
        refused = client.post(f"/alerts/{world.rule_a}/delete", data={"csrf": csrf_of(page)}, headers=BROWSER)
        assert refused.status_code == 403
    assert web_server.query("SELECT count(*) FROM app.error_alerts WHERE id = %s", [world.rule_a]) == [(1,)]
