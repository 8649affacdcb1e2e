"""What PostgreSQL cannot store verbatim is stored all the same: \\u0000 and lone UTF-16 surrogates
become U+FFFD, NaN and Infinity become the strings "NaN", "Infinity", "-Infinity"; the stored event
says so in metadata._repaired and api.ingest_repairs counts it per organization. Through hand-built
envelopes, the legacy /store/ endpoint, the real sentry-sdk and the error webhook."""

from __future__ import annotations

import json

import httpx
import pytest
from web_server import Project, WebServer, run_python

pytest_plugins = ["web_server"]

REPLACEMENT = "\ufffd"


@pytest.fixture
def project(web_server: WebServer) -> Project:
    return web_server.new_project()


def send_envelope(server: WebServer, project: Project, *items: tuple[str, str]) -> httpx.Response:
    """Items as (type, JSON text written by hand: json.dumps cannot write NaN-free lone surrogates)."""
    lines = ['{"event_id": null}']
    for item_type, payload in items:
        lines += [json.dumps({"type": item_type}), payload]
    return httpx.post(f"{server.base_url}/api/{project.id}/envelope/", content="\n".join(lines).encode(),
                      headers={"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"})


def stored_events(server: WebServer, project: Project) -> list[tuple[str, dict]]:
    return server.query("SELECT message, metadata FROM app.error_events WHERE organization_id = %s ORDER BY message",
                        [project.organization_id])


def repairs(server: WebServer, project: Project) -> dict[tuple[str, str], tuple[int, int]]:
    rows = server.query("SELECT source, repair, items, occurrences FROM api.ingest_repairs WHERE organization_id = %s",
                        [project.organization_id])
    return {(source, repair): (items, occurrences) for source, repair, items, occurrences in rows}


def test_nul_characters_and_lone_surrogates_anywhere_in_an_event_are_stored_as_replacement_characters(
        web_server, project):
    event = ('{"message": "disk \\u0000 full", "level": "error", "tags": {"shard\\u0000": "a\\ud800b"},'
             ' "extra": {"raw": "\\udc00\\ud83d\\ude00", "path": "C:\\\\u0000"},'
             ' "breadcrumbs": [{"message": "step \\u0000"}], "user": {"id": "u\\u0000"}}')
    response = send_envelope(web_server, project, ("event", event))

    assert response.status_code == 200, response.text
    [(message, metadata)] = stored_events(web_server, project)
    assert message == f"disk {REPLACEMENT} full"
    assert metadata["tags"] == {f"shard{REPLACEMENT}": f"a{REPLACEMENT}b"}
    # a valid surrogate pair stays the emoji; an escaped backslash is not an escape
    assert metadata["extra"] == {"raw": f"{REPLACEMENT}\U0001F600", "path": "C:\\u0000"}
    assert metadata["breadcrumbs"][0]["message"] == f"step {REPLACEMENT}"
    assert metadata["_repaired"] == {"unstorable_characters": 6}
    assert repairs(web_server, project) == {("sentry", "unstorable_characters"): (1, 6)}


def test_nan_and_infinity_are_stored_as_strings_and_counted(web_server, project):
    event = ('{"message": "ratio out of range",'
             ' "extra": {"ratio": NaN, "max": Infinity, "min": -Infinity, "big": 1e999}}')
    response = httpx.post(f"{web_server.base_url}/api/{project.id}/store/", content=event.encode(),
                          headers={"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"})

    assert response.status_code == 200, response.text
    [(_, metadata)] = stored_events(web_server, project)
    assert metadata["extra"] == {"ratio": "NaN", "max": "Infinity", "min": "-Infinity", "big": "Infinity"}
    assert metadata["_repaired"] == {"non_finite_numbers": 4}
    assert repairs(web_server, project) == {("sentry", "non_finite_numbers"): (1, 4)}


def test_items_that_are_not_events_are_accepted_and_counted(web_server, project):
    response = send_envelope(
        web_server, project,
        ("session", '{"sid": "s\\u0000", "init": true, "started": "2026-11-28T13:58:01Z", "status": "ok",'
                    ' "attrs": {"release": "shop@\\ud800", "environment": "production"}}'),
        ("check_in", '{"check_in_id": "' + "c" * 32 + '", "monitor_slug": "import\\u0000", "status": "ok",'
                     ' "duration": NaN}'),
        ("user_report", '{"event_id": "' + "e" * 32 + '", "name": "Jane", "email": "jane@example.com",'
                        ' "comments": "it broke \\u0000"}'))

    assert response.status_code == 200, response.text
    assert web_server.query("SELECT release FROM app.client_sessions WHERE project_id = %s",
                            [project.id]) == [(f"shop@{REPLACEMENT}",)]
    assert web_server.query("SELECT monitor_slug, duration_seconds FROM app.cron_check_ins WHERE project_id = %s",
                            [project.id]) == [(f"import{REPLACEMENT}", None)]
    assert repairs(web_server, project) == {("sentry", "unstorable_characters"): (1, 4),
                                            ("sentry", "non_finite_numbers"): (1, 1)}


def test_the_real_sentry_sdk_sends_nul_characters_and_lone_surrogates_and_every_event_is_stored(web_server, project):
    run_python(f"""
import logging
import sentry_sdk
sentry_sdk.init(dsn={project.dsn!r})
sentry_sdk.set_tag("tenant\\x00id", "t\\x00")
sentry_sdk.add_breadcrumb(message="loaded \\x00 rows")
sentry_sdk.set_extra("ratio", float("nan"))  # (the SDK's serializer sends it as the string "nan")
sentry_sdk.capture_message("C string \\x00 terminator")
try:
    raise ValueError("half an emoji \\ud83d")
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
""")

    events = dict(stored_events(web_server, project))
    assert set(events) == {f"C string {REPLACEMENT} terminator", f"ValueError: half an emoji {REPLACEMENT}"}
    metadata = events[f"C string {REPLACEMENT} terminator"]
    assert metadata["tags"][f"tenant{REPLACEMENT}id"] == f"t{REPLACEMENT}"
    assert metadata["breadcrumbs"][-1]["message"] == f"loaded {REPLACEMENT} rows"
    assert metadata["extra"]["ratio"] == "nan"
    assert metadata["_repaired"]["unstorable_characters"] >= 4


def test_the_error_webhook_stores_what_postgresql_cannot_and_marks_only_the_document_that_had_it(
        web_server, project):
    [(secret,)] = web_server.query("SELECT app.webhook_secret_rotate(%s)", [project.id])
    body = ('[{"source": "custom", "error": {"message": "clean one"}},'
            ' {"source": "custom", "error": {"message": "nul \\u0000 here", "metadata": {"score": NaN}}}]')
    response = httpx.post(f"{web_server.base_url}/functions/v1/error-webhook", content=body.encode(),
                          headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    events = dict(stored_events(web_server, project))
    assert "_repaired" not in events["clean one"]
    assert events[f"nul {REPLACEMENT} here"]["_repaired"] == {"unstorable_characters": 1, "non_finite_numbers": 1}
    assert events[f"nul {REPLACEMENT} here"]["score"] == "NaN"
    assert repairs(web_server, project) == {("error_webhook", "unstorable_characters"): (1, 1),
                                            ("error_webhook", "non_finite_numbers"): (1, 1)}
