"""AI analysis through PostgREST and through `pgwarden web`'s POST /functions/v1/ai-error-analysis: org
owners and staff analyse, read and relate their own organization's errors only (row-level security
decides, for the endpoint too: it acts as the token's role); the endpoint answers the spec's
{"analysis": {...}} at once for the heuristic, waits for a provider's answer, or answers 202 with a
status URL; every refusal is in the error shape with its code."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import jwt
import psycopg
import pytest
from ai_support import automatic_analysis, capture, javascript_error, new_tenant, use_provider, worker
from provider_servers import VALID_ANSWER, AnthropicStub
from web_server import WebServer

from tests.conftest import postgrest_over_clone
from workers import tokens

pytest_plugins = ["web_server"]

ENDPOINT = "/functions/v1/ai-error-analysis"
SPEC_KEYS = {"rootCause", "impact", "suggestedFix", "prevention", "severity", "relatedErrors"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def two_organizations(database_url: str, secret: str) -> dict:
    """Organizations a and b, each with an error group and a similar one, and their people's tokens."""
    with psycopg.connect(database_url, autocommit=True) as db:
        automatic_analysis(db, False)
        a, b = new_tenant(db, "a"), new_tenant(db, "b")
        a_error, a_similar = capture(db, a, javascript_error("total", "renderCart"),
                                     javascript_error("total", "renderCheckout"))
        b_error, = capture(db, b, javascript_error("total", "renderCart"))
    minute = timedelta(minutes=10)
    return {"a_error": a_error, "a_similar": a_similar, "b_error": b_error,
            "owner_a": tokens.mint(secret, "org_owner", minute, org_id=a.organization_id),
            "staff_a": tokens.mint(secret, "staff", minute, org_id=a.organization_id),
            "owner_b": tokens.mint(secret, "org_owner", minute, org_id=b.organization_id),
            "admin": tokens.mint(secret, "system_admin", minute)}


# == PostgREST ==

@pytest.fixture(scope="module")
def api(pg_cluster, template_database):
    with postgrest_over_clone(pg_cluster, template_database) as (base_url, secret, database_url):
        yield base_url, two_organizations(database_url, secret)


def rpc(base_url: str, name: str, token: str, **arguments) -> httpx.Response:
    return httpx.post(f"{base_url}/rpc/{name}", json=arguments, headers=bearer(token))


def test_an_owner_analyses_their_organizations_error_through_postgrest(api):
    base_url, people = api
    answer = rpc(base_url, "request_ai_analysis", people["owner_a"], error_id=people["a_error"], provider="heuristic")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["done"], body["provider"]) == ("succeeded", True, "heuristic")
    assert SPEC_KEYS <= set(body["analysis"]) and body["analysis"]["relatedErrors"] == [people["a_similar"]]
    current = httpx.get(f"{base_url}/error_analyses?error_id=eq.{people['a_error']}", headers=bearer(people["staff_a"]))
    assert current.json()[0]["analysis"] == body["analysis"]
    assert current.json()[0]["provider"] == "heuristic"


def test_another_organizations_error_is_not_found_nor_listed_nor_related(api):
    base_url, people = api
    for owner, error in (("owner_a", "a_error"), ("owner_b", "b_error")):
        assert rpc(base_url, "request_ai_analysis", people[owner], error_id=people[error]).status_code == 200
    for name in ("request_ai_analysis", "related_errors"):
        refused = rpc(base_url, name, people["owner_a"], error_id=people["b_error"])
        assert (refused.status_code, refused.json()["code"]) == (404, "QN001"), name
    for view in ("error_analyses", "ai_analysis_runs"):
        seen = httpx.get(f"{base_url}/{view}?select=organization_id", headers=bearer(people["owner_a"])).json()
        assert seen and {row["organization_id"] for row in seen} == {seen[0]["organization_id"]}
        assert people["b_error"] not in httpx.get(f"{base_url}/{view}", headers=bearer(people["owner_a"])).text
    related = rpc(base_url, "related_errors", people["owner_a"], error_id=people["a_error"]).json()
    assert [row["id"] for row in related] == [people["a_similar"]], "the same error in organization b is not related"
    assert 0.3 <= related[0]["score"] <= 1
    everything = httpx.get(f"{base_url}/error_analyses?select=error_id", headers=bearer(people["admin"])).json()
    assert {people["a_error"], people["b_error"]} <= {row["error_id"] for row in everything}


