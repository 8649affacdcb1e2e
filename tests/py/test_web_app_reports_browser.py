"""The web app's reports pages in Debian's headless Chromium, as a person works them: an org owner
files a report with a screenshot through the form (and sees SQL's refusal keep what was typed), finds
it in the queue with its filters, opens it, follows its linked error, and works it: status with notes,
assignee, duplicate of another report, a move the workflow refuses; a system admin filters the
queue by organization. (Every page's rendering and axe check: test_web_app_browser.py.)"""

from __future__ import annotations

import re
import uuid

import test_web_app_browser as web_app_browser
from PIL import Image
from playwright.sync_api import Page, expect
from web_app_support import World
from web_server import WebServer

pytest_plugins = ["web_server"]

# the web app's browser fixtures: one Chromium, the seeded world, people signed in through the form
browser, world, as_person = web_app_browser.browser, web_app_browser.world, web_app_browser.as_person
WAIT_MS = web_app_browser.WAIT_MS


def file_report(page: Page, title: str, **fields: str) -> None:
    page.goto("/reports")
    page.get_by_role("link", name="File a report").click()
    expect(page.get_by_role("heading", name="File a report")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Title").fill(title)
    page.get_by_label("What happened", exact=True).fill(fields.pop("description", "The coupon field is gone."))
    for label, value in fields.items():
        control = page.get_by_label(label, exact=True)
        if control.evaluate("c => c.tagName") == "SELECT":
            control.select_option(value)
        elif control.get_attribute("type") == "file":
            control.set_input_files(value)
        else:
            control.fill(value)
    page.get_by_role("button", name="File report").click()


def report_id_of(page: Page) -> str:
    found = re.search(r"/reports/([0-9a-f-]{36})", page.url)
    assert found, page.url
    return found.group(1)


def queue_titles(page: Page) -> list[str]:
    return page.locator("main table tbody a.message").all_inner_texts()


def test_an_org_owner_files_a_report_with_a_screenshot_and_works_it_through_the_queue(
        as_person, world: World, web_server: WebServer, tmp_path):
    title = f"Totals wrong after coupon {uuid.uuid4().hex[:6]}"
    shot = tmp_path / "totals.png"
    Image.new("RGB", (320, 200), (20, 120, 40)).save(shot)
    page = as_person(world.owner_a)

    # the form: SQL's refusal is shown on it, with what was typed kept
    file_report(page, title, Priority="critical", **{"Page (URL)": "ftp://shop.example.com/cart"})
    expect(page.locator("main")).to_contain_text("QV801", timeout=WAIT_MS)
    expect(page.locator("main")).to_contain_text("Field: url.")
    expect(page.get_by_label("Title")).to_have_value(title)
    page.get_by_label("Page (URL)").fill("https://shop.example.com/cart")
    page.get_by_label("Screenshot").set_input_files(str(shot))
    page.get_by_role("button", name="File report").click()
    expect(page.locator("main")).to_contain_text("Report filed.", timeout=WAIT_MS)
    report = report_id_of(page)
    image = page.get_by_role("img", name="Screenshot 1 of the report")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 320, "the screenshot is served by session"
    assert web_server.query("SELECT priority::text, reporter_type::text, cardinality(screenshot_urls) "
                            "FROM app.user_error_reports WHERE id = %s", [report]) == [("critical", "org_owner", 1)]

    # the queue and its filters
    page.goto("/reports")
    assert title in queue_titles(page)
    page.get_by_label("Priority").select_option("critical")
    page.get_by_label("Type").select_option("bug")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"priority=critical"), timeout=WAIT_MS)
    assert title in queue_titles(page) and "Coupon field breaks checkout" not in queue_titles(page)
    page.get_by_label("Type").select_option("feature_request")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("main table tbody")).to_contain_text("No reports here.", timeout=WAIT_MS)

    # the workflow, on the report's page
    page.goto("/reports?status=queue")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Status", exact=True).select_option("in_progress")
    page.get_by_label("Notes (kept with the report and its history)").fill("Reproduced with SAVE10")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("main")).to_contain_text("Status changed.", timeout=WAIT_MS)
    expect(page.locator("main")).to_contain_text("status open → in_progress (Reproduced with SAVE10)")
    [(owner_id,)] = web_server.query("SELECT id::text FROM app.users WHERE email = %s", [world.owner_a])
    page.get_by_label("Assigned to").select_option(owner_id)
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("main")).to_contain_text("Assignee changed.", timeout=WAIT_MS)
    page.goto("/reports?assigned=me")
    assert title in queue_titles(page)

    page.goto(f"/reports/{report}")
    page.get_by_label("Status", exact=True).select_option("resolved")
    page.get_by_label("Notes (kept with the report and its history)").fill("Fixed in 2.3.1")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("main")).to_contain_text("Resolution notes", timeout=WAIT_MS)
    expect(page.locator("main")).to_contain_text("Fixed in 2.3.1")
    page.get_by_label("Status", exact=True).select_option("in_progress")  # a resolved report is reopened first
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("main")).to_contain_text("QS801", timeout=WAIT_MS)
    page.goto("/reports?status=resolved")
    assert title in queue_titles(page)

    # a second report of the same problem, marked as its duplicate
    file_report(page, title + " again")
    expect(page.locator("main")).to_contain_text("Report filed.", timeout=WAIT_MS)
    page.get_by_label("Duplicate of (report id)").fill(report)
    page.get_by_role("button", name="Mark duplicate").click()
    expect(page.locator("main")).to_contain_text("Marked as a duplicate.", timeout=WAIT_MS)
    page.get_by_role("link", name="another report").click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("main")).to_contain_text("Reports marked as duplicates of this one")


