"""The real @sentry/browser (npm) in headless Chromium (Debian's), on a page served from another
origin: an uncaught TypeError, an unhandled rejection and captureFeedback land in pgwarden; and
pgwarden's report widget files a report with a screenshot, linked to the page's error, on a page with
the Sentry SDK and on one with pgwarden's capture.js instead, offers the report's status link, is
stopped at the CORS preflight on a page of an origin its key does not allow, and explains refusals
(400, 429)."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from PIL import Image
from web_server import scratch_dir

from tests.conftest import free_port, running_postgrest
from workers.settings import REPO_ROOT

pytest_plugins = ["web_server"]

BROWSER_DIR = REPO_ROOT / "tests" / "browser"


@pytest.fixture(scope="session")
def browser_page_dir() -> Iterator[Path]:
    """Chromium and the npm packages installed (scripts/install-browser-tests.sh), the page built."""
    subprocess.run([str(REPO_ROOT / "scripts" / "install-browser-tests.sh")], check=True, timeout=1800)
    out = scratch_dir("pgwarden-page-")
    subprocess.run(["node", str(BROWSER_DIR / "build.mjs"), str(out)], check=True, timeout=120)
    yield out
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def page_server(browser_page_dir) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(browser_page_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_browser_sdk_lands_uncaught_errors_rejections_and_feedback(web_server, page_server):
    project = web_server.new_project("frontend")
    page_url = f"{page_server}/index.html?dsn={quote(project.dsn)}"
    run = subprocess.run(["node", str(BROWSER_DIR / "run-page.mjs"), page_url, web_server.base_url],
                         capture_output=True, text=True, timeout=120, cwd=BROWSER_DIR)
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    posts = [response for response in seen["responses"] if response["method"] == "POST"]
    assert posts and all(response["status"] == 200 for response in posts), seen
    groups = web_server.query(
        "SELECT error_type::text, message, url LIKE %s FROM app.system_errors WHERE organization_id = %s "
        "ORDER BY message", [page_server + "/index.html%", project.organization_id])
    assert groups == [
        ("javascript", "Error: Checkout button broke", True),
        ("javascript", "Error: Payment promise rejected", True),
        ("runtime", "TypeError: Cannot read properties of undefined (reading 'coupon')", True),
    ]
    # the SDK sends the feedback as its own envelope right after the error's; when the two are
    # ingested concurrently the feedback can commit first, unlinked, and pg_cron's minute pass
    # links it: run that pass now rather than wait for the minute
    web_server.query("SELECT app.report_link_late()")
    reports = web_server.query(
        "SELECT r.reporter_name, r.reporter_email, r.description, e.message "
        "FROM app.user_error_reports r JOIN app.system_errors e ON e.id = r.linked_error_id "
        "WHERE r.organization_id = %s", [project.organization_id])
    assert reports == [("Jane", "jane@example.com", "The pay button does nothing", "Error: Checkout button broke")]
    # the page load's session arrived too
    assert web_server.query("SELECT release FROM app.client_sessions WHERE project_id = %s",
                            [project.id]) == [("shop-frontend@2.3.0",)]


def test_a_customer_reports_a_problem_with_a_screenshot_through_the_widget_linked_to_the_pages_error(
        web_server, page_server, tmp_path):
    """The issue's done-when: on a page of another origin, an error raised through @sentry/browser, then
    a report filed with the keyboard through /widget/report.js with a screenshot; the report lands
    linked to that error, its screenshot stored, its organization's admins alerted."""
    project = web_server.new_project("shop-widget")
    [(key,)] = web_server.query("SELECT app.widget_key_set(%s, %s) ->> 'widget_key'", [project.id, [page_server]])
    web_server.query("INSERT INTO app.error_alerts (alert_type, channel, organization_id, trigger_conditions) "
                     "VALUES ('new_user_report', 'in_app', %s, '{}') RETURNING id", [project.organization_id])
    screenshot = tmp_path / "what-i-saw.png"
    Image.new("RGB", (320, 200), (200, 30, 30)).save(screenshot)
    query = urlencode({"dsn": project.dsn, "web": web_server.base_url, "key": key})
    run = subprocess.run(["node", str(BROWSER_DIR / "run-widget.mjs"), f"{page_server}/report.html?{query}",
                          str(screenshot)], capture_output=True, text=True, timeout=120, cwd=BROWSER_DIR)
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["pageErrors"] == [] and seen["unlabelled"] == [], seen
    assert [message for message in seen["consoleErrors"] if "CORS" in message] == [], seen  # (a favicon's 404 is)
    assert (seen["button"], seen["afterOpen"], seen["submitFocus"]) == ("Report a problem", "pgw-title", "Send report")
    assert seen["status"].startswith("Thank you"), seen

    [(report_id, title, priority, email, link_reason, message, urls)] = web_server.query(
        "SELECT r.id, r.title, r.priority::text, r.reporter_email, r.link_reason, e.message, r.screenshot_urls "
        "FROM app.user_error_reports r JOIN app.system_errors e ON e.id = r.linked_error_id "
        "WHERE r.organization_id = %s", [project.organization_id])
    assert (title, priority, email) == ("Coupon makes the total negative", "high", "jane@example.com")
    assert (link_reason, message) == ("event_id", "Error: Coupon total is negative")
    assert str(report_id) == seen["report"]["id"]
    [(width, height, screenshot_url)] = web_server.query(
        "SELECT width, height, %s || '/reports/screenshots/' || id FROM app.report_screenshots WHERE report_id = %s",
        [web_server.base_url, report_id])
    assert (width, height) == (320, 200) and urls == [screenshot_url]
    assert web_server.query("SELECT count(*) FROM app.alert_incidents i JOIN app.error_alerts r ON r.id = i.rule_id "
                            "WHERE r.organization_id = %s", [project.organization_id]) == [(1,)]
    # the widget's preflights were answered from the key's origins (the key in the URL)
    assert re.findall(r'"OPTIONS /reports/(submit|screenshot)\?widget_key=wk_[0-9a-f]{32} HTTP/1.1" 204',
                      web_server.log()) == ["screenshot", "submit"]

    # the status link the widget offered follows the report as it is worked
    assert seen["statusLink"].startswith(f"{web_server.base_url}/reports/status/")
    assert ">open</span>" in httpx.get(seen["statusLink"]).text
    web_server.query("SELECT app.report_status_change(%s, 'in_progress', 'reproduced with SAVE10')", [report_id])
    assert ">in progress</span>" in httpx.get(seen["statusLink"]).text


