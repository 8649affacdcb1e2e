"""An error's AI analysis panel in Debian's headless Chromium, against a real `pgwarden web`, the real
ai.analyze worker and the official SDKs pointed by base URL at local servers speaking Anthropic's
Messages and OpenAI's Chat Completions APIs: a person picks a provider, clicks "Analyse", and the
provider's answer is rendered with its provider and model, and the related error it names is
linked (issue 15, "In the web app")."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from playwright.sync_api import Page, expect
from test_web_app_browser import WAIT_MS, as_person, browser  # noqa: F401 (fixtures)
from web_app_support import World, capture, seed
from web_server import WebServer

from tests.py.ai.ai_support import use_provider, worker
from tests.py.ai.provider_servers import VALID_ANSWER, AnthropicStub, OpenAIStub, ProviderStub

pytest_plugins = ["web_server"]

ANSWER_SECONDS = 60  # how long the worker may take on a busy machine (never a measured time)


@pytest.fixture(scope="module")
def world(web_server: WebServer) -> World:
    return seed(web_server)


@pytest.fixture(scope="module")
def similar_error(web_server: WebServer, world: World) -> str:
    """A group of organization A like world.error_a but for its in-app frame: offered to the provider
    as a similar error, so the provider may name it as related."""
    frames = [{"filename": "/srv/shop/src/checkout.js", "function": "applyGiftCard", "lineno": 57, "in_app": True}]
    exception = {"values": [{"type": "TypeError", "value": "Cannot read properties of undefined (reading 'coupon')",
                             "stacktrace": {"frames": frames}}]}
    assert capture(web_server, world.project_a, "", exception=exception).status_code == 200
    [(found,)] = web_server.query("SELECT id::text FROM app.system_errors WHERE organization_id = %s"
                                  " AND stack_trace LIKE '%%applyGiftCard%%'", [world.project_a.organization_id])
    return found


@pytest.fixture(params=["anthropic", "openai"])
def provider(request, monkeypatch, web_server: WebServer) -> Iterator[tuple[str, ProviderStub]]:
    """The provider's local server, its key and base URL in the environment, and a worker running."""
    name = request.param
    with (AnthropicStub if name == "anthropic" else OpenAIStub)() as stub:
        for variable, value in stub.environment().items():
            monkeypatch.setenv(variable, value)
        with psycopg.connect(web_server.database_url, autocommit=True) as db:
            use_provider(db, name)
        with worker(web_server.database_url):
            yield name, stub


def shown_after_reloads(page: Page, text: str) -> None:
    """The page, reloaded until its AI analysis shows text (the answer arrives through the worker)."""
    deadline = time.monotonic() + ANSWER_SECONDS
    while text not in page.locator("section[aria-labelledby=ai-h]").inner_text():
        assert time.monotonic() < deadline, f"no analysis showing {text!r}"
        time.sleep(0.5)
        page.reload()


def test_a_person_asks_a_provider_for_an_analysis_and_sees_its_answer(as_person, world, similar_error,  # noqa: F811
                                                                      provider):
    name, stub = provider
    root_cause = f"{VALID_ANSWER['rootCause']} (as {name} sees it)"
    stub.then({**VALID_ANSWER, "rootCause": root_cause, "relatedErrors": [similar_error]})
    page = as_person(world.owner_a)
    page.goto(f"/errors/{world.error_a}")
    page.select_option("#provider", name)
    page.check("input[name=fresh]")
    page.get_by_role("button", name="Analyse").click()
    expect(page.locator("main")).to_contain_text("Analysis requested", timeout=WAIT_MS)

    shown_after_reloads(page, root_cause)
    panel = page.locator("section[aria-labelledby=ai-h]")
    expect(panel).to_contain_text(VALID_ANSWER["suggestedFix"])
    expect(panel).to_contain_text(f"{VALID_ANSWER['severity']} of 5")
    expect(panel).to_contain_text(f"By {name} ({stub.model})")
    named_by_analysis = page.locator("section[aria-labelledby=rel-h] > ul")  # not the similar errors below it
    expect(named_by_analysis.locator(f"a[href='/errors/{similar_error}']")).to_be_visible()
    (body,) = stub.bodies()
    assert "Cannot read properties of undefined" in str(body), "the provider was asked about this error"
    assert similar_error in str(body), "the similar error was offered as a candidate for relatedErrors"