def test_a_reports_linked_error_is_one_click_away_and_admins_filter_the_queue_by_organization(
        as_person, world: World):
    page = as_person(world.owner_a)
    page.goto(f"/reports/{world.report_a}")
    page.locator("main section", has_text="Linked error").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(f"/errors/{world.error_a}$"), timeout=WAIT_MS)

    admin = as_person(world.admin)
    admin.goto("/reports?status=all")
    assert {"Coupon field breaks checkout", "B secret failure report"} <= set(queue_titles(admin))
    admin.get_by_label("Organization").select_option(world.project_b.organization_id)
    admin.get_by_role("button", name="Filter").click()
    expect(admin).to_have_url(re.compile(f"org={world.project_b.organization_id}"), timeout=WAIT_MS)
    assert "B secret failure report" in queue_titles(admin)
    assert "Coupon field breaks checkout" not in queue_titles(admin)


def test_a_reporters_status_link_shows_the_status_as_it_is_worked_without_signing_in(
        browser, world: World, web_server: WebServer):
    [(key,)] = web_server.query("SELECT app.widget_key_set(%s) ->> 'widget_key'", [world.project_a.id])
    [(token, report)] = web_server.query(
        "SELECT r -> 'result' ->> 'status_token', r -> 'result' ->> 'id' FROM app.report_submit_request("
        "%s, NULL, NULL, '192.0.2.90', NULL, NULL, NULL, '{\"title\": \"Cart is empty\", \"description\": \"d\"}') r",
        [key])
    context = browser.new_context(base_url=web_server.base_url)
    try:
        page = context.new_page()
        answer = page.goto(f"/reports/status/{token}")
        assert answer is not None and answer.status == 200
        expect(page.get_by_role("heading", name="Your report")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#report-status")).to_have_text("open")
        assert web_app_browser.serious_violations(page) == []
        web_server.query("SELECT app.report_status_change(%s, 'pending_info', 'which coupon?')", [report])
        page.reload()
        expect(page.locator("#report-status")).to_have_text("pending info", timeout=WAIT_MS)
        expect(page.locator("main")).not_to_contain_text("which coupon?")
        assert page.goto(f"/reports/status/{'f' * 48}").status == 404
    finally:
        context.close()
