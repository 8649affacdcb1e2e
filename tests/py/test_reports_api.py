"""User error reports through a real PostgREST: the widget key and its origins, validation, the 64 KB
body limit, rate limits by client address and key, the queue for org owners, organization
isolation, the new_user_report alert and the customer's status link."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import psycopg
import pytest

from tests.conftest import postgrest_over_clone
from workers import tokens

ORG_A = "00000000-0000-0000-0000-00000000000a"
ORG_B = "00000000-0000-0000-0000-00000000000b"
OWNER_A = "00000000-0000-0000-0000-0000000000a1"
STAFF_A = "00000000-0000-0000-0000-0000000000a2"
OWNER_B = "00000000-0000-0000-0000-0000000000b1"
SHOP = "https://shop.example.com"


@pytest.fixture(scope="module")
def api(pg_cluster, template_database):
    """A PostgREST of its own (rate-limit counters are state); yields (base_url, secret, database_url, widget key)."""
    with postgrest_over_clone(pg_cluster, template_database) as (base_url, secret, database_url):
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'Shop A'), (%s, 'Shop B')",
                         [ORG_A, ORG_B])
            conn.execute("INSERT INTO app.users (id, organization_id, email, role) VALUES "
                         "(%s, %s, 'owner@a.test', 'org_owner'), (%s, %s, 'dev@a.test', 'staff'), "
                         "(%s, %s, 'owner@b.test', 'org_owner')", [OWNER_A, ORG_A, STAFF_A, ORG_A, OWNER_B, ORG_B])
            conn.execute("INSERT INTO app.error_alerts (alert_type, channel, organization_id, trigger_conditions) "
                         "VALUES ('new_user_report', 'in_app', %s, '{}')", [ORG_A])
            (project_id,) = conn.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'shop') "
                                         "RETURNING id", [ORG_A]).fetchone()
        owner = bearer(secret, "org_owner", ORG_A, OWNER_A)
        key = httpx.post(base_url + "/rpc/set_widget_key", headers=owner,
                         json={"project_id": project_id, "allowed_origins": [SHOP + "/"]}).json()
        assert key["allowed_origins"] == [SHOP]
        yield base_url, secret, database_url, key["widget_key"]


def bearer(secret: str, role: str, org_id: str | None = None, user_id: str | None = None) -> dict:
    token = tokens.mint(secret, role, timedelta(minutes=5), org_id=org_id, user_id=user_id)
    return {"Authorization": "Bearer " + token}


def customer(key: str, address: str | None = None, origin: str = SHOP) -> dict:
    """What the widget sends from a page of `origin` (a proxy in front adds the client's address)."""
    return {"X-Pgwarden-Widget-Key": key, "Origin": origin,
            "X-Forwarded-For": address or f"198.51.100.{uuid.uuid4().int % 250}"}


REPORT = {"title": "Checkout spins forever", "description": "After pressing Pay nothing happens",
          "url": SHOP + "/checkout", "priority": "high", "browser_info": {"userAgent": "Mozilla/5.0", "language": "en"}}


def test_a_customer_reports_through_the_widget_key_and_reads_the_status_with_the_token(api):
    base_url, secret, database_url, key = api
    answer = httpx.post(base_url + "/rpc/submit_report", headers=customer(key), json=REPORT)
    assert answer.status_code == 200, answer.text
    submitted = answer.json()
    assert submitted["status"] == "open" and len(submitted["status_token"]) == 48
    status = httpx.get(base_url + "/rpc/report_status", params={"token": submitted["status_token"]})
    assert status.status_code == 200 and status.json()["title"] == REPORT["title"]
    assert status.json()["status"] == "open"
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT reporter_type::text, organization_id::text, priority::text"
                              " FROM app.user_error_reports WHERE id = %s", [submitted["id"]]).fetchone()
    assert stored == ("customer", ORG_A, "high")
    unknown = httpx.get(base_url + "/rpc/report_status", params={"token": "0" * 48})
    assert unknown.status_code == 404 and unknown.json()["code"] == "QN801"