def test_a_page_of_an_origin_the_key_does_not_allow_is_stopped_by_the_browser_at_the_preflight(
        web_server, page_server):
    """The same page under another origin (localhost instead of 127.0.0.1): the browser asks first,
    pgwarden web refuses from the key's allowed origins, and the report is never sent."""
    project = web_server.new_project("shop-foreign")
    [(key,)] = web_server.query("SELECT app.widget_key_set(%s, %s) ->> 'widget_key'", [project.id, [page_server]])
    foreign_page = page_server.replace("127.0.0.1", "localhost")
    query = urlencode({"dsn": project.dsn, "web": web_server.base_url, "key": key})
    run = subprocess.run(["node", str(BROWSER_DIR / "run-widget.mjs"), f"{foreign_page}/report.html?{query}", "-"],
                         capture_output=True, text=True, timeout=120, cwd=BROWSER_DIR)
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["status"] == "The report could not be sent. Please try again later.", seen
    assert seen["report"] is None and seen["statusLink"] is None
    [blocked] = [message for message in seen["consoleErrors"] if "/reports/submit" in message]
    assert "blocked by CORS policy" in blocked and "preflight" in blocked, blocked
    assert re.findall(rf'"(OPTIONS|POST) /reports/submit\?widget_key={key} HTTP/1.1" (\d+)', web_server.log()) \
        == [("OPTIONS", "403")], "refused at the preflight: the report itself never arrived"
    assert web_server.query("SELECT count(*) FROM app.user_error_reports WHERE project_id = %s", [project.id]) == [(0,)]


