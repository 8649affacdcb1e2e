"""Reports and the AI panel over HTTP against a real `pgwarden web` and database: an org owner files
a report about an error from the app and it is linked to that error; the queue, a report's page
with its screenshot (shown by session), its workflow with SQL's refusals on the page, tenancy and
staff; an error's AI analysis asked for from its page and shown there."""

from __future__ import annotations

import base64
import re
import uuid

import httpx
import pytest
from web_app_support import World, capture, csrf_of, error_id, seed, signed_in_client
from web_server import WebServer

pytest_plugins = ["web_server"]

# a 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def world(web_server: WebServer) -> World:
    return seed(web_server)


def file_report(client: httpx.Client, title: str, **fields) -> httpx.Response:
    page = client.get("/reports/new", params={"event_id": fields.get("event_id", "")})
    assert f'name="event_id" value="{fields.get("event_id", "")}"' in page.text  # carried by the form
    return client.post("/reports/new", data={"csrf": csrf_of(page.text), "title": title,
                                             "description": "The coupon field crashes the checkout.",
                                             "report_type": "bug", "priority": "high", **fields})


@pytest.fixture(scope="module")
def crash(web_server: WebServer, world: World) -> tuple[str, str]:
    """An error of organization A whose event came with its id, as Sentry SDKs send it: (error id, event id)."""
    message, event_id = f"Coupon crash {uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    assert capture(web_server, world.project_a, message, event_id=event_id).status_code == 200
    return error_id(web_server, world.project_a, message), event_id


@pytest.fixture(scope="module")
def filed(web_server: WebServer, world: World, crash: tuple[str, str]) -> str:
    """A report an org owner filed from the error's page, which names its latest event."""
    error, event_id = crash
    with signed_in_client(web_server, world.owner_a) as client:
        error_page = client.get(f"/errors/{error}").text
        named = re.search(r'href="/reports/new\?[^"]*event_id=([0-9a-f-]+)', error_page)
        assert named and named.group(1).replace("-", "") == event_id
        answer = file_report(client, "Checkout crashes on coupons", event_id=named.group(1))
        assert answer.status_code == 303, answer.text[:500]
        return answer.headers["location"].split("/reports/")[1].split("?")[0]


def test_a_report_filed_from_an_errors_page_is_linked_to_it_and_listed(web_server, world, crash, filed):
    assert web_server.query("SELECT linked_error_id::text, reporter_type::text FROM app.user_error_reports"
                            " WHERE id = %s", [filed]) == [(crash[0], "org_owner")]
    with signed_in_client(web_server, world.owner_a) as client:
        report = client.get(f"/reports/{filed}").text
        assert "Checkout crashes on coupons" in report and f'href="/errors/{crash[0]}"' in report
        assert f'href="/reports/{filed}"' in client.get(f"/errors/{crash[0]}").text
        assert f'href="/reports/{filed}"' in client.get("/reports").text
        assert f'href="/reports/{filed}"' not in client.get("/reports?status=resolved").text