def test_the_widget_key_works_only_from_its_allowed_origins(api):
    base_url, _, _, key = api
    elsewhere = httpx.post(base_url + "/rpc/submit_report", headers=customer(key, origin="https://evil.example.net"),
                           json=REPORT)
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "QA802"
    without_key = httpx.post(base_url + "/rpc/submit_report", headers={"Origin": SHOP}, json=REPORT)
    assert without_key.status_code == 401 and without_key.json()["code"] == "QA801"
    unknown_key = httpx.post(base_url + "/rpc/submit_report", headers=customer("wk_" + "0" * 32), json=REPORT)
    assert unknown_key.status_code == 401 and unknown_key.json()["code"] == "QA801"
    # the browser asks first (a custom header): PostgREST answers CORS itself, for any origin, and SQL
    # checks the origin at the POST (the widget posts to pgwarden web, which answers preflights per key)
    preflight = httpx.options(base_url + "/rpc/submit_report", headers={
        "Origin": SHOP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-pgwarden-widget-key"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", SHOP)
    assert "x-pgwarden-widget-key" in preflight.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize(("change", "field"), [
    ({"title": "t" * 501}, "title"),
    ({"description": ""}, "description"),
    ({"url": "ftp://shop.example.com/"}, "url"),
    ({"reporter_email": "not an address"}, "reporter_email"),
    ({"report_type": "rant"}, "report_type"),
    ({"priority": 3}, "priority"),
    ({"screenshot_urls": [f"https://img.test/{n}.png" for n in range(6)]}, "screenshot_urls"),
    ({"browser_info": ["Chrome"]}, "browser_info"),
])
def test_an_invalid_report_is_refused_naming_its_field(api, change, field):
    base_url, _, _, key = api
    refused = httpx.post(base_url + "/rpc/submit_report", headers=customer(key), json={**REPORT, **change})
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] in ("QV801", "QV802") and refused.json()["details"] == f"Field: {field}."


def test_a_body_over_64_kb_is_refused_before_it_is_read(api):
    base_url, _, _, key = api
    refused = httpx.post(base_url + "/rpc/submit_report", headers=customer(key),
                         json={**REPORT, "description": "x" * 70_000})
    assert refused.status_code == 413 and refused.json()["code"] == "QV003"


def test_one_address_is_limited_to_ten_reports_per_window_and_the_key_has_a_ceiling(api):
    base_url, _, database_url, key = api
    address = "203.0.113.77"
    answers = [httpx.post(base_url + "/rpc/submit_report", headers=customer(key, address), json=REPORT).status_code
               for _ in range(11)]
    assert answers == [200] * 10 + [429]
    limited = httpx.post(base_url + "/rpc/submit_report", headers=customer(key, address), json=REPORT)
    assert limited.json()["code"] == "QR801" and int(limited.headers["retry-after"]) >= 1
    other = httpx.post(base_url + "/rpc/submit_report", headers=customer(key, "203.0.113.78"), json=REPORT)
    assert other.status_code == 200
    with psycopg.connect(database_url, autocommit=True) as conn:
        (taken,) = conn.execute("SELECT taken FROM app.report_rate_usage WHERE client = '*' "
                                "ORDER BY window_start DESC LIMIT 1").fetchone()
        conn.execute("UPDATE app.report_rate_limit SET per_key = %s WHERE kind = 'report'", [taken])
    try:
        ceiling = httpx.post(base_url + "/rpc/submit_report", headers=customer(key, "203.0.113.79"), json=REPORT)
        assert ceiling.status_code == 429 and ceiling.json()["code"] == "QR801"
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("UPDATE app.report_rate_limit SET per_key = 100 WHERE kind = 'report'")
            conn.execute("DELETE FROM app.report_rate_usage")


