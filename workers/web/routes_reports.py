"""User error reports on `pgwarden web`: screenshots and the embeddable scripts. Reports themselves
go to PostgREST (/rpc/submit_report); the decisions (who may store or read a screenshot, origins,
rate limits) are SQL's (db/functions/app/840_reports_screenshots.sql).

POST /reports/submit?widget_key=wk_...
    A report, as POST /rpc/submit_report on PostgREST takes it (the same SQL decides:
    app.report_submit_request); the report widget's way in. Answers 201 {id, status, status_token,
    linked, created_at}.
POST /reports/screenshot[?widget_key=wk_...]
    The image as the raw body or as the one file of a multipart/form-data body; PNG, JPEG or WebP
    of at most 2 MB, checked by content (workers/web/screenshots.py). Answers 201 {id, url}: put
    url into the report's screenshot_urls.
    Customers send the widget key from an allowed page origin, in the URL (?widget_key=) or the
    X-Pgwarden-Widget-Key header; org owners, staff and system admins a token (Authorization: Bearer).
GET /reports/screenshots/<id>
    The image, to a token of its organization's org owners or staff, or of a system admin; or to
    the same people signed in to the web app (its session cookie, for a report's page).
GET /widget/report.js, /widget/capture.js
    The report widget and the global error handler for pages without a Sentry SDK.

Cross-origin, as Sentry does it for browser SDKs: the widget names its key in the URL, because a
browser's CORS preflight (OPTIONS) carries no custom header; the preflight is then answered from the
key's allowed origins (app.widget_origin_allowed): Access-Control-Allow-Origin echoes an allowed
origin, anything else is refused (403, no CORS headers), so the browser never sends the report.
Answers to a widget key echo only an allowed origin too. Every POST is checked in SQL again from its
Origin header (a request a browser sends without preflight is refused there). Without a widget key
(people with tokens, the scripts, screenshots served) any origin is allowed, never with credentials:
the web app's SameSite=Lax session cookie is sent only by its own pages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jwt
import psycopg
import psycopg_pool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workers import sql, tokens
from workers.web.auth import bearer_token
from workers.web.errors import (
    BadPayload,
    Unauthorized,
    WireError,
    database_unavailable_json,
    error_json,
    problem_json,
)
from workers.web.routes_sentry import read_body
from workers.web.screenshots import MAX_BYTES, Screenshot, check_screenshot_async
from workers.web.ui.pages import session_claims

CONNECTION_TIMEOUT_SECONDS = 5.0
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and a few small fields around the file
# the answers to people with tokens, the scripts and screenshots served: any origin, no credentials
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "retry-after"}
PREFLIGHT_HEADERS = {**CORS_HEADERS, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                     "Access-Control-Allow-Headers": "authorization, content-type, x-pgwarden-widget-key",
                     "Access-Control-Max-Age": "3600"}
# a preflight naming a widget key is cached per origin and URL: a removed origin is refused within 10 minutes
WIDGET_PREFLIGHT_MAX_AGE = "600"
ORIGIN_REFUSALS = ("QA801", "QA802")  # SQL refused the key or the page's origin: no CORS answer
# what is read of a report body at most; its limit (64 KB, app.request_body_limit) is SQL's
MAX_REPORT_READ = 1024 * 1024
# embedded in customers' pages: cached a day, then served stale for a week while it is revalidated (ETag)
SCRIPT_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
WIDGET_DIR = Path(__file__).resolve().parent / "widget"
ROLES_WITH_TOKENS = ("staff", "org_owner", "system_admin")


def refusal(exc: WireError, headers: dict[str, str] | None = None) -> JSONResponse:
    return error_json(exc.status, exc.code, exc.detail, headers=CORS_HEADERS if headers is None else headers)


def widget_key_of(request: Request) -> str | None:
    """The widget key: in the URL (what a preflight can be answered by), else the header."""
    return request.query_params.get("widget_key") or request.headers.get("x-pgwarden-widget-key")


def widget_cors(request: Request, key: str | None, origin_allowed: bool) -> dict[str, str]:
    """CORS headers of an answer: for a widget key, the page's origin echoed only when the key allows it."""
    origin = request.headers.get("origin")
    if key is None or origin is None:
        return CORS_HEADERS
    if not origin_allowed:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "retry-after", "Vary": "Origin"}


