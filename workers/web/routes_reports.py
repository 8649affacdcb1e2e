"""User error reports on `pgwarden web`: screenshots and the embeddable scripts. Reports themselves
go to PostgREST (/rpc/submit_report); the decisions (who may store or read a screenshot, origins,
rate limits) are SQL's (db/functions/app/840_reports_screenshots.sql).

POST /reports/screenshot
    The image as the raw body or as the one file of a multipart/form-data body; PNG, JPEG or WebP
    of at most 2 MB, checked by content (workers/web/screenshots.py). Customers send the widget key
    (X-Pgwarden-Widget-Key) from an allowed page origin; org owners, staff and system admins a
    token (Authorization: Bearer). Answers 201 {id, url}: put url into the report's screenshot_urls.
GET /reports/screenshots/<id>
    The image, to a token of its organization's org owners or staff, or of a system admin; or to
    the same people signed in to the web app (its session cookie, for a report's page).
GET /widget/report.js, /widget/capture.js
    The report widget and the global error handler for pages without a Sentry SDK.

Cross-origin: the scripts post from customers' pages, so every answer here allows any origin
(never with credentials: the web app's SameSite=Lax session cookie is sent only by its own pages);
whether a page's origin may use a widget key is decided in SQL from its Origin header."""

from __future__ import annotations

import hashlib
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
    DATABASE_UNAVAILABLE,
    BadPayload,
    Unauthorized,
    WireError,
    error_json,
    retry_after_seconds,
)
from workers.web.routes_sentry import RETRY_AFTER_DATABASE_DOWN, read_body
from workers.web.screenshots import MAX_BYTES, check_screenshot_async
from workers.web.ui.pages import session_claims

CONNECTION_TIMEOUT_SECONDS = 5.0
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and a few small fields around the file
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "retry-after"}
PREFLIGHT_HEADERS = {**CORS_HEADERS, "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                     "Access-Control-Allow-Headers": "authorization, content-type, x-pgwarden-widget-key",
                     "Access-Control-Max-Age": "3600"}
# embedded in customers' pages: cached a day, then served stale for a week while it is revalidated (ETag)
SCRIPT_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
WIDGET_DIR = Path(__file__).resolve().parent / "widget"
ROLES_WITH_TOKENS = ("staff", "org_owner", "system_admin")


def refusal(exc: WireError, headers: dict[str, str] | None = None) -> JSONResponse:
    return error_json(exc.status, exc.code, exc.detail, headers={**CORS_HEADERS, **(headers or {})})


def database_unavailable() -> JSONResponse:
    return error_json(503, DATABASE_UNAVAILABLE, "database unavailable", hint="Try again shortly.",
                      headers={**CORS_HEADERS, "Retry-After": str(RETRY_AFTER_DATABASE_DOWN)})


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


async def upload_bytes(request: Request) -> bytes:
    """The uploaded file: the body itself, or the one file part of a multipart/form-data body."""
    body = await read_body(request, limit=MAX_BYTES + MULTIPART_OVERHEAD)
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return body

    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(request.scope, replay).form(max_files=1, max_fields=10) as form:
            files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
            if not files:
                raise BadPayload("the form holds no file")
            return await files[0].read()
    except WireError:
        raise
    except Exception as exc:  # python-multipart's and Starlette's parse errors: a malformed form
        raise BadPayload(f"the form cannot be read ({type(exc).__name__})") from None


async def upload_screenshot(request: Request) -> Response:
    try:
        claims = token_claims(request) or {}
        shot = await check_screenshot_async(await upload_bytes(request))
    except WireError as exc:
        return refusal(exc)
    headers = request.headers
    client = request.client.host if request.client else None
    try:
        async with request.app.state.db.connection(timeout=CONNECTION_TIMEOUT_SECONDS) as conn:
            cursor = await conn.execute(sql.REPORT_SCREENSHOT_STORE, [
                headers.get("x-pgwarden-widget-key"), headers.get("origin"), headers.get("x-forwarded-for"), client,
                claims.get("role"), claims.get("org_id"), claims.get("sub"),
                shot.media_type, shot.width, shot.height, shot.content])
            (outcome,) = await cursor.fetchone()
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable()
    error = outcome.get("error")
    if error:
        extra = {"Retry-After": str(retry_after_seconds(error.get("retry_after")))} if error.get("retry_after") else {}
        return error_json(int(error.get("http_status") or 400), error["code"], error["message"], error.get("details"),
                          error.get("hint"), headers={**CORS_HEADERS, **extra})
    url = f"{str(request.base_url).rstrip('/')}/reports/screenshots/{outcome['id']}"
    return JSONResponse({"id": outcome["id"], "url": url}, status_code=201, headers=CORS_HEADERS)


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
        return database_unavailable()
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
    Route("/reports/screenshot", upload_screenshot, methods=["POST"]),
    Route("/reports/screenshot", preflight, methods=["OPTIONS"]),
    Route("/reports/screenshots/{screenshot_id:uuid}", screenshot, methods=["GET"]),
    Route("/reports/screenshots/{screenshot_id:uuid}", preflight, methods=["OPTIONS"]),
    script_route("report.js"),
    script_route("capture.js"),
]
