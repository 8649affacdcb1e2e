"""The spec's system-health-check function and the push endpoint for heartbeats.

POST /functions/v1/system-health-check  {"checks": ["api", "database", "stripe", "webhooks"]}
    -> {"results": [{"service", "status", "responseTime"}], "overallStatus"}
    Runs those probes now through the job queue (ahead of scheduled ones) and waits, at most
    wait_seconds (SQL says how long), for the worker's results; what has not answered by then
    is reported as unknown. Without "checks": every enabled platform-wide monitor.
POST /functions/v1/heartbeat/<token>
    -> {"service", "receivedAt", "status"}; 404 for an unknown token.

Only wire work happens here: validating JSON, one SQL call per step, waiting on NOTIFY.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import psycopg
import psycopg_pool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from workers import sql
from workers.db import unwrap

MAX_BODY_BYTES = 64 * 1024
POLL_SECONDS = 0.5  # results are re-read at least this often, NOTIFY or not


def error(status: int, code: str, message: str, detail: str | None = None, hint: str | None = None,
          headers: dict[str, str] | None = None) -> JSONResponse:
    """The error shape PostgREST answers with: {code, message, details, hint}."""
    return JSONResponse({"code": code, "message": message, "details": detail, "hint": hint}, status, headers)


def database_unavailable() -> JSONResponse:
    return error(503, "PGW503", "database unavailable", hint="Try again shortly.", headers={"Retry-After": "5"})


async def read_checks(request: Request) -> list[str] | None | JSONResponse:
    """The requested service names (None: all), or the 400 answer for a malformed body."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return error(413, "QV501", "request body too large", f"At most {MAX_BODY_BYTES} bytes.")
    if not body.strip():
        return None
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error(400, "QV501", "body is not JSON", hint='Send {"checks": ["api", "database"]}.')
    if not isinstance(document, dict):
        return error(400, "QV501", "body is not a JSON object", hint='Send {"checks": ["api", "database"]}.')
    checks = document.get("checks")
    if checks is None:
        return None
    if not isinstance(checks, list) or not all(isinstance(name, str) for name in checks):
        # (how many names, and how long, app.health_run_now decides)
        return error(400, "QV501", "checks must be a list of service names", hint='E.g. ["api", "database"].')
    return checks


async def refused(pool: psycopg_pool.AsyncConnectionPool, exc: psycopg.Error) -> JSONResponse:
    """A pgwarden error SQL raised, answered with the HTTP status its code is registered with."""
    failure = unwrap(exc)
    if not failure.code.startswith("Q"):
        raise exc
    async with pool.connection() as conn, conn.transaction():
        status = (await (await conn.execute(sql.ERROR_HTTP_STATUS, [failure.code])).fetchone())[0]
    return error(status, failure.code, failure.message, failure.detail, failure.hint)


async def run_and_wait(pool: psycopg_pool.AsyncConnectionPool, checks: list[str] | None) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    async with pool.connection() as conn:
        # LISTEN before the jobs exist, so no result can slip by unnoticed
        async with conn.transaction():
            await conn.execute(sql.HEALTH_LISTEN)
        try:
            async with conn.transaction():
                run = (await (await conn.execute(sql.HEALTH_RUN_NOW, [checks, True])).fetchone())[0]
            deadline = loop.time() + float(run["wait_seconds"])
            while True:
                async with conn.transaction():
                    cursor = await conn.execute(sql.HEALTH_RUN_RESULTS, [run["run_id"], run["services"], run["since"]])
                    answer = (await cursor.fetchone())[0]
                remaining = deadline - loop.time()
                if answer.pop("complete") or remaining <= 0:
                    return answer
                async for _ in conn.notifies(timeout=min(POLL_SECONDS, remaining), stop_after=1):
                    pass
        finally:
            async with conn.transaction():
                await conn.execute(sql.HEALTH_UNLISTEN)


async def system_health_check(request: Request) -> JSONResponse:
    checks = await read_checks(request)
    if isinstance(checks, JSONResponse):
        return checks
    try:
        return JSONResponse(await run_and_wait(request.app.state.db, checks))
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable()
    except psycopg.Error as exc:
        return await refused(request.app.state.db, exc)


async def heartbeat(request: Request) -> JSONResponse:
    token = request.path_params["token"]
    try:
        async with request.app.state.db.connection() as conn, conn.transaction():
            answer = (await (await conn.execute(sql.HEALTH_HEARTBEAT, [token])).fetchone())[0]
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable()
    except psycopg.Error as exc:
        return await refused(request.app.state.db, exc)
    return JSONResponse(answer)


ROUTES = [
    Route("/functions/v1/system-health-check", system_health_check, methods=["POST"]),
    Route("/functions/v1/heartbeat/{token}", heartbeat, methods=["POST"]),
]
