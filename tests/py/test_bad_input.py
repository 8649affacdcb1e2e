"""No client input yields a 5xx or a dropped connection: a corpus of bad bodies (NUL characters,
lone surrogates, NaN, deep nesting, wrong types, invalid UTF-8, huge numbers, empty bodies, wrong
content types) is posted to every route of `pgwarden web` and to every PostgREST RPC and view;
every answer is a 2xx, or a 4xx in the error shape {code, message, details, hint}. Nothing of what
was sent reaches the web process's log or PostgreSQL's server log."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import psycopg
import pytest
from web_app_support import PASSWORD, csrf_of, signed_in_client
from web_server import WebServer

from tests.conftest import postgrest_over_clone
from workers import tokens
from workers.web.app import mounted_routes
from workers.web.ui.security import hash_password

pytest_plugins = ["web_server"]

# Sent inside every body: neither log may ever contain it.
CANARY = "canary-7f3e9b"

DEEP = 5000  # deeper than Python's json reads, and than PostgreSQL's stack allows for jsonb


def corpus() -> list[tuple[str, bytes, str]]:
    """(label, body, content type). The JSON texts are written by hand: json.dumps cannot write
    most of them."""
    json_type = "application/json"
    return [
        ("nul", f'{{"message": "{CANARY} a\\u0000b", "x\\u0000": "y\\u0000"}}'.encode(), json_type),
        ("lone surrogates", f'{{"message": "{CANARY} \\ud800 \\udfff", "\\udc00": 1}}'.encode(), json_type),
        ("nan and infinity", f'{{"message": "{CANARY}", "n": NaN, "i": Infinity, "j": -Infinity}}'.encode(),
         json_type),
        ("deep nesting", (f'{{"message": "{CANARY}", "metadata": {{"a": ' + "[" * DEEP + "]" * DEEP + "}}").encode(),
         json_type),
        ("deep nesting unclosed", b"[" * 100_000, json_type),
        ("wrong types", f'{{"message": ["{CANARY}"], "error_type": 42, "severity": {{}}, "events": "x",'
                        f' "checks": [1, null], "metadata": "m"}}'.encode(), json_type),
        ("array", f'[1, "{CANARY}", null]'.encode(), json_type),
        ("scalar", f'"{CANARY}"'.encode(), json_type),
        ("null", b"null", json_type),
        ("invalid utf-8", b'{"message": "' + CANARY.encode() + b' \xff\xfe\xc3"}', json_type),
        ("huge numbers", f'{{"message": "{CANARY}", "line_number": 1e400, "n": {"9" * 5000},'
                         f' "timestamp": -1e400}}'.encode(), json_type),
        ("empty", b"", json_type),
        ("truncated", f'{{"message": "{CANARY}'.encode(), json_type),
        ("form", f"message={CANARY}%00&error_type=x".encode(), "application/x-www-form-urlencoded"),
        ("text", f"{CANARY} \x00 plain text".encode(), "text/plain"),
        ("binary", b"\x00\x01\x02\xff" + CANARY.encode(), "application/octet-stream"),
        ("gzip claimed, not gzip", f'{{"message": "{CANARY}"}}'.encode(), "application/json; gzip"),
        ("gzip bomb-ish", gzip.compress(b"[" * 200_000), "application/json; gzip"),
    ]


CLIENT = httpx.Client(timeout=60)  # (one client: building one costs more than most of these requests)


def post(url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None,
         method: str = "POST") -> httpx.Response:
    headers = {**(headers or {})}
    if content_type.endswith("; gzip"):
        content_type = content_type.removesuffix("; gzip")
        headers["Content-Encoding"] = "gzip"
    return CLIENT.request(method, url, content=body, headers={"Content-Type": content_type, **headers})


def assert_refused_properly(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        body = response.json()
        assert {"code", "message", "details", "hint"} <= set(body), f"{what}: {body}"
        assert isinstance(body["code"], str) and body["code"], f"{what}: {body}"


# == pgwarden web ==

@pytest.fixture(scope="module")
def web_answers(web_server: WebServer) -> list[tuple[str, httpx.Response]]:
    """The corpus posted to one URL of each POST route pgwarden web mounts, with its credentials."""
    project = web_server.new_project()
    with psycopg.connect(web_server.database_url, autocommit=True) as conn:
        # the health check would wait 30 s for probes no worker runs
        conn.execute("SELECT app.health_setting_set('run_now_max_wait_seconds', '1')")
        (secret,) = conn.execute("SELECT app.webhook_secret_rotate(%s)", [project.id]).fetchone()
        (widget_key,) = conn.execute("SELECT app.widget_key_set(%s) ->> 'widget_key'", [project.id]).fetchone()
    sentry_auth = {"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"}
    admin = {"Authorization": "Bearer " + tokens.mint(web_server.jwt_secret, "system_admin", timedelta(minutes=30))}
    targets = [(f"/api/{project.id}/envelope/", sentry_auth), (f"/api/{project.id}/store/", sentry_auth),
               (f"/sentry/api/{project.id}/store", sentry_auth),  # a DSN path prefix, no trailing slash
               ("/functions/v1/error-webhook", {"Authorization": f"Bearer {secret}"}),
               ("/functions/v1/system-health-check", {}), ("/functions/v1/heartbeat/some-token", {}),
               ("/reports/screenshot", {"X-Pgwarden-Widget-Key": widget_key}),
               ("/reports/submit", {"X-Pgwarden-Widget-Key": widget_key}),
               ("/functions/v1/ai-error-analysis", admin)]
    # the web app's forms, as a signed-in system admin whose CSRF token comes in a header, so every
    # body reaches the form parser and the page's own checks (ids of nothing: nothing is changed)
    person = web_app_admin(web_server)
    unknown = str(uuid.uuid4())
    targets += [("/login", {}), ("/errors/bulk", person), (f"/errors/{unknown}/status", person),
                ("/monitors/new", person), ("/monitors/0/edit", person), ("/monitors/0/pause", person),
                ("/alerts/new", person), (f"/alerts/{unknown}/edit", person), (f"/alerts/{unknown}/mute", person),
                ("/alerts/notifications/read", person), ("/reports/new", person),
                (f"/reports/{unknown}/status", person), (f"/errors/{unknown}/analysis", person),
                (f"/errors/{unknown}/assignee", person), ("/settings/widget-key", person),
                ("/settings/organization", person), ("/logout", person)]
    routes = [route for route in mounted_routes() if "POST" in (getattr(route, "methods", None) or ())]
    reached = {route.endpoint for route in routes for path, _ in targets if route.path_regex.match(path)}
    assert reached == {route.endpoint for route in routes}, "a POST route of pgwarden web is not in the corpus"
    return [(f"{path} {label}", post(web_server.base_url + path, body, content_type, headers))
            for path, headers in targets for label, body, content_type in corpus()]


def web_app_admin(web_server: WebServer) -> dict[str, str]:
    """The headers of a signed-in system admin of the web app: session cookie and CSRF token."""
    email = f"corpus-{uuid.uuid4().hex[:8]}@example.com"
    web_server.query("SELECT app.user_create(%s, 'system_admin', NULL, %s)", [email, hash_password(PASSWORD)])
    with signed_in_client(web_server, email) as client:
        return {"Cookie": f"pgwarden_session={client.cookies['pgwarden_session']}",
                "X-CSRF-Token": csrf_of(client.get("/").text)}


def test_every_web_route_answers_bad_input_with_a_success_or_a_refusal_in_the_error_shape(web_server, web_answers):
    for what, response in web_answers:
        assert_refused_properly(response, what)
    assert httpx.get(web_server.base_url + "/health").status_code == 200  # and it is still serving


def test_the_web_log_holds_nothing_that_was_sent(web_server, web_answers):
    log = web_server.log()
    assert CANARY not in log
    assert "\\u0000" not in log and "JSON data" not in log


def test_urls_with_a_nul_character_are_refused_before_routing(web_server):
    project = web_server.new_project()
    for url in (f"{web_server.base_url}/functions/v1/heartbeat/a%00b",
                f"{web_server.base_url}/functions/v1/error-webhook?secret=a%00b",
                f"{web_server.base_url}/api/{project.id}/store/?sentry_key=%00"):
        response = httpx.post(url, content=b"{}")
        assert (response.status_code, response.json()["code"]) == (400, "QV690")


# == PostgREST ==

def argument_bodies(names: list[str]) -> list[tuple[str, bytes, str]]:
    """The function's own argument names with bad values, so the arguments themselves are parsed."""
    named = [name for name in names if name]
    if not named:
        return []

    def body(value: str) -> bytes:
        return ("{" + ", ".join(f'"{name}": {value}' for name in named) + "}").encode()

    return [("nul arguments", body(f'"{CANARY}\\u0000"'), "application/json"),
            ("surrogate arguments", body('"\\udfff"'), "application/json"),
            ("huge arguments", body("1e400"), "application/json"),
            ("nested arguments", body("[" * 2000 + "]" * 2000), "application/json"),
            ("object arguments", body('{"a": {"b": null}}'), "application/json")]


