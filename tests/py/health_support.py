"""Helpers for the health tests: logins by role, a Starlette app from routes_health.ROUTES with a
real pool, and a thread that stands in for `pgwarden worker` by running the real handler."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

import psycopg
from psycopg.types.json import Jsonb
from starlette.applications import Starlette
from starlette.testclient import TestClient

from workers.handlers.health import probe_monitor
from workers.web.routes_health import ROUTES, health_resources


def login_as(database_url: str, role: str) -> str:
    """The test database's socket URL, logged in as another role (trust on the private socket)."""
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    return f"postgresql://{role}@/{parts.path.lstrip('/')}?host={query['host'][0]}&port={query['port'][0]}"


def client_for(conninfo: str, pool_timeout: float = 10) -> TestClient:
    """A test client for an app mounting the health routes, with the resources pgwarden web gives them."""

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with health_resources(conninfo, pool_timeout=pool_timeout) as app.state.health:
            yield

    return TestClient(Starlette(routes=ROUTES, lifespan=lifespan))


CLAIM = "SELECT id, payload FROM app.job_claim('fake-worker', ARRAY['health.probe'], 10, 60)"
COMPLETE = "SELECT app.job_complete(%s, 'fake-worker', %s)"


class FakeWorker(threading.Thread):
    """Claims health.probe jobs as pgwarden_worker, runs the real handler, completes the jobs."""

    def __init__(self, database_url: str):
        super().__init__(daemon=True)
        self.conninfo = login_as(database_url, "pgwarden_worker")
        self.stopping = threading.Event()
        self.completed = 0

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self.stopping.is_set():
                jobs = conn.execute(CLAIM).fetchall()
                for job_id, payload in jobs:
                    conn.execute(COMPLETE, [job_id, Jsonb(probe_monitor(payload))])
                    self.completed += 1
                self.stopping.wait(0.05 if not jobs else 0)
