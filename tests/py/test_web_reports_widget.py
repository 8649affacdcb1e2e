"""The report widget's way in on a real `pgwarden web`: the widget key travels in the URL (as
Sentry's browser SDKs send theirs), so a browser's CORS preflight is answered from the key's allowed
origins (app.widget_origin_allowed); the report is judged by the same SQL as PostgREST's
/rpc/submit_report; the reporter follows it through the status link."""

from __future__ import annotations

import json

import httpx
import pytest

pytest_plugins = ["web_server"]

PAGE = "https://shop.example.com"
ELSEWHERE = "https://evil.example.net"
REPORT = {"title": "Checkout total is negative", "description": "After the coupon the total reads -3.50"}


@pytest.fixture(scope="module")
def shop(web_server):
    """An organization with a project whose widget key allows PAGE; yields (project, widget key)."""
    project = web_server.new_project("shop")
    [(key,)] = web_server.query("SELECT app.widget_key_set(%s, %s) ->> 'widget_key'", [project.id, [PAGE]])
    return project, key


def preflight(web_server, path: str, origin: str, key: str | None) -> httpx.Response:
    return httpx.options(web_server.base_url + path, params={"widget_key": key} if key else None, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})


def submit(web_server, key: str | None, origin: str | None = PAGE, body: dict | bytes = REPORT,
           headers: dict | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(web_server.base_url + "/reports/submit", params={"widget_key": key} if key else None,
                      content=content, headers={"Content-Type": "application/json",
                                                **({"Origin": origin} if origin else {}), **(headers or {})})


def stored(web_server, project, title: str) -> int:
    [(count,)] = web_server.query("SELECT count(*) FROM app.user_error_reports WHERE project_id = %s AND title = %s",
                                  [project.id, title])
    return count


@pytest.mark.parametrize("path", ["/reports/submit", "/reports/screenshot"])
def test_a_preflight_naming_the_key_is_answered_for_an_allowed_origin_only(web_server, shop, path):
    _, key = shop
    allowed = preflight(web_server, path, PAGE, key)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == PAGE, "the origin echoed, never *"
    assert "access-control-allow-credentials" not in allowed.headers
    assert "content-type" in allowed.headers["access-control-allow-headers"]
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["vary"] == "Origin" and int(allowed.headers["access-control-max-age"]) <= 600

    for origin, widget_key in ((ELSEWHERE, key), ("null", key), (PAGE, "wk_" + "0" * 32), (PAGE, "not a key")):
        refused = preflight(web_server, path, origin, widget_key)
        assert refused.status_code == 403 and refused.json()["code"] == "QA802", (origin, widget_key)
        assert not any(name.startswith("access-control-") for name in refused.headers), refused.headers
        assert refused.headers["vary"] == "Origin"


def test_a_preflight_without_a_key_in_the_url_is_the_answer_for_tokens(web_server):
    """People with tokens (and widgets that send the key only as a header) are judged at the POST."""
    generic = preflight(web_server, "/reports/submit", ELSEWHERE, None)
    assert generic.status_code == 204 and generic.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in generic.headers
    assert "authorization" in generic.headers["access-control-allow-headers"]


def test_a_report_with_the_key_in_the_url_is_stored_and_answered_to_its_page(web_server, shop):
    project, key = shop
    sent = submit(web_server, key, body={**REPORT, "title": "by url key"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "open" and len(sent.json()["status_token"]) == 48
    assert sent.headers["access-control-allow-origin"] == PAGE and sent.headers["vary"] == "Origin"
    [(reporter_type, organization_id)] = web_server.query(
        "SELECT reporter_type::text, organization_id::text FROM app.user_error_reports WHERE id = %s",
        [sent.json()["id"]])
    assert (reporter_type, organization_id) == ("customer", project.organization_id)

    by_header = submit(web_server, None, body={**REPORT, "title": "by header key"},
                       headers={"X-Pgwarden-Widget-Key": key})
    assert by_header.status_code == 201 and by_header.headers["access-control-allow-origin"] == PAGE
    assert stored(web_server, project, "by header key") == 1

    # a refusal of the report itself is readable by an allowed page (the widget names the field)
    invalid = submit(web_server, key, body={**REPORT, "reporter_email": "jane at example"})
    assert invalid.status_code == 400 and invalid.json()["code"] == "QV801"
    assert invalid.json()["details"] == "Field: reporter_email."
    assert invalid.headers["access-control-allow-origin"] == PAGE


def test_a_report_from_another_origin_is_refused_and_not_handed_to_that_page(web_server, shop):
    """What a browser sends without a preflight (or a script outside any browser naming the page's
    Origin) is judged again in SQL: 403, nothing stored, no CORS answer."""
    project, key = shop
    for origin in (ELSEWHERE, "null"):
        refused = submit(web_server, key, origin=origin, body={**REPORT, "title": "from elsewhere"})
        assert refused.status_code == 403 and refused.json()["code"] == "QA802", origin
        assert "access-control-allow-origin" not in refused.headers
    unknown = submit(web_server, "wk_" + "1" * 32, body={**REPORT, "title": "from elsewhere"})
    assert unknown.status_code == 401 and unknown.json()["code"] == "QA801"
    assert "access-control-allow-origin" not in unknown.headers
    keyless = submit(web_server, None, body={**REPORT, "title": "from elsewhere"})
    assert keyless.status_code == 401 and keyless.json()["code"] == "QA801"
    assert stored(web_server, project, "from elsewhere") == 0


def test_a_report_body_is_json_of_at_most_64_kb(web_server, shop):
    project, key = shop
    too_large = submit(web_server, key, body={**REPORT, "title": "too large", "steps_to_reproduce": "x" * 70_000})
    assert too_large.status_code == 413 and too_large.json()["code"] == "QV003"
    assert too_large.headers["access-control-allow-origin"] == PAGE
    for body in (b"title=hello", b'{"title": NaN}', b"\xff\xfe"):
        refused = submit(web_server, key, body=body)
        assert refused.status_code == 400 and refused.json()["code"] == "QV690", body
        assert refused.headers["access-control-allow-origin"] == PAGE
    from_elsewhere = submit(web_server, key, origin=ELSEWHERE, body=b"not json")
    assert from_elsewhere.status_code == 400 and "access-control-allow-origin" not in from_elsewhere.headers
    assert stored(web_server, project, "too large") == 0


def test_reports_through_the_widget_route_are_rate_limited_per_address(web_server, shop):
    _, key = shop
    web_server.query("UPDATE app.report_rate_limit SET per_client = 2 WHERE kind = 'report' RETURNING 1")
    try:
        statuses = [submit(web_server, key, headers={"X-Forwarded-For": "192.0.2.77"}).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]
        limited = submit(web_server, key, headers={"X-Forwarded-For": "192.0.2.77"})
        assert limited.json()["code"] == "QR801" and int(limited.headers["retry-after"]) >= 1
        assert limited.headers["access-control-allow-origin"] == PAGE, "the widget reads the 429 and its Retry-After"
        assert "retry-after" in limited.headers["access-control-expose-headers"]
    finally:
        web_server.query("UPDATE app.report_rate_limit SET per_client = 10 WHERE kind = 'report' RETURNING 1")


def test_the_status_link_shows_the_reporter_each_change_and_nothing_else(web_server, shop):
    _, key = shop
    sent = submit(web_server, key, body={**REPORT, "title": "follow me"}, headers={"X-Forwarded-For": "192.0.2.78"})
    link = f"{web_server.base_url}/reports/status/{sent.json()['status_token']}"
    first = httpx.get(link)
    assert first.status_code == 200 and "follow me" in first.text and ">open</span>" in first.text
    assert first.headers["cache-control"] == "no-store" and first.headers["referrer-policy"] == "no-referrer"
    assert "After the coupon" not in first.text, "the status, not the report's content"

    web_server.query("SELECT app.report_status_change(%s, 'resolved', 'fixed in 2.3.1')", [sent.json()["id"]])
    later = httpx.get(link)
    assert ">resolved</span>" in later.text and "Resolved" in later.text
    assert "fixed in 2.3.1" not in later.text, "the notes are the organization's"

    unknown = httpx.get(f"{web_server.base_url}/reports/status/{'0' * 48}", headers={"Accept": "text/html"})
    assert unknown.status_code == 404 and "follow me" not in unknown.text