@pytest.fixture(scope="module")
def api_answers(pg_cluster, template_database) -> Iterator[list[tuple[str, httpx.Response]]]:
    """The corpus posted to every api function (anonymously with a project key, and as an admin),
    and written to every api view (as an admin, with every write method); on a PostgREST of its
    own, as what the corpus creates (organizations named by it, say) must not reach other tests."""
    with postgrest_over_clone(pg_cluster, template_database) as server:
        yield corpus_answers(*server)


def corpus_answers(base_url: str, secret: str, database_url: str) -> list[tuple[str, httpx.Response]]:
    key = uuid.uuid4().hex
    with psycopg.connect(database_url, autocommit=True) as conn:
        (org_id,) = conn.execute("INSERT INTO app.organizations (name) VALUES ('corpus') RETURNING id").fetchone()
        conn.execute("INSERT INTO app.projects (organization_id, name, public_key) VALUES (%s, 'corpus', %s)",
                     [org_id, key])
        functions = conn.execute("SELECT p.proname, coalesce(p.proargnames, '{}') FROM pg_proc p"
                                 " WHERE p.pronamespace = 'api'::regnamespace ORDER BY 1").fetchall()
        views = [name for (name,) in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'api'::regnamespace AND relkind = 'v' ORDER BY 1")]
    assert functions and views
    anonymous = {"X-Pgwarden-Key": key}
    admin = {**anonymous, "Authorization": "Bearer " + tokens.mint(secret, "system_admin", timedelta(minutes=30))}
    answers = [(f"/rpc/{name} {label} {'admin' if 'Authorization' in headers else 'anon'}",
                post(f"{base_url}/rpc/{name}", body, content_type, headers))
               for name, argument_names in functions for headers in (anonymous, admin)
               for label, body, content_type in corpus() + argument_bodies(argument_names)]
    answers += [(f"{method} /{view} {label}", post(f"{base_url}/{view}", body, content_type, admin, method))
                for view in views for label, body, content_type in corpus()[:4]
                for method in ("POST", "PATCH", "PUT", "DELETE")]
    return answers


def test_every_rpc_and_view_answers_bad_input_with_a_success_or_a_refusal_in_the_error_shape(api_answers):
    for what, response in api_answers:
        assert_refused_properly(response, what)


def test_the_server_log_holds_nothing_that_was_sent(api_answers, pg_cluster):
    log = pg_cluster.log_file.read_text(errors="replace")
    assert CANARY not in log
    assert "JSON data" not in log and "STATEMENT:" not in log
