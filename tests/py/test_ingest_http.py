"""Capturing errors through the real PostgREST: status codes, error bodies, Retry-After, batches."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import psycopg
import pytest

from workers import tokens


class Tenant:
    def __init__(self, organization_id: str, key: str):
        self.organization_id, self.key = organization_id, key


CREATED: list[str] = []  # organizations this module made in the shared PostgREST database


def make_tenant(database_url: str, per_minute: int) -> Tenant:
    organization_id, key = str(uuid.uuid4()), uuid.uuid4().hex
    CREATED.append(organization_id)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'ingest test')", [organization_id])
        conn.execute("INSERT INTO app.projects (organization_id, name, public_key) VALUES (%s, 'web', %s)",
                     [organization_id, key])
        conn.execute("SELECT app.rate_limit_set(%s, %s)", [organization_id, per_minute])
    return Tenant(organization_id, key)


@pytest.fixture(scope="module")
def api(api_server):
    base_url, secret, database_url = api_server
    yield base_url, secret, database_url
    # the PostgREST database is shared by the session: leave it as we found it
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in ("error_events", "error_event_ids", "error_metrics", "rate_limit_usage", "system_errors",
                      "projects", "organizations"):
            column = "id" if table == "organizations" else "organization_id"
            conn.execute(f"DELETE FROM app.{table} WHERE {column} = ANY (%s::uuid[])", [CREATED])
        conn.execute("DELETE FROM app.job WHERE payload ->> 'organization_id' = ANY (%s)", [CREATED])


@pytest.fixture(scope="module")
def tenant(api) -> Tenant:
    return make_tenant(api[2], per_minute=0)


@pytest.fixture(scope="module")
def other_tenant(api) -> Tenant:
    return make_tenant(api[2], per_minute=0)


def key_header(key: str) -> dict:
    return {"X-Pgwarden-Key": key}


def bearer(secret: str, role: str, org_id: str | None = None) -> dict:
    return {"Authorization": f"Bearer {tokens.mint(secret, role, timedelta(minutes=5), org_id=org_id)}"}


def capture(base_url: str, key: str, **fields) -> httpx.Response:
    return httpx.post(base_url + "/rpc/capture_error", headers=key_header(key), json=fields)


def test_anonymous_capture_with_a_project_key_returns_the_group(api, tenant):
    base_url, secret, _ = api
    first = capture(base_url, tenant.key, error_type="api", severity="critical",
                    message="Payment provider timed out after 30s for order 12345")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["is_new"] is True and body["status"] == "new" and body["occurrence_count"] == 1
    again = capture(base_url, tenant.key, error_type="api", severity="critical",
                    message="Payment provider timed out after 31s for order 999")
    assert again.json()["id"] == body["id"] and again.json()["occurrence_count"] == 2
    rows = httpx.get(base_url + f"/error_groups?id=eq.{body['id']}&select=occurrence_count,organization_id",
                     headers=bearer(secret, "org_owner", tenant.organization_id)).json()
    assert rows == [{"occurrence_count": 2, "organization_id": tenant.organization_id}]


def test_unknown_enum_value_is_a_400_naming_the_field(api, tenant):
    response = capture(api[0], tenant.key, message="x", severity="apocalyptic")
    assert response.status_code == 400
    assert response.json()["code"] == "QV001"
    assert "severity" in response.json()["details"]


def test_missing_message_is_a_400_naming_the_field(api, tenant):
    response = capture(api[0], tenant.key, error_type="api")
    assert response.status_code == 400
    assert response.json()["code"] == "QV002"
    assert "message" in response.json()["details"]


def test_mistyped_number_is_a_400_naming_the_field(api, tenant):
    response = capture(api[0], tenant.key, message="x", line_number="forty-two")
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["details"]) == ("QV001", "Field: line_number.")


def test_an_unknown_field_is_a_400_naming_it_and_listing_the_accepted_ones(api, tenant):
    response = capture(api[0], tenant.key, message="x", mesage="typo", context={"a": 1})
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["code"], body["details"]) == ("QV001", "Field: mesage.")
    assert all(field in body["hint"] for field in ("message", "error_type", "metadata", "timestamp"))


def test_an_unknown_field_in_a_batch_refuses_that_event_only(api, tenant):
    response = httpx.post(api[0] + "/rpc/capture_errors", headers=key_header(tenant.key),
                          json={"events": [{"message": "fine"}, {"message": "x", "context": "y"}]})
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert first["error"] is None and first["result"]["id"]
    assert (second["error"]["code"], second["error"]["details"]) == ("QV001", "Field: context.")


def test_an_unknown_key_beside_the_batch_events_is_a_400_naming_it(api, tenant):
    response = httpx.post(api[0] + "/rpc/capture_errors", headers=key_header(tenant.key),
                          json={"events": [{"message": "x"}], "project": "web"})
    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["details"]) == ("QV001", "Field: project.")


def test_missing_or_unknown_project_key_is_a_401(api):
    base_url = api[0]
    missing = httpx.post(base_url + "/rpc/capture_error", json={"message": "x"})
    unknown = capture(base_url, uuid.uuid4().hex, message="x")
    for response in (missing, unknown):
        assert response.status_code == 401
        assert set(response.json()) == {"code", "message", "details", "hint"}
        assert response.json()["code"] == "QAI01"


def test_org_token_with_another_organizations_key_is_a_403(api, tenant, other_tenant):
    base_url, secret, _ = api
    owner = bearer(secret, "org_owner", tenant.organization_id)
    response = httpx.post(base_url + "/rpc/capture_error", json={"message": "x"},
                          headers={**key_header(other_tenant.key), **owner})
    assert response.status_code == 403
    assert response.json()["code"] == "QAI02"


def test_over_the_rate_limit_is_a_429_with_retry_after(api):
    limited = make_tenant(api[2], per_minute=1)
    assert capture(api[0], limited.key, message="first of the minute").status_code == 200
    refused = capture(api[0], limited.key, message="second of the minute")
    assert refused.status_code == 429
    assert refused.json()["code"] == "QR001"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    with psycopg.connect(api[2], autocommit=True) as conn:
        refused_count = conn.execute("SELECT refused FROM app.rate_limit_usage WHERE organization_id = %s",
                                     [limited.organization_id]).fetchone()[0]
    assert refused_count == 1


def test_batch_with_one_bad_event_answers_each_and_stores_the_good_ones(api, tenant):
    base_url, secret, _ = api
    marker = uuid.uuid4().hex
    response = httpx.post(base_url + "/rpc/capture_errors", headers=key_header(tenant.key), json={"events": [
        {"message": f"good {marker} a", "error_type": "database"},
        {"message": f"bad {marker}", "error_type": "cosmic"},
        {"message": f"good {marker} b", "error_type": "network"},
    ]})
    assert response.status_code == 200, response.text
    items = response.json()
    assert [item["ordinal"] for item in items] == [1, 2, 3]
    assert items[1]["result"] is None and items[1]["error"]["code"] == "QV001"
    assert "error_type" in items[1]["error"]["details"]
    assert all(items[i]["result"] and items[i]["error"] is None for i in (0, 2))
    stored = httpx.get(base_url + f"/error_events?message=like.*{marker}*&select=message&order=message",
                       headers=bearer(secret, "system_admin")).json()
    assert [row["message"] for row in stored] == [f"good {marker} a", f"good {marker} b"]


def test_batch_entirely_over_the_limit_is_a_429(api):
    limited = make_tenant(api[2], per_minute=1)
    capture(api[0], limited.key, message="uses the budget")
    response = httpx.post(api[0] + "/rpc/capture_errors", headers=key_header(limited.key),
                          json={"events": [{"message": "a"}, {"message": "b"}]})
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_status_change_answers_404_and_409_and_a_resolved_error_can_regress(api, tenant):
    base_url, secret, _ = api
    fingerprint = [uuid.uuid4().hex]  # a group of its own
    group = capture(base_url, tenant.key, message="to be resolved", fingerprint=fingerprint).json()
    owner = bearer(secret, "org_owner", tenant.organization_id)
    resolved = httpx.post(base_url + "/rpc/update_error_status", headers=owner,
                          json={"error_id": group["id"], "status": "resolved", "note": "fixed"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    illegal = httpx.post(base_url + "/rpc/update_error_status", headers=owner,
                         json={"error_id": group["id"], "status": "fixing"})
    assert illegal.status_code == 409 and illegal.json()["code"] == "QS001"
    unknown = httpx.post(base_url + "/rpc/update_error_status", headers=owner,
                         json={"error_id": str(uuid.uuid4()), "status": "resolved"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "QN001"
    again = capture(base_url, tenant.key, message="to be resolved", fingerprint=fingerprint).json()
    assert (again["id"], again["status"], again["is_regression"]) == (group["id"], "recurring", True)


def test_stats_of_another_organization_are_forbidden_to_an_org_owner(api, tenant, other_tenant):
    base_url, secret, _ = api
    owner = bearer(secret, "org_owner", tenant.organization_id)
    response = httpx.post(base_url + "/rpc/get_error_stats", headers=owner,
                          json={"p_organization_id": other_tenant.organization_id})
    assert response.status_code == 403
    own = httpx.post(base_url + "/rpc/get_error_stats", headers=owner, json={"p_time_range": "1 hour"})
    assert own.status_code == 200 and own.json()["organization_id"] == tenant.organization_id


def post_json_text(base_url: str, path: str, key: str, body: str) -> httpx.Response:
    """A body written by hand (json.dumps would not write these escapes)."""
    return httpx.post(base_url + path, content=body.encode(),
                      headers={**key_header(key), "Content-Type": "application/json"})


def test_a_capture_with_characters_postgresql_cannot_store_is_stored_with_them_replaced_and_marked(api):
    base_url, secret, _ = api
    limited = make_tenant(api[2], per_minute=0)
    response = post_json_text(base_url, "/rpc/capture_error", limited.key,
                              '{"message": "row \\u0000 of \\u0000", "metadata": {"k\\u0000": "\\\\u0000"}}')
    assert response.status_code == 200, response.text
    owner = bearer(secret, "org_owner", limited.organization_id)
    [event] = httpx.get(base_url + "/error_events?select=message,metadata", headers=owner).json()
    assert event == {"message": "row \ufffd of \ufffd",
                     "metadata": {"k\ufffd": "\\u0000", "_repaired": {"unstorable_characters": 3}}}
    assert httpx.get(base_url + "/ingest_repairs?select=source,repair,items,occurrences", headers=owner).json() == [
        {"source": "capture_error", "repair": "unstorable_characters", "items": 1, "occurrences": 3}]
    # a lone surrogate never reaches the database: PostgREST's JSON parser refuses it (400, error shape)
    surrogate = post_json_text(base_url, "/rpc/capture_error", limited.key, '{"message": "half \\ud83d"}')
    assert (surrogate.status_code, surrogate.json()["code"]) == (400, "PGRST102")


def test_a_batch_marks_only_the_events_that_had_something_replaced(api):
    base_url, secret, _ = api
    limited = make_tenant(api[2], per_minute=0)
    response = post_json_text(base_url, "/rpc/capture_errors", limited.key, '{"events": [{"message": "clean"},'
                              ' {"message": "dirty \\u0000"}, {"message": "cl\\\\u0000ean too"}]}')
    assert response.status_code == 200, response.text
    assert [item["error"] for item in response.json()] == [None, None, None]
    owner = bearer(secret, "org_owner", limited.organization_id)
    events = httpx.get(base_url + "/error_events?select=message,metadata&order=message", headers=owner).json()
    assert events == [{"message": "cl\\u0000ean too", "metadata": {}},
                      {"message": "clean", "metadata": {}},
                      {"message": "dirty \ufffd", "metadata": {"_repaired": {"unstorable_characters": 1}}}]


@pytest.mark.parametrize(("parameters", "field"), [({"p_time_range": "a while"}, "p_time_range"),
                                                   ({"p_organization_id": "acme"}, "p_organization_id")])
def test_stats_with_a_malformed_range_or_id_is_a_400_naming_it_with_the_accepted_forms(api, tenant, parameters, field):
    owner = bearer(api[1], "org_owner", tenant.organization_id)
    response = httpx.post(api[0] + "/rpc/get_error_stats", headers=owner, json=parameters)
    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["details"]) == ("QV001", f"Field: {field}.")
    assert response.json()["hint"]


@pytest.mark.parametrize(("function", "parameters", "field"), [
    ("update_error_status", {"error_id": "3f2a", "status": "resolved"}, "error_id"),
    ("assign_error", {"error_id": "not-an-id", "user_id": None}, "error_id"),
    ("get_error_detail", {"error_id": "not-an-id"}, "error_id"),
    ("explain_error_grouping", {"error_id": "not-an-id"}, "error_id"),
    ("unmerge_error_hash", {"error_id": "not-an-id", "hash": "abc"}, "error_id"),
    ("related_errors", {"error_id": "not-an-id"}, "error_id"),
    ("request_ai_analysis", {"error_id": "not-an-id"}, "error_id"),
    ("report_detail", {"report_id": "not-an-id"}, "report_id"),
    ("update_report_status", {"report_id": "not-an-id", "status": "closed"}, "report_id"),
    ("assign_report", {"report_id": "not-an-id"}, "report_id"),
    ("mark_report_duplicate", {"report_id": str(uuid.uuid4()), "duplicate_of": "nope"}, "duplicate_of"),
    ("test_alert", {"rule_id": "not-an-id"}, "rule_id"),
    ("rotate_alert_secret", {"rule_id": "not-an-id"}, "rule_id"),
    ("create_project", {"organization_id": "acme", "name": "shop"}, "organization_id"),
    ("set_rate_limit", {"organization_id": "acme", "per_minute": 10}, "organization_id"),
    ("set_personal_data_policy", {"email": "keep", "organization_id": "acme"}, "organization_id"),
    ("create_user", {"email": "a@example.com", "role": "staff", "organization_id": "acme"}, "organization_id"),
    ("add_maintenance_window", {"monitor_id": 1, "starts_at": "soonish", "ends_at": "+1h"}, "starts_at"),
    ("list_errors", {"organization_id": "acme"}, "organization_id"),
    ("merge_errors", {"target_id": str(uuid.uuid4()), "source_ids": [str(uuid.uuid4()), "nope"]}, "source_ids"),
    ("mark_notifications_read", {"ids": ["nope"]}, "ids"),
    ("list_errors", {"after_id": str(uuid.uuid4()), "after_last_seen_at": "yesterdayish"}, "after_last_seen_at")])
def test_an_id_that_is_no_uuid_is_a_400_naming_it(api, tenant, function, parameters, field):
    admin = bearer(api[1], "system_admin")
    response = httpx.post(api[0] + f"/rpc/{function}", headers=admin, json=parameters)
    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["details"]) == ("QV001", f"Field: {field}.")