def widget_answer(request: Request, key: str | None, outcome: dict, created: dict | None) -> Response:
    """SQL's outcome of a submission: its refusal, or 201 with `created`; readable by the page only
    if SQL did not refuse its origin (or the key)."""
    error = outcome.get("error")
    cors = widget_cors(request, key, not (error and error["code"] in ORIGIN_REFUSALS))
    if error:
        return problem_json(error, headers=cors)
    return JSONResponse(created, status_code=201, headers=cors)


async def origin_allowed(request: Request, key: str) -> bool:
    """SQL's answer: may pages of the request's origin use this widget key?"""
    async with request.app.state.db.connection(timeout=CONNECTION_TIMEOUT_SECONDS) as conn:
        cursor = await conn.execute(sql.REPORT_WIDGET_ORIGIN_ALLOWED, [key, request.headers.get("origin")])
        (allowed,) = await cursor.fetchone()
    return bool(allowed)


async def widget_refusal(request: Request, key: str | None, exc: WireError) -> Response:
    """A request refused before SQL saw it: readable by the page only if its origin may use the key."""
    try:
        allowed = key is not None and "origin" in request.headers and await origin_allowed(request, key)
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json(headers=CORS_HEADERS)
    return refusal(exc, widget_cors(request, key, allowed))


def report_text(body: bytes) -> str:
    """The body as JSON text for SQL; refused when it is not JSON PostgreSQL reads (NaN, Infinity)."""
    def not_json(constant: str) -> None:
        raise ValueError(constant)

    try:
        text = body.decode("utf-8")
        json.loads(text, parse_constant=not_json)
    except (ValueError, RecursionError):  # (bad JSON or UTF-8; a hostile nesting depth)
        raise BadPayload("the body is not JSON") from None
    return text


def token_claims(request: Request) -> dict | None:
    """The verified claims of the request's bearer token; None without one; Unauthorized for a bad one."""
    if "authorization" not in request.headers:
        return None
    token = bearer_token(request.headers)
    if token is None:
        raise Unauthorized("authorization is not a bearer token")
    secret = request.app.state.jwt_secret
    try:
        claims = tokens.verify(secret, token) if secret else None
    except jwt.InvalidTokenError:
        claims = None
    if not claims or claims.get("role") not in ROLES_WITH_TOKENS:
        raise Unauthorized("token not accepted")
    return claims


async def form_with_file(request: Request) -> tuple[dict[str, str], bytes | None]:
    """A multipart/form-data body of text fields and at most one file (a screenshot's size at most)."""
    body = await read_body(request, limit=MAX_BYTES + MULTIPART_OVERHEAD)

    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(request.scope, replay).form(max_files=1, max_fields=20) as form:
            fields, file = {}, None
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    file = (await value.read()) or None  # (a file input left empty sends no bytes)
                else:
                    fields[name] = value
            return fields, file
    except WireError:
        raise
    except Exception as exc:  # python-multipart's and Starlette's parse errors: a malformed form
        raise BadPayload(f"the form cannot be read ({type(exc).__name__})") from None


