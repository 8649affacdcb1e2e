"""The spec's ai-error-analysis function; every decision is SQL's (db/functions/app/465_ai_runs.sql).

POST /functions/v1/ai-error-analysis  {"errorId": "<uuid>", "provider": "anthropic" | "openai" | "heuristic",
                                       "fresh": false}
    Authorization: Bearer <the JWT PostgREST takes: staff or org_owner (their organization), system_admin>
    -> 200 {"analysis": {rootCause, impact, suggestedFix, prevention, severity, relatedErrors, provider, model, …}}
       as soon as it is there: at once for the heuristic (or a cached answer), within
       app.ai_setting.request_wait_seconds (20 s) for a provider's;
    -> 202 {"status": "pending", "analysisId", "statusUrl"} (and Location) when it is not there by then.
GET  /functions/v1/ai-error-analysis/{analysisId} (same token) -> 200 as above, or 202.
Refusals in the error shape: 400 QV451 (body), QV450 (provider); 401 QA451 (token); 403 QA452 (role);
404 QN001 / QN450 for an error or analysis the caller cannot see (row-level security decides); 503.

Each statement runs as the token's role with its claims for its transaction (as PostgREST does from
authenticator), on a small pool of its own; a wait holds no connection (one LISTEN "ai:analysis"
connection wakes the waiters: workers/web/notifications.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import jwt
import psycopg
import psycopg_pool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from workers import sql, tokens
from workers.web.auth import bearer_token
from workers.web.errors import WireError, database_unavailable_json, error_json, unknown_field, unknown_field_hint
from workers.web.notifications import Notifications
from workers.web.pools import open_pool
from workers.web.routes_health import refused
from workers.web.routes_sentry import read_body

PATH = "/functions/v1/ai-error-analysis"
MAX_BODY_BYTES = 16 * 1024
POLL_SECONDS = 2.0  # the answer is re-read at least this often while notifications arrive
POLL_SECONDS_UNLISTENED = 0.5  # and this often while the LISTEN connection is down
POOL_SIZE = 2
POOL_TIMEOUT_SECONDS = 5.0
REQUEST_FIELDS = ("errorId", "provider", "fresh")
BODY_HINT = 'Send {"errorId": "<error id>", "provider": "anthropic"}.'


@dataclass(frozen=True)
class AiResources:
    """What this endpoint uses (app.state.ai): never the ingest pool."""

    pool: psycopg_pool.AsyncConnectionPool
    notifications: Notifications
    jwt_secret: str | None


@contextlib.asynccontextmanager
async def ai_resources(conninfo: str, jwt_secret: str | None) -> AsyncIterator[AiResources]:
    pool = await open_pool(conninfo, "pgwarden-web-ai", max_size=POOL_SIZE, timeout=POOL_TIMEOUT_SECONDS)
    notifications = Notifications(conninfo, sql.AI_LISTEN)
    await notifications.start()
    try:
        yield AiResources(pool, notifications, jwt_secret)
    finally:
        await notifications.stop()
        await pool.close()


def unauthorized(message: str, hint: str) -> JSONResponse:
    return error_json(401, "QA451", message, hint=hint, headers={"WWW-Authenticate": "Bearer"})


def caller(request: Request, secret: str | None) -> dict[str, Any] | JSONResponse:
    """The verified claims of the request's token (HS256 with the stack's secret, as PostgREST checks)."""
    token = bearer_token(request.headers)
    if token is None:
        return unauthorized("missing token", "Send Authorization: Bearer <token> (pgwarden token --role org_owner).")
    if secret is None:
        return unauthorized("tokens cannot be verified here", "Start pgwarden web with the stack (make up).")
    try:
        claims = tokens.verify(secret, token)
    except jwt.InvalidTokenError:
        return unauthorized("invalid or expired token", "Get a new one: pgwarden token --role org_owner --org ID.")
    if claims.get("role") not in tokens.ROLES:
        return error_json(403, "QA452", "this role may not analyse errors", f"Role: {claims.get('role')}.",
                     "Use a staff, org_owner or system_admin token.")
    return claims


def as_uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


async def read_request(request: Request) -> tuple[str, str | None, bool] | JSONResponse:
    """(error id, provider, fresh), or the 400 answer for a body that is not one."""
    try:
        body = await read_body(request, limit=MAX_BODY_BYTES)
        document = json.loads(body)
    except WireError as exc:
        return error_json(exc.status, "QV451", "request body not accepted", exc.detail, BODY_HINT)
    except (ValueError, RecursionError):  # (bad JSON or UTF-8; a hostile nesting depth)
        return error_json(400, "QV451", "body is not JSON", hint=BODY_HINT)
    if not isinstance(document, dict):
        return error_json(400, "QV451", "body is not a JSON object", hint=BODY_HINT)
    if (name := unknown_field(document, REQUEST_FIELDS)) is not None:
        return error_json(400, "QV451", f"unknown field {name}", f"Field: {name}.", unknown_field_hint(REQUEST_FIELDS))
    error_id = as_uuid(document.get("errorId"))
    provider = document.get("provider")
    fresh = document.get("fresh", False)
    if error_id is None:
        return error_json(400, "QV451", "errorId must be an error's id", "Field: errorId.", BODY_HINT)
    # (a NUL or a lone surrogate names no provider, and PostgreSQL text cannot hold it; SQL checks the name)
    if provider is not None and not (isinstance(provider, str) and provider.isprintable() and len(provider) <= 50):
        return error_json(400, "QV451", "provider must be a provider's name", "Field: provider.",
                     "Use anthropic, openai or heuristic, or leave it out for the default.")
    if not isinstance(fresh, bool):
        return error_json(400, "QV451", "fresh must be true or false", "Field: fresh.", BODY_HINT)
    return error_id, provider, fresh


async def as_caller(ai: AiResources, claims: dict[str, Any], query: str, params: list[Any]) -> Any:
    """One statement as the token's role, with its claims, in a transaction of its own."""
    async with ai.pool.connection() as conn, conn.transaction():
        await conn.execute(sql.AI_ACT_AS, [json.dumps(claims), claims["role"]])
        return (await (await conn.execute(query, params)).fetchone())[0]


