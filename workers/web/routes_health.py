"""The spec's system-health-check function and the push endpoint for heartbeats.

POST /functions/v1/system-health-check  {"checks": ["api", "database", "stripe", "webhooks"]}
    -> {"results": [{"service", "status", "responseTime"}], "overallStatus"}
    Runs those probes now through the job queue (ahead of scheduled ones) and waits, at most
    wait_seconds (SQL says how long), for the worker's results; what has not answered by then
    is reported as unknown. Without "checks": every enabled platform-wide monitor. Over the
    per-minute cap SQL keeps (run_now_per_minute): 429 with Retry-After.
POST /functions/v1/heartbeat/<token>  (also GET and HEAD: Uptime Kuma's push URLs and `curl URL` in a cron line)
    -> {"service", "receivedAt", "status"}; 404 for an unknown token.

Only wire work happens here: validating JSON, one SQL call per step, waiting on NOTIFY. These
endpoints need no login and a check can wait half a minute, so they never touch the ingest pool:
their short queries run on a small pool of their own, and a wait holds no connection at all (the
process's one LISTEN connection wakes the waiters: workers/web/notifications.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg_pool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from workers import sql
from workers.db import unwrap
from workers.web.errors import (
    WireError,
    database_unavailable_json,
    error_json,
    problem_json,
    registered_status,
    unknown_field,
    unknown_field_hint,
)
from workers.web.notifications import Notifications
from workers.web.pools import open_pool
from workers.web.routes_sentry import read_body

MAX_BODY_BYTES = 64 * 1024
CHECK_FIELDS = ("checks",)
POLL_SECONDS = 2.0  # results are re-read at least this often while notifications arrive
POLL_SECONDS_UNLISTENED = 0.5  # and this often while the LISTEN connection is down
POOL_SIZE = 2
POOL_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class HealthResources:
    """What the health endpoints use instead of the ingest pool (app.state.health)."""

    pool: psycopg_pool.AsyncConnectionPool
    notifications: Notifications


@contextlib.asynccontextmanager
async def health_resources(conninfo: str, *,
                           pool_timeout: float = POOL_TIMEOUT_SECONDS) -> AsyncIterator[HealthResources]:
    pool = await open_pool(conninfo, "pgwarden-web-health", max_size=POOL_SIZE, timeout=pool_timeout)
    notifications = Notifications(conninfo, sql.HEALTH_LISTEN)
    await notifications.start()
    try:
        yield HealthResources(pool, notifications)
    finally:
        await notifications.stop()
        await pool.close()


async def read_checks(request: Request) -> list[str] | None | JSONResponse:
    """The requested service names (None: all), or the 400 answer for a malformed body."""
    try:
        body = await read_body(request, limit=MAX_BODY_BYTES)
    except WireError as exc:
        return error_json(exc.status, "QV501", "request body not accepted", exc.detail)
    if not body.strip():
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # (bad JSON or UTF-8; a hostile nesting depth)
        return error_json(400, "QV501", "body is not JSON", hint='Send {"checks": ["api", "database"]}.')
    if not isinstance(document, dict):
        return error_json(400, "QV501", "body is not a JSON object", hint='Send {"checks": ["api", "database"]}.')
    if (name := unknown_field(document, CHECK_FIELDS)) is not None:
        return error_json(400, "QV501", f"unknown field {name}", f"Field: {name}.", unknown_field_hint(CHECK_FIELDS))
    checks = document.get("checks")
    if checks is None:
        return None
    # (a name with a NUL or a lone surrogate is no service's, and PostgreSQL text cannot hold it)
    if not isinstance(checks, list) or not all(isinstance(name, str) and name.isprintable() for name in checks):
        # (how many names, and how long, app.health_run_now decides)
        return error_json(400, "QV501", "checks must be a list of service names", hint='E.g. ["api", "database"].')
    return checks


async def refused(pool: psycopg_pool.AsyncConnectionPool, exc: psycopg.Error) -> JSONResponse:
    """A pgwarden error SQL raised, answered with the HTTP status its code is registered with."""
    failure = unwrap(exc)
    if not failure.code.startswith("Q"):
        raise exc
    status = await registered_status(pool, failure.code)
    return error_json(status, failure.code, failure.message, failure.detail, failure.hint)


async def run_and_wait(health: HealthResources, checks: list[str] | None) -> dict[str, Any]:
    """The run's answer, or {"error": ...} when SQL refused it (over the per-minute cap)."""
    loop = asyncio.get_running_loop()
    with health.notifications.subscription() as woken:  # from before the jobs exist: no result slips by
        async with health.pool.connection() as conn:
            run = (await (await conn.execute(sql.HEALTH_RUN_NOW, [checks, True])).fetchone())[0]
        if "error" in run:
            return run
        deadline = loop.time() + float(run["wait_seconds"])
        while True:
            woken.clear()
            async with health.pool.connection() as conn:
                cursor = await conn.execute(sql.HEALTH_RUN_RESULTS, [run["run_id"], run["services"], run["since"]])
                answer = (await cursor.fetchone())[0]
            remaining = deadline - loop.time()
            if answer.pop("complete") or remaining <= 0:
                return answer
            poll = POLL_SECONDS if health.notifications.listening else POLL_SECONDS_UNLISTENED
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), min(poll, remaining))


async def system_health_check(request: Request) -> JSONResponse:
    checks = await read_checks(request)
    if isinstance(checks, JSONResponse):
        return checks
    health: HealthResources = request.app.state.health
    try:
        answer = await run_and_wait(health, checks)
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json()
    except psycopg.Error as exc:
        return await refused(health.pool, exc)
    return problem_json(answer["error"]) if "error" in answer else JSONResponse(answer)


async def heartbeat(request: Request) -> JSONResponse:
    token = request.path_params["token"]
    pool = request.app.state.health.pool
    try:
        async with pool.connection() as conn:
            answer = (await (await conn.execute(sql.HEALTH_HEARTBEAT, [token])).fetchone())[0]
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json()
    except psycopg.Error as exc:
        return await refused(pool, exc)
    return JSONResponse(answer)


ROUTES = [
    Route("/functions/v1/system-health-check", system_health_check, methods=["POST"]),
    Route("/functions/v1/heartbeat/{token}", heartbeat, methods=["GET", "HEAD", "POST"]),
]
