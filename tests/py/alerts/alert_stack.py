"""The alerting stack end to end, as a user runs it: a real PostgREST over a fresh database, rules
written with the real `pgwarden alerts` command line, errors captured through /rpc/capture_error
and /rpc/capture_errors, real `pgwarden worker` processes, and pg_cron's minute tick called as
pg_cron calls it (SELECT app.alert_tick() as the database owner).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.conftest import postgrest_over_clone, scratch_dir
from tests.py.jobs_support import WorkerProcess, wait_until
from workers import sql
from workers.settings import REPO_ROOT

PGWARDEN = str(REPO_ROOT / ".venv" / "bin" / "pgwarden")
WORKER_KINDS = "alerts.deliver,alerts.notify,health.probe"
# what is still to do for alerting: a delivery or a notice timer waiting for a worker
PENDING = "SELECT count(*) FROM app.job WHERE kind LIKE 'alerts.%'"


class AlertStack:
    """One organization with one project on a database of its own, with its own PostgREST."""

    def __init__(self, base_url: str, jwt_secret: str, database_url: str, scratch: str):
        self.base_url, self.jwt_secret, self.database_url = base_url, jwt_secret, database_url
        self.db = psycopg.connect(database_url, autocommit=True)
        self.organization_id, self.project_key = str(uuid.uuid4()), uuid.uuid4().hex
        self.db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'Acme')", [self.organization_id])
        self.project_id = self.db.execute(
            "INSERT INTO app.projects (organization_id, name, public_key) VALUES (%s, 'shop', %s) RETURNING id",
            [self.organization_id, self.project_key]).fetchone()[0]
        self.db.execute("SELECT app.rate_limit_set(%s, 0)", [self.organization_id])  # storms are the point
        # only the monitors a test adds are probed (the stack's own would probe ports nobody serves)
        self.db.execute("UPDATE app.health_monitors SET enabled = false")
        self.env = {**os.environ, "PGWARDEN_DATABASE_URL": database_url, "PGWARDEN_DATA_DIR": scratch}
        self.workers: list[WorkerProcess] = []

    # -- the command line

    def pgwarden(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PGWARDEN, *args], env=self.env, capture_output=True, text=True, timeout=60)

    def add_rule(self, *options: str) -> tuple[str, list[str]]:
        """`pgwarden alerts add ... --org <ours>`: the rule id and the rest of what it printed."""
        added = self.pgwarden("alerts", "add", "--org", self.organization_id, *options)
        assert added.returncode == 0, added.stderr
        rule_id, *rest = added.stdout.splitlines()
        return rule_id, rest

    # -- capturing through PostgREST, as an application does

    def capture(self, **event: Any) -> dict:
        response = httpx.post(self.base_url + "/rpc/capture_error", headers={"X-Pgwarden-Key": self.project_key},
                              json=event, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def capture_many(self, events: list[dict], batch: int = 1000) -> None:
        for start in range(0, len(events), batch):
            response = httpx.post(self.base_url + "/rpc/capture_errors", headers={"X-Pgwarden-Key": self.project_key},
                                  json={"events": events[start:start + batch]}, timeout=60)
            assert response.status_code == 200, response.text
            refused = [item["error"] for item in response.json() if item.get("error")]
            assert not refused, refused[:3]

    # -- what pg_cron runs

    def tick(self) -> dict:
        return self.db.execute("SELECT app.alert_tick()").fetchone()[0]

    # -- health monitors

    def add_monitor(self, service: str, url: str, **spec: Any) -> int:
        return self.db.execute(sql.HEALTH_MONITOR_ADD, [Jsonb({
            "service_name": service, "check_type": "external", "target": {"url": url}, "interval_seconds": 1,
            "timeout_seconds": 0.5, "failure_threshold": 2, "success_threshold": 2,
            "organization_id": self.organization_id, **spec})]).fetchone()[0]

    def monitor_state(self, monitor_id: int) -> str:
        return self.db.execute("SELECT status::text FROM app.health_monitor_state WHERE monitor_id = %s",
                               [monitor_id]).fetchone()[0]

    # -- workers

    def start_worker(self, *options: str, env: dict[str, str] | None = None) -> WorkerProcess:
        worker = WorkerProcess(self.database_url, "--kinds", WORKER_KINDS, *options, env=env)
        self.workers.append(worker)
        return worker

    def settled(self, timeout: float = 60) -> None:
        """Wait until no alerting job is left to run (every delivery finished, every timer fired)."""
        wait_until(lambda: self.db.execute(PENDING).fetchone()[0] == 0, timeout, "alerting jobs to finish")

    # -- what happened

    def incidents(self) -> list[tuple]:
        return self.db.execute("SELECT id, status::text, notifications_sent FROM app.alert_incidents"
                               " WHERE NOT is_test ORDER BY started_at").fetchall()

    def notifications(self) -> list[tuple[str, dict]]:
        return self.db.execute("SELECT kind::text, content FROM app.alert_notifications ORDER BY created_at").fetchall()

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.db.close()


@pytest.fixture
def stack(pg_cluster, template_database) -> Iterator[AlertStack]:
    """An AlertStack on a fresh clone (load with `pytest_plugins = ["alert_stack"]`); its workers are
    killed, the clone dropped and its scratch folder removed afterwards."""
    scratch = scratch_dir("pgwarden-alerts-e2e-")
    with postgrest_over_clone(pg_cluster, template_database) as (base_url, secret, database_url):
        stack = AlertStack(base_url, secret, database_url, str(scratch))
        try:
            yield stack
        finally:
            stack.close()
            shutil.rmtree(scratch, ignore_errors=True)  # (its workers' secrets file among them)
