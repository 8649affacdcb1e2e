"""The web app in Debian's headless Chromium (driven by playwright), against a real `pgwarden web`
and a seeded database: every page with real data, axe-core finding no serious or critical
violation, the live feed, triage, tenancy, CSRF, session expiry and the status page without
JavaScript. A screenshot of every page is saved to .artifacts/screenshots/ (see README)."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from web_app_support import PASSWORD, World, capture, execute, seed
from web_app_support import error_id as error_id_of
from web_server import WebServer

from workers.settings import REPO_ROOT

pytest_plugins = ["web_server"]

SCREENSHOTS = REPO_ROOT / ".artifacts" / "screenshots"
AXE = REPO_ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 10_000  # how long an expectation may take on a busy machine (never a measured time)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module: Debian's, never a downloaded one; axe-core from tests/browser."""
    subprocess.run([str(REPO_ROOT / "scripts" / "install-browser-tests.sh")], check=True, timeout=1800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def world(web_server: WebServer) -> World:
    return seed(web_server)


@pytest.fixture
def as_person(browser: Browser, web_server: WebServer) -> Iterator:
    """Sign someone in through the form; every page opened is closed after the test."""
    contexts = []

    def sign_in(email: str, viewport: dict[str, int] = DESKTOP) -> Page:
        context = browser.new_context(base_url=web_server.base_url, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(web_server.base_url + "/")
        return page

    yield sign_in
    for context in contexts:
        context.close()


def serious_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")


def check_page(page: Page, name: str, path: str, *texts: str) -> None:
    """Open a page: it answers 200, shows the texts, axe finds nothing serious; save a screenshot."""
    answer = page.goto(path)
    assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
    for text in texts:
        expect(page.locator("main")).to_contain_text(text, timeout=WAIT_MS)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert serious_violations(page) == [], path


def test_every_page_renders_real_data_with_no_serious_accessibility_violations(browser, as_person, world, web_server):
    context = browser.new_context(base_url=web_server.base_url)
    check_page(context.new_page(), "sign-in", "/login", "Sign in to pgwarden")
    context.close()
    page = as_person(world.admin)
    check_page(page, "overview", "/", "Error trend", "TypeError", "unacknowledged for", "Shop A API", "Latest alerts",
               "Test notification from pgwarden: Checkout critical")
    expect(page.locator("#live-state")).to_have_text("Live", timeout=WAIT_MS)
    check_page(page, "errors", "/errors", "Payment provider answered slowly", "Organization B's secret failure")
    check_page(page, "error-detail", f"/errors/{world.error_a}", "applyCoupon", "shop@1.2.3", "Chrome",
               "AI analysis", "Coupon field breaks checkout")
    assert page.locator(".frames li.in-app").count() == 1  # the application's frame, highlighted
    assert page.locator(".frames details summary").inner_text() == "1 library frame"  # react-dom, folded
    check_page(page, "error-similar", f"/errors/{world.error_a}/related", "Errors like this one")
    check_page(page, "health", "/monitors", "Shop A API", "connection refused")
    check_page(page, "monitor", f"/monitors/{world.monitor_a}", "Last 90 days", "connection refused", "major outage")
    check_page(page, "monitor-new", "/monitors/new", "Add a monitor")
    check_page(page, "settings", "/settings", world.project_a.public_key, world.owner_b)
    check_page(page, "alerts", "/alerts", "Checkout critical", "B secret failure alert",
               "Test notification from pgwarden: Checkout critical")
    check_page(page, "alert-new", "/alerts/new", "Trigger conditions each kind takes", "baseline_factor")
    check_page(page, "reports", "/reports", "Coupon field breaks checkout", "B secret failure report")
    check_page(page, "report", f"/reports/{world.report_a}", "Typing a coupon shows an error.", "Carla", "Work on it")
    check_page(page, "report-new", "/reports/new", "File a report")
    check_page(page, "status", "/status", "API Endpoints", "Database upgrade", "How uptime is measured")


def test_every_page_fits_a_phone_screen_and_the_errors_list_keeps_its_messages_readable(as_person, world):
    page = as_person(world.admin, PHONE)
    for path in ("/", "/errors", f"/errors/{world.error_a}", "/monitors", f"/monitors/{world.monitor_a}", "/alerts",
                 "/alerts/new", "/reports", f"/reports/{world.report_a}", "/settings", "/status"):
        page.goto(path)
        page_width, screen_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert page_width <= screen_width, f"{path} is {page_width} px wide on a {screen_width} px screen"
    page.goto("/errors")
    # a table too wide scrolls within itself; this one leaves out its secondary columns instead
    assert page.locator("td:has(> a.message)").first.bounding_box()["width"] >= 150
    assert not page.locator("th", has_text="First seen").is_visible()


def test_the_live_feed_shows_a_new_error_without_a_reload(as_person, world, web_server):
    page = as_person(world.admin)
    expect(page.locator("#live-state")).to_have_text("Live", timeout=WAIT_MS)
    page.evaluate("window.notReloaded = true")
    message = f"Live error {uuid.uuid4().hex[:8]}"
    assert capture(web_server, world.project_b, message).status_code == 200
    expect(page.locator("#live-feed li").first).to_contain_text(message, timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded") is True


def test_resolving_an_error_from_its_page_changes_its_status(as_person, world, web_server):
    error_id = error_id_of(web_server, world.project_a, "Payment provider answered slowly")
    page = as_person(world.owner_a)
    page.goto(f"/errors/{error_id}")
    page.fill("#note", "provider confirmed a fix")
    page.click("button[value=resolved]")
    expect(page.locator("main [role=status]")).to_have_text("Status changed to resolved.")
    expect(page.locator("main p .badge.resolved")).to_be_visible()
    expect(page.locator("#hist-h + ol")).to_contain_text("provider confirmed a fix")
    assert web_server.query("SELECT status::text FROM app.system_errors WHERE id = %s", [error_id]) == [("resolved",)]


def test_checked_errors_are_ignored_together_from_the_list(as_person, world, web_server):
    page = as_person(world.owner_a)
    page.goto("/errors?status=open")
    page.locator(f"input[name=ids][value='{world.error_a}']").check()
    page.click("button[value=ignore]")
    expect(page.locator("main [role=status]")).to_have_text("1 error marked ignored.")
    assert web_server.query("SELECT status::text FROM app.system_errors WHERE id = %s",
                            [world.error_a]) == [("ignored",)]
    execute(web_server, "UPDATE app.system_errors SET status = 'new' WHERE id = %s", [world.error_a])


def test_an_org_owner_filters_errors_by_environment_and_assigns_one_to_themselves(as_person, world, web_server):
    tag = uuid.uuid4().hex[:6]
    staging, like_it = f"Basket total drifts in staging {tag}", f"Basket total drifts in production {tag}"
    assert capture(web_server, world.project_a, staging, environment=f"staging-{tag}").status_code == 200
    assert capture(web_server, world.project_a, like_it, environment="production").status_code == 200
    page = as_person(world.owner_a)
    page.goto("/errors?status=all")
    page.fill("#environment", f"staging-{tag}")
    page.click("form[role=search] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"environment=staging-{tag}"))
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(staging)
    rows.first.locator("a.message").click()
    expect(page.locator("#similar-errors")).to_contain_text(like_it, timeout=WAIT_MS)  # loaded after the page
    page.select_option("#user_id", label=f"org_owner ({world.owner_a})")
    page.click("#assign-h ~ form button[type=submit]")
    expect(page.locator("main .notice.ok[role=status]")).to_have_text("Assigned to org_owner.")
    expect(page.locator("#assignee")).to_contain_text(world.owner_a)
    page.screenshot(path=str(SCREENSHOTS / "error-assigned.png"), full_page=True)
    assert serious_violations(page) == []
    assigned = web_server.query("SELECT u.email FROM app.system_errors s JOIN app.users u ON u.id = s.assigned_to"
                                " WHERE s.id = %s", [error_id_of(web_server, world.project_a, staging)])
    assert assigned == [(world.owner_a,)]


def test_an_org_owner_creates_and_revokes_a_widget_key_on_settings(as_person, world, web_server):
    page = as_person(world.owner_a)
    page.goto("/settings")
    row = page.locator(f"#project-{world.project_a.id}")
    row.locator("input[name=allowed_origins]").fill("https://shop-a.example")
    row.locator("button", has_text="Create widget key").click()
    expect(page.locator("main [role=status]")).to_have_text(f"Widget key of project {world.project_a.id} saved.")
    [(key,)] = web_server.query("SELECT widget_key FROM app.project_widget_keys WHERE project_id = %s",
                                [world.project_a.id])
    row = page.locator(f"#project-{world.project_a.id}")
    expect(row.locator("code.widget-key")).to_have_text(key)
    expect(row).to_contain_text("pages of https://shop-a.example")
    page.screenshot(path=str(SCREENSHOTS / "settings-widget-key.png"), full_page=True)
    assert serious_violations(page) == []
    row.locator("button", has_text="Revoke widget key").click()
    expect(page.locator("main [role=status]")).to_contain_text("revoked")
    expect(page.locator(f"#project-{world.project_a.id}")).to_contain_text("no widget key")
    assert web_server.query("SELECT count(*) FROM app.project_widget_keys WHERE project_id = %s",
                            [world.project_a.id]) == [(0,)]


def test_an_org_owner_sees_only_their_organization_on_every_page(as_person, world, web_server):
    web_server.query("SELECT app.alert_test(%s)", [world.rule_b])  # B's latest alert: "B secret failure alert"
    page = as_person(world.owner_a)
    expect(page.locator("#live-state")).to_have_text("Live", timeout=WAIT_MS)
    theirs, others = f"Owner A sees this {uuid.uuid4().hex[:6]}", f"Owner A never sees this {uuid.uuid4().hex[:6]}"
    assert capture(web_server, world.project_b, others).status_code == 200
    assert capture(web_server, world.project_a, theirs).status_code == 200
    expect(page.locator("#live-feed")).to_contain_text(theirs, timeout=WAIT_MS)
    assert others not in page.locator("#live-feed").inner_text()
    for path in ("/", "/errors?status=all", "/monitors", "/settings", f"/errors/{world.error_a}",
                 f"/monitors/{world.monitor_a}", "/alerts", "/reports?status=all", f"/reports/{world.report_a}"):
        assert page.goto(path).status == 200
        text = page.locator("main").inner_text()
        assert "secret failure" not in text and "never sees this" not in text and world.owner_b not in text, path
        assert world.project_b.public_key not in page.content(), path
    assert page.goto(f"/errors/{world.error_b}").status == 404
    expect(page.locator("main h1")).to_have_text("Not found")
    assert page.goto(f"/errors/{world.error_b}/related").status == 404


def test_an_org_owner_configures_an_alert_sends_a_test_and_sees_it_delivered(as_person, world, web_server):
    name = f"Checkout regressions {uuid.uuid4().hex[:6]}"
    page = as_person(world.owner_a)
    page.goto("/alerts/new")
    page.fill("#name", name)
    page.select_option("#alert_type", "critical_error")
    page.select_option("#destination", "in_app")
    page.fill("#trigger_conditions", '{"new_only": true}')
    page.click("main button.primary")
    expect(page.locator("main [role=status]")).to_have_text("Rule created.")
    page.locator("tr", has_text=name).locator("button", has_text="Send test").click()
    expect(page.locator("main [role=status]")).to_have_text("Test notification sent: see Deliveries.")
    deliveries = page.locator("section[aria-labelledby=deliveries]")
    expect(deliveries).to_contain_text(f"Test notification from pgwarden: {name}")
    expect(deliveries.locator("tr", has_text=name).locator(".badge")).to_have_text("delivered")
    expect(page.locator("header nav .badge.new")).to_be_visible()  # the unread count
    page.click("text=Mark all read")
    expect(page.locator("header nav .badge.new")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "alerts-after-test.png"), full_page=True)
    assert serious_violations(page) == []


def test_a_tampered_form_is_refused_and_an_expired_session_leads_to_sign_in(as_person, world, web_server):
    page = as_person(world.owner_a)
    page.goto(f"/errors/{world.error_a}")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(input => input.value = 'forged')")
    with page.expect_response(f"**/errors/{world.error_a}/status") as refused:
        page.click("button[value=resolved]")
    assert refused.value.status == 403
    expect(page.locator("main")).to_contain_text("This form has expired or did not come from pgwarden.")
    execute(web_server, "UPDATE app.web_sessions s SET last_seen_at = now() - interval '31 minutes'"
                        " FROM app.users u WHERE u.id = s.user_id AND u.email = %s", [world.owner_a])
    page.goto("/errors")
    expect(page).to_have_url(web_server.base_url + "/login?next=/errors")
    assert web_server.query("SELECT status::text FROM app.system_errors WHERE id = %s", [world.error_a]) == [("new",)]


def test_the_status_page_is_complete_without_javascript(browser, world, web_server):
    context = browser.new_context(base_url=web_server.base_url, java_script_enabled=False)
    page = context.new_page()
    assert page.goto("/status").status == 200
    expect(page.locator(".status-banner")).to_have_text("All Systems Operational")
    components = page.locator(".component")
    assert components.count() >= 3
    for index in range(components.count()):
        assert components.nth(index).locator(".days li").count() == 90
    expect(page.locator("main")).to_contain_text("Current uptime (30 days)")
    expect(page.locator("main")).to_contain_text("Last incident")
    expect(page.locator("main")).to_contain_text("Scheduled maintenance")
    expect(page.locator("#hist-h + table")).to_contain_text("Major Outage")
    expect(page.locator("main")).to_contain_text("How uptime is measured")
    # the day of the seeded outage says so in its tooltip
    assert page.locator(".days li.major").count() >= 1
    assert "major outage 25 min" in page.locator(".days li.major").first.get_attribute("title")
    page.screenshot(path=str(SCREENSHOTS / "status-without-javascript.png"), full_page=True)
    assert page.locator("script").count() == 0
    context.close()