async def upload_bytes(request: Request) -> bytes:
    """The uploaded file: the body itself, or the one file part of a multipart/form-data body."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return await read_body(request, limit=MAX_BYTES + MULTIPART_OVERHEAD)
    _, file = await form_with_file(request)
    if file is None:
        raise BadPayload("the form holds no file")
    return file


async def store_screenshot(request: Request, key: str | None, claims: dict, shot: Screenshot) -> dict:
    """app.report_screenshot_store for the caller: {id, url} or {error}."""
    headers = request.headers
    async with request.app.state.db.connection(timeout=CONNECTION_TIMEOUT_SECONDS) as conn:
        cursor = await conn.execute(sql.REPORT_SCREENSHOT_STORE, [
            key, headers.get("origin"), headers.get("x-forwarded-for"), request.client.host if request.client else None,
            claims.get("role"), claims.get("org_id"), claims.get("sub"),
            shot.media_type, shot.width, shot.height, shot.content])
        (outcome,) = await cursor.fetchone()
    if "id" in outcome:
        outcome["url"] = f"{str(request.base_url).rstrip('/')}/reports/screenshots/{outcome['id']}"
    return outcome


async def upload_screenshot(request: Request) -> Response:
    key = widget_key_of(request)
    try:
        claims = token_claims(request) or {}
        shot = await check_screenshot_async(await upload_bytes(request))
    except WireError as exc:
        return await widget_refusal(request, key, exc)
    try:
        outcome = await store_screenshot(request, key, claims, shot)
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json(headers=CORS_HEADERS)
    return widget_answer(request, key, outcome, {"id": outcome.get("id"), "url": outcome.get("url")})


async def submit_report(request: Request) -> Response:
    key = widget_key_of(request)
    try:
        claims = token_claims(request) or {}
        text = report_text(await read_body(request, limit=MAX_REPORT_READ))
    except WireError as exc:
        return await widget_refusal(request, key, exc)
    headers = request.headers
    client = request.client.host if request.client else None
    try:
        async with request.app.state.db.connection(timeout=CONNECTION_TIMEOUT_SECONDS) as conn:
            cursor = await conn.execute(sql.REPORT_SUBMIT_REQUEST, [
                key, headers.get("origin"), headers.get("x-forwarded-for"), client,
                claims.get("role"), claims.get("org_id"), claims.get("sub"), text])
            (outcome,) = await cursor.fetchone()
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json(headers=CORS_HEADERS)
    return widget_answer(request, key, outcome, outcome.get("result"))


async def widget_preflight(request: Request) -> Response:
    """A browser asking whether its page may post here: per widget key when the URL names one."""
    key = request.query_params.get("widget_key")
    if key is None:  # people with tokens (or a key in the header): the POST is judged in SQL
        return Response(status_code=204, headers=PREFLIGHT_HEADERS)
    try:
        allowed = "origin" in request.headers and await origin_allowed(request, key)
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json(headers=CORS_HEADERS)
    if not allowed:
        return error_json(403, "QA802", "this page's origin may not use this widget key", "Field: Origin.",
                          "Allow the page's origin: pgwarden project widget-key PROJECT_ID --origin https://…",
                          headers={"Vary": "Origin"})
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": request.headers["origin"], "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "authorization, content-type, x-pgwarden-widget-key",
        "Access-Control-Max-Age": WIDGET_PREFLIGHT_MAX_AGE, "Vary": "Origin"})


async def screenshot(request: Request) -> Response:
    try:
        claims = token_claims(request)
    except WireError as exc:
        return refusal(exc)
    try:
        # a token, or the web app's session (a report's page shows its screenshots)
        claims = claims or await session_claims(request)
        if claims is None:
            return refusal(Unauthorized("a token or a signed-in session is needed (Authorization: Bearer)"))
        async with request.app.state.db.connection(timeout=CONNECTION_TIMEOUT_SECONDS) as conn:
            cursor = await conn.execute(sql.REPORT_SCREENSHOT_FETCH, [
                str(request.path_params["screenshot_id"]), claims.get("role"), claims.get("org_id")])
            row = await cursor.fetchone()
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json(headers=CORS_HEADERS)
    if row is None:
        return error_json(404, "QN802", "screenshot not found", hint="Use a screenshot of your organization's reports.",
                          headers=CORS_HEADERS)
    media_type, content = row
    return Response(bytes(content), media_type=media_type, headers={
        **CORS_HEADERS, "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


async def preflight(request: Request) -> Response:
    return Response(status_code=204, headers=PREFLIGHT_HEADERS)


def script_route(name: str) -> Route:
    body = (WIDGET_DIR / name).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {**CORS_HEADERS, "Cache-Control": SCRIPT_CACHE, "ETag": etag}

    async def serve(request: Request) -> Response:
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    return Route(f"/widget/{name}", serve, methods=["GET", "HEAD"])


ROUTES = [
    Route("/reports/submit", submit_report, methods=["POST"]),
    Route("/reports/submit", widget_preflight, methods=["OPTIONS"]),
    Route("/reports/screenshot", upload_screenshot, methods=["POST"]),
    Route("/reports/screenshot", widget_preflight, methods=["OPTIONS"]),
    Route("/reports/screenshots/{screenshot_id:uuid}", screenshot, methods=["GET"]),
    Route("/reports/screenshots/{screenshot_id:uuid}", preflight, methods=["OPTIONS"]),
    script_route("report.js"),
    script_route("capture.js"),
]
