"""Triage in the web app over HTTP against a real `pgwarden web` and database: the Overview's
latest alerts, the errors list filtered by environment and release (and by an organization typed
when they are too many to choose from), assigning an error to a person, errors like an error
loaded after its page, and the report widget's keys on Settings;
each with an org owner poking at another organization getting a 404 and seeing none of it."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from web_app_support import World, capture, csrf_of, error_id, execute, seed, signed_in_client
from web_server import WebServer

pytest_plugins = ["web_server"]

LISTED = re.compile(r'<a class="message" href="/errors/([0-9a-f-]{36})"')


@pytest.fixture(scope="module")
def world(web_server: WebServer) -> World:
    return seed(web_server)


def user_id(web_server: WebServer, email: str) -> str:
    [(found,)] = web_server.query("SELECT id::text FROM app.users WHERE email = %s", [email])
    return found


def refusal_code(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["code"]


def test_the_overview_lists_the_latest_alerts_of_the_owners_organization_only(web_server, world):
    web_server.query("SELECT app.alert_test(%s)", [world.rule_b])
    with signed_in_client(web_server, world.owner_a) as client:
        overview = client.get("/").text.split('id="latest-alerts"')[1]
        assert "Test notification from pgwarden: Checkout critical" in overview
        assert "B secret failure alert" not in overview
    with signed_in_client(web_server, world.admin) as client:
        overview = client.get("/").text.split('id="latest-alerts"')[1]
        assert "Checkout critical" in overview and "B secret failure alert" in overview
        # newest first: B's test was sent after A's
        assert overview.index("B secret failure alert") < overview.index("Checkout critical")


def test_the_errors_list_filters_by_the_environment_and_release_events_carry(web_server, world):
    tag = uuid.uuid4().hex[:6]
    staging, production = f"Staging only failure {tag}", f"Production failure {tag}"
    assert capture(web_server, world.project_a, staging, environment="staging", release="shop@2.0.0").status_code == 200
    assert capture(web_server, world.project_a, production, environment="production",
                   release="shop@1.2.3").status_code == 200
    assert capture(web_server, world.project_b, f"B staging failure {tag}", environment="staging").status_code == 200
    staging_id, production_id = (error_id(web_server, world.project_a, message) for message in (staging, production))
    with signed_in_client(web_server, world.owner_a) as client:
        by_environment = LISTED.findall(client.get("/errors?status=all&environment=staging").text)
        assert staging_id in by_environment and production_id not in by_environment
        assert "B staging failure" not in client.get("/errors?status=all&environment=staging").text
        by_release = LISTED.findall(client.get("/errors?status=all&release=shop@1.2.3&sort=events").text)
        assert production_id in by_release and world.error_a in by_release and staging_id not in by_release
        both = client.get("/errors?status=all&environment=staging&release=shop@1.2.3")
        assert both.status_code == 200 and LISTED.findall(both.text) == []
        # the filters stay in the page's links and form
        page = client.get("/errors?status=all&environment=staging").text
        assert 'id="environment" name="environment" size="12" value="staging"' in page
        assert "environment=staging" in page.split('aria-label="Status"')[1].split("</nav>")[0]


def test_an_org_owner_assigns_an_error_to_a_person_of_their_organization_and_it_is_kept(web_server, world):
    owner_a = user_id(web_server, world.owner_a)
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get(f"/errors/{world.error_a}").text)
        answer = client.post(f"/errors/{world.error_a}/assignee", data={"csrf": csrf, "user_id": owner_a})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/errors/{world.error_a}?done=assigned#assign-h"
        page = client.get(f"/errors/{world.error_a}?done=assigned").text
        assert 'role="status">Assigned to org_owner.' in page  # the seeded people are named after their role
        assert f"nobody → {world.owner_a}" in page  # the assignment history
        assert web_server.query("SELECT assigned_to::text FROM app.system_errors WHERE id = %s",
                                [world.error_a]) == [(owner_a,)]
        assert client.post(f"/errors/{world.error_a}/assignee", data={"csrf": csrf, "user_id": ""}).status_code == 303
        assert web_server.query("SELECT assigned_to FROM app.system_errors WHERE id = %s", [world.error_a]) == [(None,)]
        history = web_server.query("SELECT from_user::text, to_user::text, changed_by::text"
                                   " FROM app.error_assignment_history WHERE error_id = %s ORDER BY id",
                                   [world.error_a])
        assert history == [(None, owner_a, owner_a), (owner_a, None, owner_a)]


def test_the_errors_list_filters_by_assignee_and_shows_who_each_error_is_assigned_to(web_server, world):
    tag = uuid.uuid4().hex[:6]
    mine, nobodys = f"Assigned failure {tag}", f"Unassigned failure {tag}"
    for message in (mine, nobodys):
        assert capture(web_server, world.project_a, message).status_code == 200
    mine_id, nobodys_id = (error_id(web_server, world.project_a, message) for message in (mine, nobodys))
    owner_a = user_id(web_server, world.owner_a)
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get(f"/errors/{mine_id}").text)
        assert client.post(f"/errors/{mine_id}/assignee", data={"csrf": csrf, "user_id": owner_a}).status_code == 303
        for sort in ("last_seen", "events", "users", "first_seen"):  # the list function's orders and the others
            to_me = LISTED.findall(client.get(f"/errors?status=all&assigned=me&sort={sort}").text)
            assert mine_id in to_me and nobodys_id not in to_me, sort
            to_nobody = LISTED.findall(client.get(f"/errors?status=all&assigned=nobody&sort={sort}").text)
            assert nobodys_id in to_nobody and mine_id not in to_nobody, sort
        page = client.get(f"/errors?status=all&assigned={owner_a}&q={tag}").text
        assert LISTED.findall(page) == [mine_id]
        assert f'<td class="assignee">{world.owner_a}</td>' in page  # the assignee column
        people = page.split('id="assigned"')[1].split("</select>")[0]
        assert owner_a in people and user_id(web_server, world.owner_b) not in people
        assert client.get("/errors?assigned=someone").status_code == 400
        # the other pages read the filters as api.list_errors does (app.error_list_filter): the same refusals
        for refused in ("assigned=someone&sort=first_seen", "assigned=someone&q=x", "severity=loud&sort=first_seen"):
            answer = client.get(f"/errors?{refused}", headers={"Accept": "application/json"})
            assert (answer.status_code, answer.json()["code"]) == (400, "QV001"), refused
        # leave nobody assigned (other tests count the assignments of the seeded people)
        assert client.post(f"/errors/{mine_id}/assignee", data={"csrf": csrf, "user_id": ""}).status_code == 303


def test_an_org_owner_cannot_assign_another_organizations_error_nor_to_its_people(web_server, world):
    owner_a, owner_b = user_id(web_server, world.owner_a), user_id(web_server, world.owner_b)
    with signed_in_client(web_server, world.owner_a) as browser:
        cookies, csrf = browser.cookies, csrf_of(browser.get("/").text)
        people = browser.get(f"/errors/{world.error_a}").text.split('id="user_id"')[1].split("</select>")[0]
        assert world.owner_a in people and world.owner_b not in people
    with httpx.Client(base_url=web_server.base_url, timeout=30, cookies=cookies) as client:
        assert refusal_code(client.post(f"/errors/{world.error_b}/assignee",
                                        data={"csrf": csrf, "user_id": owner_a}))[0] == 404
        assert refusal_code(client.post(f"/errors/{world.error_a}/assignee",
                                        data={"csrf": csrf, "user_id": owner_b})) == (404, "QN371")
        assert refusal_code(client.post(f"/errors/{world.error_a}/assignee",
                                        data={"csrf": csrf, "user_id": "someone"})) == (404, "QNW02")
        assert refusal_code(client.post(f"/errors/{world.error_a}/assignee",
                                        data={"csrf": "forged", "user_id": owner_a})) == (403, "QAW02")
    assert web_server.query("SELECT count(*) FROM app.system_errors WHERE assigned_to = ANY(%s::uuid[])",
                            [[owner_a, owner_b]]) == [(0,)]


def test_errors_like_an_error_come_after_its_page_and_as_a_page_of_their_own(web_server, world):
    tag = uuid.uuid4().hex[:6]
    first, second = f"Checkout total mismatch in cart {tag}", f"Checkout total mismatch in basket {tag}"
    for message in (first, second):
        assert capture(web_server, world.project_a, message).status_code == 200
    first_id, second_id = (error_id(web_server, world.project_a, message) for message in (first, second))
    with signed_in_client(web_server, world.owner_a) as client:
        page = client.get(f"/errors/{first_id}").text
        assert f'hx-get="/errors/{first_id}/related"' in page and second not in page  # not waited for
        part = client.get(f"/errors/{first_id}/related", headers={"HX-Request": "true"})
        assert part.status_code == 200 and second in part.text and "<html" not in part.text
        assert f'href="/errors/{second_id}"' in part.text
        whole = client.get(f"/errors/{first_id}/related")
        assert whole.status_code == 200 and "<html" in whole.text and second in whole.text
        assert client.get(f"/errors/{world.error_b}/related", headers={"HX-Request": "true"}).status_code == 404


def test_an_org_owner_creates_changes_and_revokes_their_projects_widget_key(web_server, world):
    project = world.project_a.id
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get("/settings").text)
        created = client.post("/settings/widget-key", data={"csrf": csrf, "project_id": project,
                                                            "allowed_origins": "https://shop-a.example"})
        assert created.status_code == 200 and f"Widget key of project {project} saved." in created.text
        [(key, origins)] = web_server.query("SELECT widget_key, allowed_origins FROM app.project_widget_keys"
                                            " WHERE project_id = %s", [project])
        assert origins == ["https://shop-a.example"] and key in created.text
        rotated = client.post("/settings/widget-key", data={"csrf": csrf, "project_id": project, "rotate": "on",
                                                            "allowed_origins": "https://shop-a.example"})
        [(new_key,)] = web_server.query("SELECT widget_key FROM app.project_widget_keys WHERE project_id = %s",
                                        [project])
        assert new_key != key and new_key in rotated.text and key not in rotated.text
        revoked = client.post("/settings/widget-key-revoke", data={"csrf": csrf, "project_id": project})
        assert revoked.status_code == 200 and "revoked" in revoked.text and new_key not in revoked.text
        assert web_server.query("SELECT count(*) FROM app.project_widget_keys WHERE project_id = %s",
                                [project]) == [(0,)]


def test_an_org_owner_neither_sees_nor_changes_another_organizations_widget_key(web_server, world):
    [(key_b,)] = web_server.query("SELECT (app.widget_key_set(%s, ARRAY['https://shop-b.example'])) ->> 'widget_key'",
                                  [world.project_b.id])
    with signed_in_client(web_server, world.owner_a) as browser:
        page = browser.get("/settings").text
        assert key_b not in page and "shop-b.example" not in page
        cookies, csrf = browser.cookies, csrf_of(page)
    with httpx.Client(base_url=web_server.base_url, timeout=30, cookies=cookies) as client:
        for action in ("widget-key", "widget-key-revoke"):
            answer = client.post(f"/settings/{action}", data={"csrf": csrf, "project_id": world.project_b.id,
                                                              "rotate": "on"})
            assert refusal_code(answer) == (404, "QN001"), action
        assert refusal_code(client.post("/settings/widget-key", data={"csrf": csrf, "project_id": "x"}))[0] == 400
    assert web_server.query("SELECT widget_key FROM app.project_widget_keys WHERE project_id = %s",
                            [world.project_b.id]) == [(key_b,)]


def test_an_error_resolved_in_the_next_release_from_its_page_stays_resolved_until_a_newer_release(web_server, world):
    message = f"Coupon total went negative {uuid.uuid4().hex[:6]}"
    execute(web_server, "INSERT INTO app.deploys (organization_id, project_id, release, environment, deployed_at,"
            " commit_sha) VALUES (%s, %s, 'shop@7.0.0', 'production', now() - interval '5 minutes',"
            " 'c0ffee1234567890')", [world.project_a.organization_id, world.project_a.id])
    first = capture(web_server, world.project_a, message, release="shop@7.0.0", environment="production")
    assert first.status_code == 200
    found = error_id(web_server, world.project_a, message)
    [(current,)] = web_server.query("SELECT app.release_current(organization_id) FROM app.system_errors WHERE id = %s",
                                    [found])
    with signed_in_client(web_server, world.owner_a) as client:
        before = client.get(f"/errors/{found}").text
        assert "Suspect release: <code>shop@7.0.0</code>, deployed to production" in before
        assert "(commit <code>c0ffee123456</code>)" in before
        csrf = csrf_of(before)
        answer = client.post(f"/errors/{found}/status", data={"csrf": csrf, "status": "resolved_in_next_release"})
        assert answer.status_code == 303
        page = client.get(answer.headers["location"]).text
        assert "Resolved in the next release" in page
        assert f"Resolved in the release after <code>{current}</code>" in page
    assert web_server.query("SELECT status::text, resolved_in_release FROM app.system_errors WHERE id = %s",
                            [found]) == [("resolved", current)]
    assert capture(web_server, world.project_a, message, release="shop@7.0.0").status_code == 200
    assert web_server.query("SELECT status::text FROM app.system_errors WHERE id = %s", [found]) == [("resolved",)]
    assert capture(web_server, world.project_a, message, release="shop@99.0.0").status_code == 200
    assert web_server.query("SELECT status::text FROM app.system_errors WHERE id = %s", [found]) == [("recurring",)]


def test_an_org_owner_cannot_resolve_another_organizations_error_in_the_next_release(web_server, world):
    before = web_server.query("SELECT status::text, resolved_in_release FROM app.system_errors WHERE id = %s",
                              [world.error_b])
    with signed_in_client(web_server, world.owner_a) as browser:
        cookies, csrf = browser.cookies, csrf_of(browser.get("/errors").text)
    with httpx.Client(base_url=web_server.base_url, timeout=30, cookies=cookies) as client:
        answer = client.post(f"/errors/{world.error_b}/status",
                             data={"csrf": csrf, "status": "resolved_in_next_release"})
        assert refusal_code(answer) == (404, "QN001")
    assert web_server.query("SELECT status::text, resolved_in_release FROM app.system_errors WHERE id = %s",
                            [world.error_b]) == before


def test_the_overviews_new_and_regressed_and_live_feed_list_the_newest_of_ones_own_organization(web_server, world):
    tag = uuid.uuid4().hex[:6]
    older, newer = f"Older waiting failure {tag}", f"Newer waiting failure {tag}"
    for message in (older, newer):
        assert capture(web_server, world.project_a, message).status_code == 200
    assert capture(web_server, world.project_b, f"B waiting failure {tag}").status_code == 200
    resolved = f"Resolved failure {tag}"
    assert capture(web_server, world.project_a, resolved).status_code == 200
    execute(web_server, "UPDATE app.system_errors SET status = 'resolved' WHERE message = %s", [resolved])
    with signed_in_client(web_server, world.owner_a) as client:
        page = client.get("/").text
        waiting = page.split('id="attention"')[1].split("</section>")[0]
        feed = page.split('id="live-feed"')[1].split("</ul>")[0]
    assert waiting.index(newer) < waiting.index(older), "newest first"
    assert resolved not in waiting and f"B waiting failure {tag}" not in waiting
    assert feed.index(newer) < feed.index(older) and f"B waiting failure {tag}" not in feed
    with signed_in_client(web_server, world.admin) as client:
        page = client.get("/").text
        waiting = page.split('id="attention"')[1].split("</section>")[0]
    assert f"B waiting failure {tag}" in waiting and waiting.index(f"B waiting failure {tag}") < waiting.index(newer)


def test_an_admin_types_the_organization_to_show_in_errors_and_settings_when_there_are_too_many(web_server, world):
    tag = uuid.uuid4().hex[:6]
    execute(web_server, "INSERT INTO app.organizations (name)"
                        " SELECT 'many ' || %s || ' ' || n FROM generate_series(1, 101) n", [tag])
    [(name_b,)] = web_server.query("SELECT name FROM app.organizations WHERE id = %s",
                                   [world.project_b.organization_id])
    try:
        with signed_in_client(web_server, world.admin) as client:
            page = client.get("/errors?status=all").text
            assert '<input id="org" name="org"' in page and '<select id="org"' not in page
            for typed in (name_b.upper(), world.project_b.organization_id):  # a name in any case, or the id
                listed = LISTED.findall(client.get("/errors", params={"status": "all", "org": typed}).text)
                assert world.error_b in listed and world.error_a not in listed, typed
            unknown = client.get("/errors", params={"status": "all", "org": f"no such organization {tag}"})
            assert unknown.status_code == 404 and "QN001" in unknown.text
            settings = client.get("/settings").text  # the first 100 by name, and a way to show any other
            assert settings.count('action="/settings/rate-limit"') == 100 and '<input id="org" name="org"' in settings
            settings = client.get("/settings", params={"org": name_b}).text
            assert world.project_b.public_key in settings and world.project_a.public_key not in settings
            assert world.owner_b in settings and world.owner_a not in settings
            action = re.search(r'action="(/settings/project[^"]*)"', settings).group(1).replace("&amp;", "&")
            created = client.post(action, data={"csrf": csrf_of(settings), "name": f"api {tag}",  # as the form posts
                                                "organization_id": world.project_b.organization_id})
            assert created.status_code == 200 and f"api {tag}" in created.text
            assert world.project_b.public_key in created.text and world.project_a.public_key not in created.text
    finally:
        execute(web_server, "DELETE FROM app.organizations WHERE name LIKE 'many ' || %s || ' %%'", [tag])
    with signed_in_client(web_server, world.admin) as client:
        assert '<select id="org" name="org">' in client.get("/errors?status=all").text, "a few are chosen again"


def test_an_organization_named_in_the_url_is_the_one_selected_in_the_choice_of_the_errors_and_reports_lists(
        web_server, world):
    [(name_b,)] = web_server.query("SELECT name FROM app.organizations WHERE id = %s",
                                   [world.project_b.organization_id])
    chosen = re.compile(r'<option value="([0-9a-f-]{36})" selected>')
    with signed_in_client(web_server, world.admin) as client:
        for path in ("/errors", "/reports"):
            for named in (name_b.lower(), world.project_b.organization_id):  # by name in any case, or by id
                page = client.get(path, params={"org": named}).text
                assert '<select id="org" name="org">' in page, path
                assert chosen.findall(page) == [world.project_b.organization_id], (path, named)
            assert chosen.findall(client.get(path).text) == [], f"{path}: no organization named, 'any' is shown"
