"""Report screenshots and the widget scripts on a real `pgwarden web`: images are judged by their
content (not their name or declared type), bounded in bytes and pixels, stored per organization
and served only to that organization's people; Sentry feedback screenshots are stored the same way."""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta

import httpx
import pytest
from PIL import Image

from workers import tokens

pytest_plugins = ["web_server"]

PAGE = "https://shop.example.com"


def png(width: int = 40, height: int = 30, noise: bool = False, mode: str = "RGB") -> bytes:
    image = (Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)) if noise
             else Image.new(mode, (width, height), 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def shop(web_server):
    """An organization with a project whose widget key allows PAGE; yields (project, widget key)."""
    project = web_server.new_project("shop")
    [(key,)] = web_server.query("SELECT app.widget_key_set(%s, %s) ->> 'widget_key'", [project.id, [PAGE]])
    return project, key


def bearer(web_server, role: str, org_id: str | None = None) -> dict:
    return {"Authorization": "Bearer " + tokens.mint(web_server.jwt_secret, role, timedelta(minutes=5), org_id=org_id)}


def upload(web_server, key: str, **kwargs) -> httpx.Response:
    return httpx.post(web_server.base_url + "/reports/screenshot",
                      headers={"X-Pgwarden-Widget-Key": key, "Origin": PAGE, **kwargs.pop("headers", {})}, **kwargs)


def test_a_png_named_txt_is_a_screenshot_and_a_text_file_named_png_is_not(web_server, shop):
    _, key = shop
    accepted = upload(web_server, key, files={"file": ("notes.txt", png(), "text/plain")})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["url"] == f"{web_server.base_url}/reports/screenshots/{accepted.json()['id']}"
    assert accepted.headers["access-control-allow-origin"] == PAGE, "an allowed page's origin, echoed"
    [(media_type, width, height)] = web_server.query(
        "SELECT media_type, width, height FROM app.report_screenshots WHERE id = %s", [accepted.json()["id"]])
    assert (media_type, width, height) == ("image/png", 40, 30)

    refused = upload(web_server, key, files={"file": ("screenshot.png", b"just some text\n" * 20, "image/png")})
    assert refused.status_code == 415 and refused.json()["code"] == "QV803"
    truncated = upload(web_server, key, content=png(noise=True)[:400], headers={"Content-Type": "image/png"})
    assert truncated.status_code == 415 and truncated.json()["code"] == "QV803"


def test_a_3_mb_image_is_refused_with_413_and_a_decompression_bomb_with_415(web_server, shop):
    _, key = shop
    big = png(1100, 1000, noise=True)
    assert len(big) > 3_000_000
    too_large = upload(web_server, key, content=big, headers={"Content-Type": "image/png"})
    assert too_large.status_code == 413 and too_large.json()["code"] == "QV691"
    bomb = png(20_000, 20_000, mode="1")  # a few kB that would decode to 400 million pixels
    assert len(bomb) < 200_000
    refused = upload(web_server, key, content=bomb, headers={"Content-Type": "image/png"})
    assert refused.status_code == 415 and refused.json()["code"] == "QV803"


def test_screenshots_need_a_widget_key_used_from_an_allowed_page(web_server, shop):
    _, key = shop
    elsewhere = upload(web_server, key, content=png(), headers={"Origin": "https://evil.example.net"})
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "QA802"
    keyless = httpx.post(web_server.base_url + "/reports/screenshot", content=png())
    assert keyless.status_code == 401 and keyless.json()["code"] == "QA801"
    forged = upload(web_server, key, content=png(), headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401 and forged.json()["code"] == "QA690"
    preflight = httpx.options(web_server.base_url + "/reports/screenshot", headers={
        "Origin": PAGE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-pgwarden-widget-key"})
    assert preflight.status_code == 204
    assert "x-pgwarden-widget-key" in preflight.headers["access-control-allow-headers"]


def test_uploads_from_one_address_are_rate_limited(web_server, shop):
    project, key = shop
    web_server.query("UPDATE app.report_rate_limit SET per_client = 2 WHERE kind = 'screenshot' RETURNING 1")
    try:
        statuses = [upload(web_server, key, content=png(), headers={"X-Forwarded-For": "192.0.2.44"}).status_code
                    for _ in range(3)]
        assert statuses == [201, 201, 429]
        limited = upload(web_server, key, content=png(), headers={"X-Forwarded-For": "192.0.2.44"})
        assert limited.json()["code"] == "QR801" and int(limited.headers["retry-after"]) >= 1
    finally:
        web_server.query("UPDATE app.report_rate_limit SET per_client = 25 WHERE kind = 'screenshot' RETURNING 1")


def test_a_screenshot_is_served_only_to_its_organization_and_to_admins(web_server, shop):
    project, key = shop
    stored = upload(web_server, key, content=png(), headers={"Content-Type": "image/png"}).json()
    other = web_server.new_project("elsewhere")
    url = stored["url"]
    mine = httpx.get(url, headers=bearer(web_server, "org_owner", project.organization_id))
    assert mine.status_code == 200 and mine.content == png() and mine.headers["content-type"] == "image/png"
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(url, headers=bearer(web_server, "staff", project.organization_id)).status_code == 200
    assert httpx.get(url, headers=bearer(web_server, "system_admin")).status_code == 200
    theirs = httpx.get(url, headers=bearer(web_server, "org_owner", other.organization_id))
    assert theirs.status_code == 404 and theirs.json()["code"] == "QN802"
    anonymous = httpx.get(url)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "QA690"
    # another organization's token cannot upload through this key either
    foreign = upload(web_server, key, content=png(), headers=bearer(web_server, "org_owner", other.organization_id))
    assert foreign.status_code == 403 and foreign.json()["code"] == "QA803"


def test_a_sentry_feedback_screenshot_is_stored_as_the_reports_screenshot(web_server, shop):
    project, _ = shop
    image = png(64, 48)
    feedback = json.dumps({"event_id": "f" * 32, "type": "feedback", "contexts": {"feedback": {
        "message": "The totals are wrong", "contact_email": "jane@example.com", "name": "Jane"}}}).encode()
    envelope = b"\n".join([
        json.dumps({"event_id": "f" * 32, "dsn": project.dsn}).encode(),
        json.dumps({"type": "feedback", "length": len(feedback)}).encode(), feedback,
        json.dumps({"type": "attachment", "length": len(image), "filename": "screenshot.png",
                    "content_type": "image/png"}).encode(), image, b""])
    sent = httpx.post(f"{web_server.base_url}/api/{project.id}/envelope/", content=envelope)
    assert sent.status_code == 200, sent.text
    [(report_id, urls)] = web_server.query(
        "SELECT id, screenshot_urls FROM app.user_error_reports WHERE description = 'The totals are wrong'")
    [(screenshot_id, source)] = web_server.query(
        "SELECT id, source FROM app.report_screenshots WHERE report_id = %s", [report_id])
    assert source == "sentry_attachment" and urls == [f"{web_server.base_url}/reports/screenshots/{screenshot_id}"]
    served = httpx.get(urls[0], headers=bearer(web_server, "org_owner", project.organization_id))
    assert served.content == image


def test_the_widget_scripts_are_small_cached_and_revalidated(web_server):
    for name, limit in (("report.js", 15_000), ("capture.js", 5_000)):
        script = httpx.get(f"{web_server.base_url}/widget/{name}")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert len(script.content) < limit
        assert "max-age=86400" in script.headers["cache-control"]
        again = httpx.get(f"{web_server.base_url}/widget/{name}", headers={"If-None-Match": script.headers["etag"]})
        assert again.status_code == 304
