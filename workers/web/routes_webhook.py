"""POST /functions/v1/error-webhook (the spec): errors from Vercel log drains, Cloudflare Workers
tail / Logpush and custom senders. Python reads the body (JSON, a JSON array or NDJSON, any
Content-Encoding) and the credentials; app.ingest_error_webhook authenticates and maps.

Bounded before the database sees it: at most MAX_DOCUMENTS documents (413 beyond), every string
cut to json_bounds.MAX_STRING_CHARS and every array to MAX_DOCUMENTS elements; the raw body goes
to the database only when a Vercel signature must be checked over it."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import psycopg_pool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workers import sql
from workers.web import jsonwire
from workers.web.auth import bearer_token
from workers.web.decoding import decode_body
from workers.web.errors import (
    BadPayload,
    PayloadTooLarge,
    Unauthorized,
    WireError,
    database_unavailable_json,
    problem_json,
    retry_after_seconds,
    wire_error_json,
)
from workers.web.json_bounds import bound_json
from workers.web.routes_sentry import MAX_BODY, read_body

CONNECTION_TIMEOUT_SECONDS = 5.0
# Documents per body: what app.capture_batch takes in one call. A body of 120,000 small documents
# used to run past the web role's statement_timeout.
MAX_DOCUMENTS = 1000


async def error_webhook(request: Request) -> Response:
    try:
        raw_body = await read_body(request)  # a Vercel signature covers the bytes as sent
        documents = bounded(parse_documents(decode_body(raw_body, request.headers.get("content-encoding"), MAX_BODY)))
        secret, project_id, signature = credentials(request)
    except WireError as exc:
        return wire_error_json(exc)
    # always a list of documents, so SQL can tell which document was repaired
    text, non_finite = jsonwire.dumps_counting(documents if isinstance(documents, list) else [documents])
    try:
        async with request.app.state.db.connection(timeout=CONNECTION_TIMEOUT_SECONDS) as conn:
            cursor = await conn.execute(sql.WEB_ERROR_WEBHOOK,
                                        [secret, project_id, signature, raw_body if secret is None else None,
                                         text, non_finite])
            (outcome,) = await cursor.fetchone()
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json()
    return outcome_response(outcome)


def outcome_response(outcome: dict[str, Any]) -> Response:
    error = outcome.get("error")
    if error:
        return problem_json(error)
    if outcome.get("rate_limited"):
        # the accepted ones are stored; a retry of the same drain batch is deduplicated by event id
        retry_after = retry_after_seconds(outcome.get("retry_after"))
        return JSONResponse(outcome, status_code=429, headers={"Retry-After": str(retry_after)})
    return JSONResponse(outcome)


def parse_documents(body: bytes) -> Any:
    """One JSON value, or NDJSON (Vercel's and Cloudflare Logpush's format) as a list."""
    text = body.strip()
    if not text:
        raise BadPayload("empty body")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (ValueError, RecursionError):
        raise BadPayload("body is neither JSON nor NDJSON") from None


def bounded(documents: Any) -> Any:
    """The documents as the database may see them: PayloadTooLarge past MAX_DOCUMENTS, strings and
    arrays cut (json_bounds)."""
    if isinstance(documents, list) and len(documents) > MAX_DOCUMENTS:
        raise PayloadTooLarge(f"body holds {len(documents)} documents; at most {MAX_DOCUMENTS}")
    return bound_json(documents, max_array=MAX_DOCUMENTS)


def credentials(request: Request) -> tuple[str | None, int | None, str | None]:
    """(secret, project_id, signature): the secret from Authorization: Bearer, X-Webhook-Secret or
    ?secret=; or a Vercel signature (x-vercel-signature) for ?project_id=."""
    secret = bearer_token(request.headers) or request.headers.get("x-webhook-secret") \
        or request.query_params.get("secret")
    project = request.query_params.get("project_id")
    project_id = int(project) if project and project.isdigit() and len(project) <= 18 else None
    signature = request.headers.get("x-vercel-signature")
    if secret is None and (signature is None or project_id is None):
        raise Unauthorized("missing webhook credentials: send Authorization: Bearer <project webhook secret>")
    return secret, project_id, signature


ROUTES = [Route("/functions/v1/error-webhook", error_webhook, methods=["POST"])]
