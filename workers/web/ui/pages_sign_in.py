"""Signing in and out. SQL decides whether an attempt may be made (throttling) and whose password
hash to check; Python checks the password (argon2) and SQL records the outcome and opens the
session. Every refusal reads the same, so nobody learns which e-mail addresses exist."""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import Refused, page, render, see_other, ui
from workers.web.ui.security import CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE, new_login_binding, password_matches

NOT_SIGNED_IN = "That e-mail address and password do not match an account that may sign in."
COOKIE_PATH = "/"


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/"
    return value


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _login_page(request: Request, *, message: str | None = None, status: int = 200, email: str = "") -> Response:
    binding = request.cookies.get(LOGIN_COOKIE) or new_login_binding()
    response = render(request, "login.html", {"csrf": ui(request).signer.csrf_token(binding), "message": message,
                                              "email": email, "next": _safe_next(request.query_params.get("next"))},
                      status=status)
    response.set_cookie(LOGIN_COOKIE, binding, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path=COOKIE_PATH)
    return response


@page
async def login_form(request: Request) -> Response:
    return _login_page(request)


@page
async def login(request: Request) -> Response:
    state = ui(request)
    form = await request.form()
    if not state.signer.csrf_matches(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        return _login_page(request, message="This form has expired. Please sign in again.", status=403)
    email, password = str(form.get("email") or "")[:255], str(form.get("password") or "")[:1024]
    ip = _client_ip(request)
    async with state.pool.connection() as conn:
        async with conn.transaction():
            begun = (await (await conn.execute(sql.WEB_LOGIN_BEGIN, [email, ip])).fetchone())[0]
        if begun["wait_seconds"] > 0:
            return _throttled(request, begun["wait_seconds"], email)
        # argon2 takes tens of milliseconds of CPU: not on the event loop
        matches = await anyio.to_thread.run_sync(password_matches, begun["password_hash"], password)
        async with conn.transaction():
            finished = (await (await conn.execute(sql.WEB_LOGIN_FINISH, [email, ip, matches,
                                                                         request.headers.get("user-agent")])).fetchone())[0]
    if finished["token"] is None:
        if finished["wait_seconds"] > 0 and matches:
            return _throttled(request, finished["wait_seconds"], email)
        return _login_page(request, message=NOT_SIGNED_IN, status=401, email=email)
    response = see_other(_safe_next(form.get("next")))
    response.set_cookie(SESSION_COOKIE, state.signer.session_cookie(finished["token"]), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path=COOKIE_PATH)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


def _throttled(request: Request, wait_seconds: int, email: str) -> Response:
    minutes = max(1, -(-wait_seconds // 60))
    plural = "s" if minutes > 1 else ""
    response = _login_page(request, status=429, email=email,
                           message=f"Too many failed sign-ins. Try again in {minutes} minute{plural}.")
    response.headers["Retry-After"] = str(wait_seconds)
    return response


@page
async def logout(request: Request) -> Response:
    state = ui(request)
    token = state.signer.session_token(request.cookies.get(SESSION_COOKIE))
    if token is not None:
        form = await request.form()
        if not state.signer.csrf_matches(token, form.get(CSRF_FIELD)):
            raise Refused(403, "This form has expired or did not come from pgwarden.", "Reload the page and try again.")
        async with state.pool.connection() as conn, conn.transaction():
            await conn.execute(sql.WEB_SESSION_END, [token])
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