def test_postgrest_refusals_come_with_their_codes(api):
    base_url, people = api
    unknown = rpc(base_url, "request_ai_analysis", people["owner_a"], error_id=people["a_error"], provider="llama")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "QV450")
    anonymous = httpx.post(f"{base_url}/rpc/request_ai_analysis", json={"error_id": people["a_error"]})
    assert anonymous.status_code in (401, 403) and anonymous.json()["code"]
    providers = httpx.get(f"{base_url}/ai_providers?order=provider", headers=bearer(people["staff_a"])).json()
    assert [(row["provider"], row["is_default"]) for row in providers] == \
        [("anthropic", False), ("heuristic", True), ("openai", False)]


# == pgwarden web ==

@pytest.fixture(scope="module")
def web(web_server: WebServer) -> tuple[WebServer, dict]:
    return web_server, two_organizations(web_server.database_url, web_server.jwt_secret)


def post(server: WebServer, token: str | None, body: dict | bytes) -> httpx.Response:
    headers = bearer(token) if token else {}
    if isinstance(body, bytes):
        return httpx.post(server.base_url + ENDPOINT, content=body, headers=headers, timeout=60)
    return httpx.post(server.base_url + ENDPOINT, json=body, headers=headers, timeout=60)


def test_the_endpoint_answers_the_specs_shape_for_the_callers_own_error(web):
    server, people = web
    answer = post(server, people["staff_a"], {"errorId": people["a_error"], "provider": "heuristic"})
    assert answer.status_code == 200, answer.text
    assert list(answer.json()) == ["analysis"] and SPEC_KEYS <= set(answer.json()["analysis"])
    assert answer.json()["analysis"]["relatedErrors"] == [people["a_similar"]]


def test_the_endpoint_refuses_with_codes_and_hides_other_organizations_errors(web):
    server, people = web
    outsider = tokens.mint("another-secret-" * 4, "system_admin", timedelta(minutes=5))
    anon = jwt.encode({"role": "anon", "exp": int(time.time()) + 60}, server.jwt_secret, algorithm="HS256")
    cases = [
        (None, {"errorId": people["a_error"]}, 401, "QA451"),
        (outsider, {"errorId": people["a_error"]}, 401, "QA451"),
        (anon, {"errorId": people["a_error"]}, 403, "QA452"),
        (people["owner_b"], {"errorId": people["a_error"]}, 404, "QN001"),
        (people["owner_a"], {"errorId": "not-an-id"}, 400, "QV451"),
        (people["owner_a"], {"errorId": people["a_error"], "provider": 7}, 400, "QV451"),
        (people["owner_a"], {"errorId": people["a_error"], "provider": "llama"}, 400, "QV450"),
        (people["owner_a"], b"{not json", 400, "QV451"),
        (people["owner_a"], {"errorId": people["a_error"], "error_id": people["a_error"]}, 400, "QV451"),
    ]
    for token, body, status, code in cases:
        answer = post(server, token, body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (body, answer.text)
        assert {"code", "message", "details", "hint"} <= set(answer.json())


def test_a_providers_analysis_is_waited_for_or_answered_later_at_its_status_url(web, monkeypatch):
    server, people = web
    with psycopg.connect(server.database_url, autocommit=True) as db, AnthropicStub() as anthropic:
        for name, value in anthropic.environment().items():
            monkeypatch.setenv(name, value)
        use_provider(db, "anthropic")
        db.execute("UPDATE app.ai_setting SET request_wait_seconds = 0.5")
        pending = post(server, people["owner_a"], {"errorId": people["a_error"], "provider": "anthropic"})
        assert pending.status_code == 202, pending.text
        status_url = pending.json()["statusUrl"]
        assert pending.headers["location"] == status_url and pending.json()["status"] == "pending"
        assert httpx.get(server.base_url + status_url, headers=bearer(people["owner_a"])).status_code == 202
        hidden = httpx.get(server.base_url + status_url, headers=bearer(people["owner_b"]))
        assert (hidden.status_code, hidden.json()["code"]) == (404, "QN450")

        db.execute("UPDATE app.ai_setting SET request_wait_seconds = 20")
        with worker(server.database_url):
            later = httpx.get(server.base_url + status_url, headers=bearer(people["owner_a"]))
            for _ in range(200):
                if later.status_code == 200:
                    break
                time.sleep(0.05)
                later = httpx.get(server.base_url + status_url, headers=bearer(people["owner_a"]))
            waited = post(server, people["owner_a"], {"errorId": people["a_similar"], "provider": "anthropic"})

    assert later.status_code == 200 and later.json()["analysis"]["provider"] == "anthropic"
    assert waited.status_code == 200, "answered within the wait, woken by NOTIFY"
    assert waited.json()["analysis"]["rootCause"] == VALID_ANSWER["rootCause"]