def test_the_report_form_shows_sqls_refusal_with_its_code(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        refused = file_report(client, "", description="")
        assert refused.status_code == 400 and re.search(r"code QV80\d", refused.text)


def test_a_report_is_worked_through_its_page_and_a_forbidden_move_is_refused_there(web_server, world, filed):
    [(owner_id,)] = web_server.query("SELECT id::text FROM app.users WHERE email = %s", [world.owner_a])
    with signed_in_client(web_server, world.owner_a) as client:
        csrf = csrf_of(client.get(f"/reports/{filed}").text)
        moved = client.post(f"/reports/{filed}/status", data={"csrf": csrf, "status": "in_progress",
                                                              "notes": "looking at the coupon code"})
        assert moved.status_code == 303
        assert client.post(f"/reports/{filed}/assign", data={"csrf": csrf, "user_id": owner_id}).status_code == 303
        page = client.get(f"/reports/{filed}").text
        assert "looking at the coupon code" in page and f'value="{owner_id}" selected' in page
        assert f'href="/reports/{filed}"' in client.get("/reports?assigned=me").text
        assert client.post(f"/reports/{filed}/status", data={"csrf": csrf, "status": "closed"}).status_code == 303
        refused = client.post(f"/reports/{filed}/status", data={"csrf": csrf, "status": "in_progress"})
        assert refused.status_code == 409 and "code QS801" in refused.text  # a closed report is reopened first
        assert client.post(f"/reports/{filed}/status", data={"csrf": csrf, "status": "open"}).status_code == 303


def test_a_reports_screenshot_is_shown_to_its_organization_by_session_only(web_server, world, filed):
    [(shot,)] = web_server.query(
        "INSERT INTO app.report_screenshots (organization_id, report_id, source, media_type, width, height, content)"
        " VALUES (%s, %s, 'upload', 'image/png', 1, 1, %s) RETURNING id::text",
        [world.project_a.organization_id, filed, PNG])
    with signed_in_client(web_server, world.owner_a) as client:
        assert f'src="/reports/screenshots/{shot}"' in client.get(f"/reports/{filed}").text
        image = client.get(f"/reports/screenshots/{shot}")
        assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/png", PNG)
    with signed_in_client(web_server, world.owner_b) as other:
        assert other.get(f"/reports/screenshots/{shot}").status_code == 404
        assert other.get(f"/reports/{filed}").status_code == 404
        assert f'href="/reports/{filed}"' not in other.get("/reports?status=all").text
        csrf = csrf_of(other.get("/reports").text)
        assert other.post(f"/reports/{filed}/status", data={"csrf": csrf, "status": "resolved"}).status_code == 404
    assert httpx.get(f"{web_server.base_url}/reports/screenshots/{shot}").status_code == 401


def test_an_errors_ai_analysis_is_asked_for_from_its_page_and_shown_there(web_server, world):
    with signed_in_client(web_server, world.owner_a) as client:
        page = client.get(f"/errors/{world.error_a}").text
        assert "Not analysed yet." in page or "Root cause" in page
        asked = client.post(f"/errors/{world.error_a}/analysis", data={"csrf": csrf_of(page), "provider": "heuristic",
                                                                       "fresh": "on"})
        assert asked.status_code == 303
        analysed = client.get(asked.headers["location"]).text
        assert "Analysis requested" in analysed and "Root cause" in analysed and "Suggested fix" in analysed
        assert "By heuristic" in analysed and "<td>request</td>" in analysed
    with signed_in_client(web_server, world.owner_b) as other:
        csrf = csrf_of(other.get("/").text)
        assert other.post(f"/errors/{world.error_a}/analysis", data={"csrf": csrf}).status_code == 404


def test_staff_file_reports_but_do_not_work_the_queue(web_server, world, filed):
    from workers.web.ui.security import hash_password

    email = f"staff-{uuid.uuid4().hex[:6]}@example.com"
    web_server.query("SELECT app.user_create(%s, 'staff', %s, %s, 'Staff')",
                     [email, world.project_a.organization_id, hash_password("staff password")])
    with signed_in_client(web_server, email, "staff password") as client:
        page = client.get(f"/reports/{filed}").text
        assert "Checkout crashes on coupons" in page and "Change status" not in page
        assert client.post(f"/reports/{filed}/status",
                           data={"csrf": csrf_of(page), "status": "resolved"}).status_code == 403
        assert file_report(client, "Staff saw it too").status_code == 303


def test_the_queue_pages_through_every_report_once_newest_first(web_server, world):
    web_server.query("INSERT INTO app.user_error_reports (report_type, reporter_type, organization_id, title,"
                     " description, created_at) SELECT 'bug', 'customer', %s, 'Paged report ' || n, 'x',"
                     " now() - (n %% 7) * interval '1 minute' FROM generate_series(1, 120) n RETURNING id",
                     [world.project_b.organization_id])
    expected = [row[0] for row in web_server.query(
        "SELECT id::text FROM app.user_error_reports WHERE organization_id = %s ORDER BY created_at DESC, id DESC",
        [world.project_b.organization_id])]
    seen, url = [], "/reports?status=all"
    with signed_in_client(web_server, world.owner_b) as client:
        while url:
            page = client.get(url.replace("&amp;", "&"))
            assert page.status_code == 200, page.text[:300]
            seen += re.findall(r'<a class="message" href="/reports/([0-9a-f-]{36})"', page.text)
            following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
            url = following.group(1) if following else None
    assert seen == expected
