"""Helpers for the AI tests: tenants and groups captured as ingest captures them, providers configured
as the stack configures them, analyses asked for as the API asks (app.ai_request), and the real runner
with the real ai.analyze handler.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from tests.py.jobs_support import InProcessWorker, wait_until
from workers import sql

FAST = {"poll_seconds": 0.05, "concurrency": 2}


@dataclass(frozen=True)
class Tenant:
    organization_id: str
    project_id: int
    public_key: str


def new_tenant(db: psycopg.Connection, name: str = "shop") -> Tenant:
    """An organization with one project and no rate limit."""
    (organization_id,) = db.execute("INSERT INTO app.organizations (name) VALUES (%s) RETURNING id",
                                    [f"{name} {uuid.uuid4().hex[:6]}"]).fetchone()
    project_id, key = db.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, %s)"
                                 " RETURNING id, public_key", [organization_id, name]).fetchone()
    db.execute(sql.ORG_RATE_LIMIT_SET, [organization_id, 0])
    return Tenant(str(organization_id), project_id, key)


def capture(db: psycopg.Connection, tenant: Tenant, *events: dict[str, Any]) -> list[str]:
    """Capture events as ingest does (app.capture_batch); the ids of their groups, in order."""
    rows = db.execute(sql.CAPTURE_BATCH,
                      [tenant.organization_id, tenant.project_id, json.dumps(list(events))]).fetchall()
    assert all(error is None for _, _, error in rows), rows
    return [result["id"] for _, result, _ in rows]


def javascript_error(name: str = "total", function: str = "renderCart", **fields: Any) -> dict[str, Any]:
    return {"error_type": "javascript", "severity": "error",
            "message": f"TypeError: Cannot read properties of undefined (reading '{name}')",
            "stack_trace": f"TypeError: Cannot read properties of undefined (reading '{name}')\n"
                           f"    at {function} (https://shop.test/static/cart.js:10:5)\n"
                           f"    at main (https://shop.test/static/main.js:1:1)",
            "url": "https://shop.test/cart", **fields}


def automatic_analysis(db: psycopg.Connection, enabled: bool) -> None:
    """Whether new and regressed groups are analysed by themselves (app.capture_job_policy)."""
    db.execute("UPDATE app.capture_job_policy SET enabled = %s WHERE job_kind = 'ai.analyze'", [enabled])


def use_provider(db: psycopg.Connection, provider: str, **settings: Any) -> None:
    """Configured (the workers have a key), with these app.ai_provider settings (timeouts, attempts, budget)."""
    assignments = "".join(f", {column} = %({column})s" for column in settings)
    db.execute(f"UPDATE app.ai_provider SET configured = true{assignments} WHERE provider = %(provider)s",
               {"provider": provider, **settings})


def fast_retries(db: psycopg.Connection) -> None:
    """SQL's own backoff shrunk, so a retry without Retry-After comes within a fraction of a second."""
    db.execute("UPDATE app.job_setting SET backoff_base_seconds = 0.05, backoff_cap_seconds = 0.2")


def request(db: psycopg.Connection, error_id: str, provider: str | None = None, fresh: bool = False) -> dict[str, Any]:
    return db.execute(sql.AI_REQUEST, [error_id, provider, fresh]).fetchone()[0]


def answer(db: psycopg.Connection, run_id: str) -> dict[str, Any]:
    return db.execute(sql.AI_RUN_ANSWER, [run_id]).fetchone()[0]


def finished(db: psycopg.Connection, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The run's answer once it is done (answered, or failed with its fallback)."""
    return wait_until(lambda: (found := answer(db, run_id))["done"] and found, timeout=timeout,
                      what=f"analysis {run_id}")


def run(db: psycopg.Connection, run_id: str) -> dict[str, Any]:
    row = db.execute("SELECT to_jsonb(r) FROM app.ai_analysis_run r WHERE r.id = %s", [run_id]).fetchone()
    return row[0]


def job(db: psycopg.Connection, job_id: int) -> dict[str, Any]:
    return db.execute("SELECT to_jsonb(j) FROM app.job_all j WHERE j.id = %s", [job_id]).fetchone()[0]


def group(db: psycopg.Connection, error_id: str) -> dict[str, Any]:
    return db.execute("SELECT to_jsonb(s) FROM app.system_errors s WHERE s.id = %s", [error_id]).fetchone()[0]


def worker(database_url: str) -> InProcessWorker:
    """The real runner with the real ai.analyze handler, in this process (so its environment is ours)."""
    return InProcessWorker(database_url, ("ai.analyze",), **FAST)
