"""Sentry-SDK-compatible ingest: POST /api/<project_id>/envelope/ and /store/ (also under a DSN path
prefix), CORS as Relay does it. Python reads the wire format; app.web_ingest decides the rest
(keys, rate limits, grouping) and the answer is built from its outcome."""

from __future__ import annotations

import base64
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workers.web.auth import extract_public_key, format_rate_limits
from workers.web.batcher import DatabaseUnavailable
from workers.web.decoding import decode_body
from workers.web.envelope import Envelope, Item, parse_envelope, parse_store_body
from workers.web.errors import (
    BadPayload,
    PayloadTooLarge,
    WireError,
    database_unavailable_json,
    error_json,
    refusal_detail,
    retry_after_seconds,
)
from workers.web.json_bounds import bound_json
from workers.web.screenshots import check_screenshot_async

log = logging.getLogger("pgwarden.web")

MIB = 1024 * 1024
# Bodies are held in memory: 20 MiB compressed or decompressed is far above any error envelope
# (events are limited to 1 MiB each) and keeps the process small. Attachments beyond it get 413.
MAX_BODY = 20 * MIB
# The data categories an event's rate limit applies to (both SDKs map `event` to error).
EVENT_CATEGORIES = ["error", "default"]

# Item types whose JSON payload the database reads; everything else is counted and dropped.
JSON_ITEM_TYPES = {"event", "feedback", "user_report", "session", "sessions", "check_in", "client_report"}
# Item types that become user error reports; their envelope's image attachments become screenshots.
FEEDBACK_TYPES = {"feedback", "user_report"}

# Relay's CORS answer (relay-server middlewares/cors.rs)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, "
                                    "content-type, authentication, authorization, content-encoding, "
                                    "transfer-encoding",
    "Access-Control-Max-Age": "3600",
}


async def envelope_endpoint(request: Request) -> Response:
    async def parse() -> tuple[dict[str, Any], int]:
        body = await read_decoded_body(request)
        envelope = parse_envelope(body)
        key = extract_public_key(request.headers, request.query_params, envelope.headers)
        items = [prepare_item(item) for item in envelope.items]
        if any(item.type in FEEDBACK_TYPES for item in envelope.items):
            items = [await feedback_attachment(item) if item.type == "attachment" else prepared
                     for item, prepared in zip(envelope.items, items, strict=True)]
        return ingest_request(request, key, envelope_event_id(envelope), items), len(body)

    return await answer(request, parse)


async def store_endpoint(request: Request) -> Response:
    async def parse() -> tuple[dict[str, Any], int]:
        body = await read_decoded_body(request)
        event = bound_json(parse_store_body(body, limit=MAX_BODY))  # (body may be base64: its length says nothing)
        key = extract_public_key(request.headers, request.query_params, None)
        event_id = event.get("event_id") if isinstance(event.get("event_id"), str) else None
        return ingest_request(request, key, event_id, [{"type": "event", "payload": event}]), len(body)

    return await answer(request, parse)


async def preflight(request: Request) -> Response:
    return Response(status_code=200, headers=PREFLIGHT_HEADERS)


async def answer(request: Request, parse) -> Response:
    try:
        parsed, size = await parse()
        outcome = await request.app.state.batcher.submit(parsed, size=size)
    except PayloadTooLarge as exc:
        await count_refusal(request, "too_large")
        return error_response(exc.status, exc.code, exc.detail)
    except WireError as exc:
        return error_response(exc.status, exc.code, exc.detail)
    except DatabaseUnavailable:
        return database_unavailable_json(headers={**CORS_HEADERS, "X-Sentry-Error": "database unavailable"})
    return outcome_response(outcome)