def test_a_page_without_sentry_reports_its_errors_through_capture_js_and_a_report_links_to_the_last(
        web_server, page_server, tmp_path):
    """capture.js (the spec's global handler) on a page of another origin: an uncaught error (twice),
    an unhandled rejection, a fetch answered 501 and one that reaches nobody, then a burst; each error
    is sent once, at most 10 a minute, and the widget's report links to the last one sent."""
    project = web_server.new_project("shop-capture")
    [(key,)] = web_server.query("SELECT app.widget_key_set(%s, %s) ->> 'widget_key'", [project.id, [page_server]])
    screenshot = tmp_path / "cart.png"
    Image.new("RGB", (64, 48), (30, 30, 200)).save(screenshot)
    dead_port = free_port()  # nothing listens there
    with running_postgrest(web_server.database_url) as (api_url, _):
        query = urlencode({"web": web_server.base_url, "api": api_url, "key": project.public_key, "widget_key": key,
                           "dead_port": dead_port})
        run = subprocess.run(["node", str(BROWSER_DIR / "run-widget.mjs"), f"{page_server}/capture.html?{query}",
                              str(screenshot)], capture_output=True, text=True, timeout=120, cwd=BROWSER_DIR)
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["captureStatuses"] == [200] * 10, seen
    assert seen["status"].startswith("Thank you"), seen

    by_message = {message: error_type for error_type, message in web_server.query(
        "SELECT error_type::text, message FROM app.error_events WHERE organization_id = %s", [project.organization_id])}
    [network] = [message for message, error_type in by_message.items() if error_type == "network"]
    assert network.startswith(f"GET http://127.0.0.1:{dead_port}/stock failed: ")
    assert {message: error_type for message, error_type in by_message.items() if error_type != "network"} == {
        "Error: Cart total is NaN": "javascript", "Error: Coupon promise rejected": "javascript",
        f"POST {page_server}/api/cart 501": "api", **{f"Error: Burst {i}": "javascript" for i in range(6)},
    }, "each error once, the first 10 of the minute"

    [(event_id, link_reason, event_message, same_group, same_session)] = web_server.query(
        "SELECT replace(r.event_id::text, '-', ''), r.link_reason, v.message, v.error_hash = e.error_hash, "
        "       (SELECT count(*) FROM app.error_events s WHERE s.session_id = r.session_id) "
        "FROM app.user_error_reports r JOIN app.system_errors e ON e.id = r.linked_error_id "
        "JOIN app.error_events v ON v.organization_id = r.organization_id AND v.event_id = r.event_id "
        "WHERE r.organization_id = %s", [project.organization_id])
    assert (event_id, link_reason) == (seen["lastEventId"], "event_id")
    assert (event_message, same_group) == ("Error: Burst 5", True), "linked to the group of the last error sent"
    assert same_session == 10, "the report carries the session of the page's errors"


def test_the_widget_explains_a_refused_field_and_the_rate_limit_to_the_person(web_server, page_server):
    project = web_server.new_project("shop-refusals")
    [(key,)] = web_server.query("SELECT app.widget_key_set(%s, %s) ->> 'widget_key'", [project.id, [page_server]])
    [(per_client,)] = web_server.query("SELECT per_client FROM app.report_rate_limit WHERE kind = 'report'")
    web_server.query("UPDATE app.report_rate_limit SET per_client = 1 WHERE kind = 'report' RETURNING kind")
    try:
        query = urlencode({"dsn": project.dsn, "web": web_server.base_url, "key": key})
        run = subprocess.run(["node", str(BROWSER_DIR / "run-widget-refusals.mjs"),
                              f"{page_server}/report.html?{query}"],
                             capture_output=True, text=True, timeout=120, cwd=BROWSER_DIR)
    finally:
        web_server.query("UPDATE app.report_rate_limit SET per_client = %s WHERE kind = 'report' RETURNING kind",
                         [per_client])  # the module's server is shared: leave it as found
    assert run.returncode == 0, run.stdout + run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    refused, corrected, limited = seen["refused"], seen["corrected"], seen["limited"]
    assert refused["text"].startswith("Please check reporter email"), refused
    assert (refused["role"], refused["focus"]) == ("alert", "pgw-reporter_email"), "read out, and focus on the field"
    assert refused["invalid"] == ["reporter_email"], refused
    assert corrected["text"].startswith("Thank you") and corrected["invalid"] == [], corrected
    assert limited["text"].startswith("Too many reports were sent from here") and limited["role"] == "alert", limited
    assert web_server.query("SELECT count(*) FROM app.user_error_reports WHERE project_id = %s", [project.id]) == [(1,)]
