"""A real Prometheus (Debian's, unpacked by scripts/install-prometheus.sh) scrapes a real
`pgwarden web` with nothing but a scrape config, as docs/grafana.md tells operators to, and answers
PromQL over what pgwarden counted."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import free_port, scratch_dir, stop_process
from tests.py.web_server import WebServer
from workers.settings import REPO_ROOT

pytest_plugins = ["web_server"]

PROMETHEUS = REPO_ROOT / ".tools" / "prometheus"
GRAFANA_DOC = REPO_ROOT / "docs" / "grafana.md"


def documented(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GRAFANA_DOC.read_text(), flags=re.DOTALL)


def documented_scrape_config(target_port: int) -> str:
    """docs/grafana.md's scrape config, pointed at the test's server and scraping every second."""
    (config,) = [block for block in documented("yaml") if "scrape_configs:" in block]
    assert "127.0.0.1:8000" in config and "scrape_interval: 30s" in config
    return (config.replace("127.0.0.1:8000", f"127.0.0.1:{target_port}")
                  .replace("scrape_interval: 30s", "scrape_interval: 1s\n    scrape_timeout: 1s"))


class Prometheus:
    def __init__(self, target_port: int) -> None:
        subprocess.run([str(REPO_ROOT / "scripts" / "install-prometheus.sh")], check=True, timeout=600)
        self.dir = scratch_dir("pgwarden-prometheus-")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = self.dir / "prometheus.yml"
        config.write_text(documented_scrape_config(target_port))
        self.log = open(self.dir / "prometheus.log", "wb")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [str(PROMETHEUS), f"--config.file={config}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"], stdout=self.log, stderr=subprocess.STDOUT)

    def query(self, promql: str) -> list[dict]:
        answer = httpx.get(f"{self.base_url}/api/v1/query", params={"query": promql}, timeout=10.0).json()
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def until(self, promql: str, wanted, timeout: float = 60.0) -> list[dict]:
        """The query's result once `wanted(result)` holds (Prometheus scrapes every second)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = self.query(promql)
                if wanted(result):
                    return result
            except (httpx.HTTPError, ValueError):
                result = None  # still starting: no answer yet, or its plain-text 503 while the TSDB opens
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "prometheus.log").read_text(errors="replace")
                raise AssertionError(f"{promql}: {result}\n{log}")
            time.sleep(0.5)

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def prometheus(web_server: WebServer) -> Iterator[Prometheus]:
    server = Prometheus(web_server.port)
    try:
        yield server
    finally:
        server.stop()


def store(web: WebServer, project, message: str) -> int:
    return httpx.post(f"{web.base_url}/api/{project.id}/store/?sentry_key={project.public_key}",
                      content=json.dumps({"message": message, "level": "error"}),
                      headers={"Content-Type": "application/json"}, timeout=30.0).status_code


def test_prometheus_scrapes_pgwarden_with_only_a_scrape_config(web_server, prometheus):
    up = prometheus.until('up{job="pgwarden"}', lambda result: result and result[0]["value"][1] == "1")
    assert up[0]["metric"]["instance"] == f"127.0.0.1:{web_server.port}"
    size = prometheus.until("pgwarden_database_size_bytes", lambda result: bool(result))
    assert float(size[0]["value"][1]) > 0


def test_prometheus_sees_an_organizations_accepted_and_refused_events(web_server, prometheus):
    project = web_server.new_project()
    org = project.organization_id
    web_server.query("SELECT app.rate_limit_set(%s, 3)", [org])
    answers = [store(web_server, project, f"payment declined {n}") for n in range(5)]
    assert answers == [200, 200, 200, 429, 429]

    accepted = prometheus.until(f'pgwarden_events_accepted_total{{organization_id="{org}"}}',
                                lambda result: result and result[0]["value"][1] == "3")
    assert accepted[0]["metric"]["job"] == "pgwarden"
    refused = prometheus.until(f'sum(pgwarden_events_refused_total{{organization_id="{org}",reason="rate_limit"}})',
                               lambda result: result and result[0]["value"][1] == "2")
    assert refused
    # a label join, as a Grafana panel on Prometheus would write it: the organization's name
    named = prometheus.until(
        f'pgwarden_events_accepted_total{{organization_id="{org}"}}'
        ' * on (organization_id) group_left (name) pgwarden_organization_info',
        lambda result: bool(result))
    assert named[0]["metric"]["name"].startswith("org ")


def test_every_documented_promql_query_evaluates(web_server, prometheus):
    prometheus.until("pgwarden_jobs_finished_total or pgwarden_database_size_bytes", lambda result: bool(result))
    queries = [line.split("  #")[0].strip() for block in documented("promql") for line in block.splitlines()]
    assert len([q for q in queries if q]) >= 7
    for query in filter(None, queries):
        prometheus.query(query)  # asserts Prometheus answered "success"