async def until_done(ai: AiResources, claims: dict[str, Any], answer: dict[str, Any],
                     woken: asyncio.Event) -> dict[str, Any]:
    if answer["done"]:
        return answer
    loop = asyncio.get_running_loop()
    deadline = loop.time() + float(await as_caller(ai, claims, sql.AI_REQUEST_WAIT_SECONDS, []))
    while not answer["done"] and (remaining := deadline - loop.time()) > 0:
        woken.clear()
        poll = POLL_SECONDS if ai.notifications.listening else POLL_SECONDS_UNLISTENED
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), min(poll, remaining))
        answer = await as_caller(ai, claims, sql.AI_RUN_ANSWER, [answer["id"]])
    return answer


def answered(answer: dict[str, Any]) -> JSONResponse:
    if answer["done"]:
        return JSONResponse({"analysis": answer["analysis"]})
    status_url = f"{PATH}/{answer['id']}"
    return JSONResponse({"status": "pending", "analysisId": answer["id"], "statusUrl": status_url}, 202,
                        {"Location": status_url})


async def answer_or_refusal(ai: AiResources, work) -> JSONResponse:
    try:
        return answered(await work)
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json()
    except psycopg.Error as exc:
        return await refused(ai.pool, exc)


async def ai_error_analysis(request: Request) -> JSONResponse:
    ai: AiResources = request.app.state.ai
    claims = caller(request, ai.jwt_secret)
    if isinstance(claims, JSONResponse):
        return claims
    parsed = await read_request(request)
    if isinstance(parsed, JSONResponse):
        return parsed

    async def work() -> dict[str, Any]:
        with ai.notifications.subscription() as woken:  # from before the job exists: no answer slips by
            answer = await as_caller(ai, claims, sql.AI_REQUEST, list(parsed))
            return await until_done(ai, claims, answer, woken)

    return await answer_or_refusal(ai, work())


async def ai_error_analysis_status(request: Request) -> JSONResponse:
    ai: AiResources = request.app.state.ai
    claims = caller(request, ai.jwt_secret)
    if isinstance(claims, JSONResponse):
        return claims
    analysis_id = as_uuid(request.path_params["analysis_id"])
    if analysis_id is None:
        return error_json(404, "QN450", "no such analysis", "Field: analysisId.",
                     "Use the statusUrl a request answered with.")
    return await answer_or_refusal(ai, as_caller(ai, claims, sql.AI_RUN_ANSWER, [analysis_id]))


ROUTES = [
    Route(PATH, ai_error_analysis, methods=["POST"]),
    Route(PATH + "/{analysis_id}", ai_error_analysis_status, methods=["GET"]),
]
