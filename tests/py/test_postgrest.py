"""The real PostgREST binary in front of the schema: anon, org tokens, forged and expired tokens."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import psycopg
import pytest

from workers import tokens

ORG_A = "00000000-0000-0000-0000-0000000000aa"
ORG_B = "00000000-0000-0000-0000-0000000000bb"


@pytest.fixture(scope="module")
def api(api_server):
    base_url, secret, database_url = api_server
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'A'), (%s, 'B') ON CONFLICT DO NOTHING",
                     [ORG_A, ORG_B])
        conn.execute("""INSERT INTO app.system_errors (error_hash, error_type, message, organization_id)
                        VALUES (repeat('1', 64), 'api', 'error of A', %s),
                               (repeat('2', 64), 'api', 'error of B', %s)""", [ORG_A, ORG_B])
    return base_url, secret


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def callable_paths(database_url: str, role: str) -> set[str]:
    """The api views the role may read and the api functions it may execute, as OpenAPI paths."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("""
            SELECT '/' || c.relname FROM pg_class c
             WHERE c.relnamespace = 'api'::regnamespace AND c.relkind = 'v' AND has_table_privilege(%s, c.oid, 'SELECT')
            UNION
            SELECT '/rpc/' || p.proname FROM pg_proc p
             WHERE p.pronamespace = 'api'::regnamespace AND has_function_privilege(%s, p.oid, 'EXECUTE')""",
                            [role, role]).fetchall()
    return {path for (path,) in rows}


def test_openapi_lists_views_and_functions_with_their_comments(api_server, api):
    base_url, secret, database_url = api_server
    admin = bearer(tokens.mint(secret, "system_admin", timedelta(minutes=5)))
    document = httpx.get(base_url + "/", headers=admin).json()
    assert set(document["paths"]) - {"/"} == callable_paths(database_url, "system_admin")
    assert {"/system_errors", "/user_error_reports", "/rpc/whoami", "/rpc/create_project"} <= set(document["paths"])
    assert document["info"]["title"] == "pgwarden API"
    assert document["paths"]["/rpc/whoami"]["post"]["summary"] == "Who the API thinks you are"


def test_openapi_shows_anonymous_callers_only_what_they_may_call(api_server, api):
    base_url, _, database_url = api_server
    paths = set(httpx.get(base_url + "/").json()["paths"]) - {"/"}
    assert paths == callable_paths(database_url, "anon")
    assert {"/rpc/capture_error", "/rpc/capture_errors", "/rpc/get_status_page"} <= paths
    assert not {"/rpc/create_project", "/rpc/set_rate_limit", "/rpc/retry_job", "/jobs", "/system_errors"} & paths


def test_anonymous_request_for_private_rows_is_refused_with_a_hint_to_send_a_token(api):
    base_url, _ = api
    response = httpx.get(base_url + "/system_errors")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    assert set(response.json()) == {"code", "message", "details", "hint"}
    assert response.json()["code"] == "QA042"
    assert "Authorization: Bearer" in response.json()["hint"] and "pgwarden token" in response.json()["hint"]
    assert httpx.head(base_url + "/system_errors").status_code == 401


def test_anonymous_call_of_a_signed_in_function_is_refused_with_a_hint_to_send_a_token(api):
    base_url, _ = api
    for name, body in (("search_errors", {"query": "timeout"}), ("get_error_stats", {})):
        response = httpx.post(f"{base_url}/rpc/{name}", json=body)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer", name
        assert response.json()["code"] == "QA042" and "pgwarden token" in response.json()["hint"], name
    # what anon may call still answers (a capture without a key: its own 401, QAI01)
    assert httpx.post(f"{base_url}/rpc/capture_error", json={"message": "x"}).json()["code"] == "QAI01"


def test_a_function_that_changes_data_called_with_get_is_a_405_naming_post(api):
    base_url, secret = api
    admin = bearer(tokens.mint(secret, "system_admin", timedelta(minutes=5)))
    response = httpx.get(base_url + "/rpc/update_error_status",
                         params={"error_id": "00000000-0000-0000-0000-000000000000", "status": "resolved"},
                         headers=admin)
    assert (response.status_code, response.json()["code"]) == (405, "QA041")
    assert response.headers["Allow"] == "POST"
    assert httpx.get(base_url + "/rpc/whoami", headers=admin).status_code == 200, "a read by GET still works"


def test_org_owner_token_reads_only_its_own_organization(api):
    base_url, secret = api
    token = tokens.mint(secret, "org_owner", timedelta(minutes=5), org_id=ORG_A)
    rows = httpx.get(base_url + "/system_errors?select=message", headers=bearer(token)).json()
    assert rows == [{"message": "error of A"}]
    filtered = httpx.get(base_url + f"/system_errors?organization_id=eq.{ORG_B}", headers=bearer(token)).json()
    assert filtered == []


def test_system_admin_token_reads_every_organization(api):
    base_url, secret = api
    token = tokens.mint(secret, "system_admin", timedelta(minutes=5))
    rows = httpx.get(base_url + "/system_errors?select=message&order=message", headers=bearer(token)).json()
    assert [row["message"] for row in rows] == ["error of A", "error of B"]


def test_forged_token_is_rejected(api):
    base_url, _ = api
    forged = tokens.mint("not-the-secret-" * 3, "system_admin", timedelta(minutes=5))
    response = httpx.get(base_url + "/system_errors", headers=bearer(forged))
    assert response.status_code == 401
    assert response.json()["code"] == "PGRST301"


def test_expired_token_is_rejected(api):
    base_url, secret = api
    expired = jwt.encode({"role": "system_admin", "exp": 1_000_000_000}, secret, algorithm="HS256")
    response = httpx.get(base_url + "/system_errors", headers=bearer(expired))
    assert response.status_code == 401


def test_org_owner_creating_a_project_elsewhere_is_forbidden_and_stores_nothing(api):
    base_url, secret = api
    token = tokens.mint(secret, "org_owner", timedelta(minutes=5), org_id=ORG_A)
    response = httpx.post(base_url + "/rpc/create_project", headers=bearer(token),
                          json={"organization_id": ORG_B, "name": "sneaky"})
    assert response.status_code == 404  # another organization is invisible, so: not found
    assert response.json()["code"] == "QN001"
    admin = tokens.mint(secret, "system_admin", timedelta(minutes=5))
    names = [row["name"] for row in httpx.get(base_url + "/projects", headers=bearer(admin)).json()]
    assert "sneaky" not in names


def test_blank_project_name_is_a_400_with_code_and_field(api):
    base_url, secret = api
    token = tokens.mint(secret, "org_owner", timedelta(minutes=5), org_id=ORG_A)
    response = httpx.post(base_url + "/rpc/create_project", headers=bearer(token),
                          json={"organization_id": ORG_A, "name": "  "})
    assert response.status_code == 400
    assert response.json()["code"] == "QV002"
    assert "name" in response.json()["details"]


def test_org_owner_creates_a_project_in_its_own_organization(api):
    base_url, secret = api
    token = tokens.mint(secret, "org_owner", timedelta(minutes=5), org_id=ORG_A)
    response = httpx.post(base_url + "/rpc/create_project", headers=bearer(token),
                          json={"organization_id": ORG_A, "name": "checkout"})
    assert response.status_code == 200
    [project] = response.json()
    assert len(project["public_key"]) == 32 and int(project["public_key"], 16) >= 0


@pytest.mark.parametrize("view", ["organization_rate_limits", "jobs", "health_monitors", "maintenance_windows",
                                  "release_health", "system_errors", "ingest_repairs"])
def test_writes_to_read_only_views_are_refused_with_405_and_a_code_for_every_role(api, view):
    base_url, secret = api
    callers = {"anon": {},
               "org_owner": bearer(tokens.mint(secret, "org_owner", timedelta(minutes=5), org_id=ORG_A)),
               "system_admin": bearer(tokens.mint(secret, "system_admin", timedelta(minutes=5)))}
    for role, headers in callers.items():
        for method in ("POST", "PATCH", "DELETE"):
            response = httpx.request(method, f"{base_url}/{view}", headers=headers, json={})
            assert (response.status_code, response.json()["code"]) == (405, "QA040"), f"{role} {method} {view}"
            assert set(response.json()) == {"code", "message", "details", "hint"}
            assert response.headers["Allow"] == "GET, HEAD"
        # (a PUT without its primary-key filter is refused by PostgREST itself, before the database)
        put = httpx.put(f"{base_url}/{view}", headers=headers, json={})
        assert put.status_code == 405 and set(put.json()) == {"code", "message", "details", "hint"}
    assert httpx.get(f"{base_url}/{view}", headers=callers["system_admin"]).status_code == 200
