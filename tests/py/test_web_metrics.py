"""GET /metrics on a real `pgwarden web`: Prometheus's text format, read back with prometheus-client's
own parser, moving with real captures and refusals; who may scrape it."""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.py.web_server import WebServer, serving

pytest_plugins = ["web_server"]

TOKEN = "scrape-" + "7" * 32


def scrape(base_url: str, **headers: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of one scrape, by (sample name, labels)."""
    response = httpx.get(base_url + "/metrics", headers=headers, timeout=30.0)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")  # the text format
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return sum(v for (sample, sample_labels), v in samples.items()
               if sample == name and set(labels.items()) <= sample_labels)


def store(web: WebServer, project, event: dict) -> httpx.Response:
    return httpx.post(f"{web.base_url}/api/{project.id}/store/?sentry_key={project.public_key}",
                      content=json.dumps(event), headers={"Content-Type": "application/json"}, timeout=30.0)


def test_a_scrape_counts_the_events_accepted_and_refused_per_organization(web_server):
    project = web_server.new_project()
    org = project.organization_id
    web_server.query("SELECT app.rate_limit_set(%s, 3)", [org])
    before = scrape(web_server.base_url)

    answers = [store(web_server, project, {"message": f"checkout failed {n}", "level": "error"}).status_code
               for n in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    oversized_event = json.dumps({"message": "x" * (1024 * 1024 + 10)}).encode()
    envelope = b'{}\n{"type":"event"}\n' + oversized_event + b"\n"
    response = httpx.post(f"{web_server.base_url}/api/{project.id}/envelope/?sentry_key={project.public_key}",
                          content=envelope, timeout=30.0)
    assert response.status_code == 413 and response.json()["code"] == "QV691"
    after = scrape(web_server.base_url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("pgwarden_events_accepted_total", organization_id=org) == 3
    assert delta("pgwarden_events_refused_total", organization_id=org, reason="rate_limit") == 2
    assert delta("pgwarden_ingest_requests_refused_total", organization_id=org, reason="too_large") == 1
    assert value(after, "pgwarden_error_groups", organization_id=org, status="new") == 1  # numbers grouped alike
    assert ("pgwarden_organization_info", frozenset({("organization_id", org), ("name", _org_name(web_server, org))})) \
        in after
    assert value(after, "pgwarden_database_size_bytes") > 0


def test_the_job_queue_and_its_latency_appear_per_kind(web_server):
    web_server.query("SELECT app.job_enqueue('builtin.echo', '{}') FROM generate_series(1, 4)")
    samples = scrape(web_server.base_url)
    assert value(samples, "pgwarden_jobs", kind="builtin.echo", state="ready") >= 4
    assert value(samples, "pgwarden_job_oldest_ready_seconds", kind="builtin.echo") >= 0
    # the web process runs no worker: the jobs wait, and no latency is observed for them yet
    assert value(samples, "pgwarden_job_wait_seconds_count", kind="builtin.echo") == 0


def test_without_a_token_only_this_machine_may_scrape(web_server):
    relayed = httpx.get(web_server.base_url + "/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10.0)
    assert relayed.status_code == 403
    assert relayed.json()["code"] == "QA810"


@pytest.fixture(scope="module")
def web_with_token(web_database):
    with serving(web_database, extra_env={"PGWARDEN_METRICS_TOKEN": TOKEN}) as server:
        yield server


def test_with_a_token_every_scrape_must_bring_it(web_with_token):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        refused = httpx.get(web_with_token.base_url + "/metrics", headers=headers, timeout=10.0)
        assert refused.status_code == 401, headers
        assert refused.json()["code"] == "QA811"
        assert refused.headers["www-authenticate"].startswith("Bearer")
    samples = scrape(web_with_token.base_url, Authorization=f"Bearer {TOKEN}", **{"X-Forwarded-For": "203.0.113.9"})
    assert value(samples, "pgwarden_database_size_bytes") > 0


def _org_name(web: WebServer, org: str) -> str:
    return web.query("SELECT name FROM app.organizations WHERE id = %s", [org])[0][0]