def test_an_org_owner_works_the_queue_and_the_customer_sees_the_change_and_the_admins_were_alerted(api):
    base_url, secret, database_url, key = api
    submitted = httpx.post(base_url + "/rpc/submit_report", headers=customer(key),
                           json={**REPORT, "title": "Coupon field rejects codes"}).json()
    owner = bearer(secret, "org_owner", ORG_A, OWNER_A)
    queue = httpx.get(base_url + "/report_queue", headers=owner,
                      params={"status": "eq.open", "title": "eq.Coupon field rejects codes"}).json()
    assert [row["id"] for row in queue] == [submitted["id"]]
    assigned = httpx.post(base_url + "/rpc/assign_report", headers=owner,
                          json={"report_id": submitted["id"], "user_id": STAFF_A})
    assert assigned.status_code == 200 and assigned.json()["assigned_to"] == STAFF_A
    for status, notes in (("in_progress", None), ("resolved", "Codes are case-insensitive again")):
        moved = httpx.post(base_url + "/rpc/update_report_status", headers=owner,
                           json={"report_id": submitted["id"], "status": status, "notes": notes})
        assert moved.status_code == 200, moved.text
    refused = httpx.post(base_url + "/rpc/update_report_status", headers=owner,
                         json={"report_id": submitted["id"], "status": "pending_info"})
    assert refused.status_code == 409 and refused.json()["code"] == "QS801"
    history = httpx.get(base_url + "/report_history", headers=owner,
                        params={"report_id": f"eq.{submitted['id']}", "order": "id"}).json()
    assert [(h["change"], h["to_value"], h["changed_by"]) for h in history] == [
        ("assigned_to", STAFF_A, OWNER_A), ("status", "in_progress", OWNER_A), ("status", "resolved", OWNER_A)]
    status = httpx.get(base_url + "/rpc/report_status", params={"token": submitted["status_token"]}).json()
    assert status["status"] == "resolved" and status["resolved_at"]
    notifications = httpx.get(base_url + "/in_app_notifications", headers=owner).json()
    assert any("Coupon field rejects codes" in n["title"] for n in notifications), notifications


def test_another_organization_sees_and_works_none_of_the_reports(api):
    base_url, secret, _, key = api
    submitted = httpx.post(base_url + "/rpc/submit_report", headers=customer(key),
                           json={**REPORT, "title": "Private to A"}).json()
    owner_b = bearer(secret, "org_owner", ORG_B, OWNER_B)
    for view in ("report_queue", "user_error_reports", "report_history", "report_screenshots", "widget_keys"):
        rows = httpx.get(base_url + f"/{view}", headers=owner_b).json()
        assert all(row["organization_id"] == ORG_B for row in rows), view
    detail = httpx.post(base_url + "/rpc/report_detail", headers=owner_b, json={"report_id": submitted["id"]})
    assert detail.status_code == 404 and detail.json()["code"] == "QN801"
    closed = httpx.post(base_url + "/rpc/update_report_status", headers=owner_b,
                        json={"report_id": submitted["id"], "status": "closed"})
    assert closed.status_code == 404
    staff_a = bearer(secret, "staff", ORG_A, STAFF_A)
    assert httpx.post(base_url + "/rpc/report_detail", headers=staff_a,
                      json={"report_id": submitted["id"]}).json()["title"] == "Private to A"
    not_staff = httpx.post(base_url + "/rpc/update_report_status", headers=staff_a,
                           json={"report_id": submitted["id"], "status": "closed"})
    assert not_staff.status_code in (401, 403)


def test_staff_and_org_owners_report_with_their_token_and_the_body_cannot_change_who_reports(api):
    base_url, secret, database_url, _ = api
    staff = bearer(secret, "staff", ORG_A, STAFF_A)
    answer = httpx.post(base_url + "/rpc/submit_report", headers=staff, json={
        **REPORT, "title": "Staff app crash", "reporter_type": "system_admin", "organization_id": ORG_B})
    assert answer.status_code == 200, answer.text
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT reporter_type::text, reporter_id::text, organization_id::text, reporter_email "
                              "FROM app.user_error_reports WHERE id = %s", [answer.json()["id"]]).fetchone()
    assert stored == ("staff", STAFF_A, ORG_A, "dev@a.test")