async def count_refusal(request: Request, reason: str) -> None:
    """Have the database count a request refused before parsing for its organization, when the
    request names its key outside the body (the database checks it is the project's). Best effort:
    the refusal is answered either way."""
    try:
        key = extract_public_key(request.headers, request.query_params, None)
        await request.app.state.batcher.submit({**ingest_request(request, key, None, []), "refused": reason})
    except (WireError, DatabaseUnavailable):
        pass


def outcome_response(outcome: dict[str, Any]) -> Response:
    error = outcome.get("error")
    if not error:
        event_id = outcome.get("id")
        return JSONResponse({"id": event_id} if event_id else {}, headers=CORS_HEADERS)
    status = int(error.get("http_status") or 400)
    headers: dict[str, str] = {}
    if status == 429:
        retry_after = retry_after_seconds(error.get("retry_after"))
        headers = {"Retry-After": str(retry_after),
                   "X-Sentry-Rate-Limits": format_rate_limits(retry_after, EVENT_CATEGORIES)}
    return error_response(status, error.get("code"), error.get("message") or "refused", error.get("details"),
                          error.get("hint"), headers)


def error_response(status: int, code: str, message: str, details: str | None = None, hint: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    sentence = refusal_detail({"message": message, "details": details})
    return error_json(status, code, message, details, hint,
                      headers={**CORS_HEADERS, "X-Sentry-Error": sentence[:200], **(headers or {})})


async def read_decoded_body(request: Request) -> bytes:
    return decode_body(await read_body(request), request.headers.get("content-encoding"), MAX_BODY)


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body as sent (still encoded), refused past `limit` bytes (by Content-Length or as it streams)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body exceeds {limit} bytes")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"body exceeds {limit} bytes")
    except OSError as exc:  # the client went away mid-body
        raise BadPayload(f"body could not be read: {exc}") from None
    return bytes(body)


def ingest_request(request: Request, key: str, event_id: str | None, items: list[dict]) -> dict[str, Any]:
    parsed = {"project_id": request.path_params["project_id"], "public_key": key, "event_id": event_id, "items": items}
    if any("screenshot" in item for item in items):
        # where the screenshots of a feedback are served (app.web_record_feedback; Starlette builds
        # the URL anew for every request, a cost an envelope without screenshots need not pay)
        parsed["base_url"] = str(request.base_url).rstrip("/")
    return parsed


async def feedback_attachment(item: Item) -> dict[str, Any]:
    """An attachment next to a feedback item (the SDK's screenshot): the checked image, for the
    database to store as the report's screenshot; anything that is no acceptable image is counted
    and dropped like other attachments."""
    try:
        shot = await check_screenshot_async(item.payload)
    except WireError:
        return {"type": item.type}
    return {"type": item.type, "screenshot": {"media_type": shot.media_type, "width": shot.width, "height": shot.height,
                                              "base64": base64.b64encode(shot.content).decode("ascii")}}


def envelope_event_id(envelope: Envelope) -> str | None:
    event_id = envelope.headers.get("event_id")
    return event_id if isinstance(event_id, str) else None


def prepare_item(item: Item) -> dict[str, Any]:
    """An item as app.web_ingest reads it: type, and the parsed payload for the types it keeps
    (timestamps as the SDK sent them: app.json_timestamp reads them)."""
    if item.type not in JSON_ITEM_TYPES:
        return {"type": item.type}
    payload = bound_json(item.json(), text_length=len(item.payload))
    if not isinstance(payload, dict):
        raise BadPayload(f"{item.type} item payload must be a JSON object")
    return {"type": item.type, "payload": payload}


def _routes() -> list[Route]:
    routes = []
    for prefix in ("", "/{dsn_prefix:path}"):
        for name, endpoint in (("envelope", envelope_endpoint), ("store", store_endpoint)):
            for slash in ("/", ""):
                path = f"{prefix}/api/{{project_id:int}}/{name}{slash}"
                routes.append(Route(path, endpoint, methods=["POST"]))
                routes.append(Route(path, preflight, methods=["OPTIONS"]))
    return routes


ROUTES = _routes()
