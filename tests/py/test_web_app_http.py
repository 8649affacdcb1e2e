"""The web app over plain HTTP against a real `pgwarden web` and database: signing in (no user
enumeration, throttling, CSRF), sessions ending, tenancy by row-level security, the status
document, the CLI's users, and the front-end files being exactly the vendored ones."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from web_app_support import BROWSER, PASSWORD, World, csrf_of, execute, seed, signed_in_client
from web_server import WebServer

from workers.settings import REPO_ROOT

pytest_plugins = ["web_server"]

VENDOR_DIR = REPO_ROOT / "workers" / "web" / "ui" / "static" / "vendor"


@pytest.fixture(scope="module")
def world(web_server: WebServer) -> World:
    return seed(web_server)


@pytest.fixture
def anonymous(web_server: WebServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web_server.base_url, timeout=30, headers=BROWSER) as client:
        yield client


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    csrf = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf": csrf, "email": email, "password": password})


def test_pages_send_people_who_are_not_signed_in_to_the_sign_in_form(anonymous, world):
    answer = anonymous.get("/errors?status=new")
    assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=/errors%3Fstatus%3Dnew")
    assert anonymous.get("/live/errors").status_code == 401


def test_a_wrong_password_and_an_unknown_address_are_refused_in_the_same_words(anonymous, world, web_server):
    try:
        wrong = sign_in(anonymous, world.owner_a, "not the password")
        unknown = sign_in(anonymous, "nobody@example.com", PASSWORD)
        assert wrong.status_code == unknown.status_code == 401
        notice = [line for line in wrong.text.splitlines() if 'role="alert"' in line]
        assert notice and notice == [line for line in unknown.text.splitlines() if 'role="alert"' in line]
        assert "pgwarden_session" not in wrong.cookies and "pgwarden_session" not in unknown.cookies
    finally:
        execute(web_server, "DELETE FROM app.web_login_attempts")


def test_five_failures_block_further_sign_ins_even_with_the_right_password(anonymous, world, web_server):
    try:
        for _ in range(5):
            assert sign_in(anonymous, world.owner_b, "guess").status_code == 401
        blocked = sign_in(anonymous, world.owner_b, PASSWORD)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 800
        assert "Too many failed sign-ins" in blocked.text
    finally:
        execute(web_server, "DELETE FROM app.web_login_attempts")
    assert sign_in(anonymous, world.owner_b, PASSWORD).status_code == 303


def test_the_sign_in_form_is_refused_without_its_csrf_token(anonymous, world):
    anonymous.get("/login")
    refused = anonymous.post("/login", data={"csrf": "forged", "email": world.admin, "password": PASSWORD})
    assert refused.status_code == 403 and "pgwarden_session" not in refused.cookies


def test_a_form_without_the_sessions_csrf_token_is_refused_and_changes_nothing(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        answer = client.post(f"/errors/{world.error_a}/status", data={"csrf": "forged", "status": "resolved"})
        assert answer.status_code == 403
        with signed_in_client(web_server, world.owner_b) as other:
            token_of_another_session = csrf_of(other.get("/").text)
        answer = client.post(f"/errors/{world.error_a}/status",
                             data={"csrf": token_of_another_session, "status": "resolved"})
        assert answer.status_code == 403
    assert web_server.query("SELECT status::text FROM app.system_errors WHERE id = %s", [world.error_a]) == [("new",)]


def test_a_session_idle_for_longer_than_the_timeout_has_ended(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        assert client.get("/").status_code == 200
        execute(web_server, "UPDATE app.web_sessions s SET last_seen_at = now() - interval '31 minutes'"
                         " FROM app.users u WHERE u.id = s.user_id AND u.email = %s", [world.owner_a])
        answer = client.get("/")
        assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=/")


def test_signing_out_ends_the_session(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get("/").text)
        cookie = client.cookies["pgwarden_session"]
        assert client.post("/logout", data={"csrf": csrf}).headers["location"] == "/login"
        client.cookies.set("pgwarden_session", cookie)  # a copy kept from before is worthless now
        assert client.get("/").status_code == 303


def test_an_org_owner_gets_404_for_another_organizations_error_and_sees_none_of_it(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        assert client.get(f"/errors/{world.error_b}").status_code == 404
        assert client.get(f"/errors/{world.error_a}").status_code == 200
        listed = client.get("/errors?status=all").text
        assert "secret failure" not in listed and "Payment provider answered slowly" in listed
        assert "secret failure" not in client.get("/").text


def test_status_json_is_the_status_page_document_for_anyone_cached_a_minute(anonymous, world):
    answer = anonymous.get("/status.json")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "public, max-age=60"
    document = answer.json()
    assert {"status", "components", "uptime_30d", "last_incident", "method"} <= document.keys()
    assert all(len(component["days"]) == 90 for component in document["components"])


def test_a_monitors_chart_draws_every_check_as_a_bar_titled_with_its_response_time(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        page = client.get(f"/monitors/{world.monitor_a}").text
    chart = page.split('<figure class="chart">', 1)[1].split("</figure>", 1)[0]
    data = json.loads(chart.split('<script type="application/json">', 1)[1].split("</script>", 1)[0])
    bars = re.findall(r'<rect x="(\d+)" width="\.8" height="([0-9.e-]+)"><title>(\d+)</title></rect>', chart)
    drawn = [(index, value) for index, value in enumerate(data["y"]) if value > 0]
    assert len(drawn) == 140  # the day of checks the world holds
    assert [(int(x), int(title)) for x, _, title in bars] == drawn
    heights = [float(height) for _, height, _ in bars]
    assert all(abs(height - value / data["max"] * 100) < 0.5 for (_, value), height in zip(drawn, heights, strict=True))


def test_the_vendored_front_end_files_are_exactly_the_published_ones(anonymous):
    rows = [line.split() for line in (VENDOR_DIR / "MANIFEST.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert rows
    for name, sha256, *_ in rows:
        assert hashlib.sha256((VENDOR_DIR / name).read_bytes()).hexdigest() == sha256, name
        served = anonymous.get(f"/static/vendor/{name}")
        assert served.status_code == 200 and hashlib.sha256(served.content).hexdigest() == sha256


def test_pgwarden_user_create_prints_a_password_that_signs_in_and_passwd_replaces_it(web_server, world, tmp_path):
    env = {**os.environ, "PGWARDEN_DATABASE_URL": web_server.database_url, "PGWARDEN_DATA_DIR": str(tmp_path)}

    def pgwarden(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "workers", *args], env=env, cwd=REPO_ROOT, input=stdin,
                              capture_output=True, text=True, timeout=60)

    created = pgwarden("user", "create", "staff-cli@example.com", "--role", "staff", "--org",
                       world.project_a.organization_id)
    assert created.returncode == 0, created.stderr
    password = created.stdout.split("password")[1].strip()
    with httpx.Client(base_url=web_server.base_url, timeout=30, headers=BROWSER) as client:
        assert sign_in(client, "staff-cli@example.com", password).status_code == 303
        changed = pgwarden("user", "passwd", "staff-cli@example.com", "--password-stdin", stdin="a new long password\n")
        assert changed.returncode == 0, changed.stderr
        assert client.get("/").status_code == 303  # the new password ended the session
        assert sign_in(client, "staff-cli@example.com", "a new long password").status_code == 303
    refused = pgwarden("user", "create", "customer@example.com", "--role", "staff")
    assert refused.returncode == 2 and "QVW01" in refused.stderr


def refusal_of(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert {"code", "message", "details", "hint"} <= body.keys(), body
    return answer.status_code, body["code"]


def test_clients_that_do_not_ask_for_pages_get_every_refusal_in_the_error_shape(web_server, world):
    with httpx.Client(base_url=web_server.base_url, timeout=30) as client:
        assert refusal_of(client.get("/errors")) == (401, "QAW01")
        assert refusal_of(client.get("/live/errors")) == (401, "QAW01")
        assert refusal_of(client.get("/no-such-page")) == (404, "QNW02")
        login_csrf = csrf_of(client.get("/login").text)
        assert refusal_of(client.post("/login", data={"csrf": login_csrf, "email": world.admin,
                                                      "password": "wrong"})) == (401, "QAW03")
        assert refusal_of(client.post("/login", data={"csrf": "forged", "email": world.admin})) == (403, "QAW02")
    execute(web_server, "DELETE FROM app.web_login_attempts")
    with signed_in_client(web_server, world.owner_a) as browser:
        cookies = browser.cookies
        csrf = csrf_of(browser.get("/").text)
    with httpx.Client(base_url=web_server.base_url, timeout=30, cookies=cookies) as client:
        assert refusal_of(client.get("/errors?sort=sideways")) == (400, "QVW02")
        assert refusal_of(client.get("/errors/not-an-id")) == (404, "QNW02")
        assert refusal_of(client.get(f"/errors/{world.error_b}"))[0] == 404  # SQL's code: RLS hides it
        assert refusal_of(client.post(f"/errors/{world.error_a}/status", data={"csrf": "forged"})) == (403, "QAW02")
        assert refusal_of(client.post(f"/errors/{world.error_a}/status",
                                      data={"csrf": csrf, "status": "sideways"}))[0] == 400
        too_large = client.post("/errors/bulk", content=b"a=" + b"x" * 70_000,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert refusal_of(too_large) == (413, "QV691")
        assert refusal_of(client.post("/errors/bulk", data={"csrf": csrf, "action": "x\x00"})) == (400, "QV690")


def test_a_browser_sees_a_refusal_on_a_page_with_its_code_message_and_hint(web_server, world):
    with signed_in_client(web_server, world.owner_a) as browser:
        answer = browser.post(f"/errors/{world.error_a}/status", data={"csrf": "forged", "status": "resolved"})
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
        assert "code QAW02" in answer.text and "Reload the page and try again." in answer.text
        missing = browser.get("/no-such-page")
        assert missing.status_code == 404 and "code QNW02" in missing.text


def test_the_errors_list_pages_through_every_group_once_in_each_order(web_server, world):
    org = world.project_b.organization_id
    execute(web_server,
            "INSERT INTO app.system_errors (error_hash, error_type, severity, status, message, organization_id,"
            " occurrence_count, first_seen_at, last_seen_at)"
            " SELECT md5('paging' || n), 'runtime', 'error', CASE WHEN n %% 3 = 0 THEN 'resolved' ELSE 'new' END::"
            "app.error_status_enum, 'Paging group ' || n, %s, 1 + n %% 17, now() - n * interval '1 hour',"
            " now() - (n %% 40) * interval '1 minute' FROM generate_series(1, 130) n", [org])
    groups = web_server.query("SELECT id::text, status::text, last_seen_at, occurrence_count, first_seen_at"
                              " FROM app.system_errors WHERE organization_id = %s", [org])
    ids = re.compile(r'<a class="message" href="/errors/([0-9a-f-]{36})"')
    with signed_in_client(web_server, world.owner_b) as client:
        for query, expected in (
                ("status=all", sorted(groups, key=lambda g: (g[2], g[0]), reverse=True)),
                ("status=open&sort=events", sorted((g for g in groups if g[1] == "new"),
                                                   key=lambda g: (g[3], g[0]), reverse=True)),
                ("status=all&sort=first_seen", sorted(groups, key=lambda g: (g[4], g[0]), reverse=True))):
            seen, url = [], f"/errors?{query}"
            while url:
                page = client.get(url.replace("&amp;", "&"))
                assert page.status_code == 200, page.text[:300]
                seen += ids.findall(page.text)
                following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
                url = following.group(1) if following else None
            assert seen == [g[0] for g in expected], query
