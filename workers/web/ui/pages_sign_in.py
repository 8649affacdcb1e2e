"""Signing in and out. SQL decides whether an attempt may be made (throttling) and whose password
hash to check; Python checks the password (argon2) and SQL records the outcome and opens the
session. Every refusal reads the same, so nobody learns which e-mail addresses exist."""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from workers import sql
from workers.web.ui.pages import page, read_form, refused_answer, render, see_other, ui
from workers.web.ui.refusals import SIGN_IN_REFUSED, SIGN_IN_THROTTLED, Refused, form_not_ours
from workers.web.ui.security import CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE, new_login_binding, password_matches

COOKIE_PATH = "/"


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/"
    return value


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _login_page(request: Request, *, refused: Refused | None = None, email: str = "") -> Response:
    binding = request.cookies.get(LOGIN_COOKIE) or new_login_binding()
    response = render(request, "login.html", {"csrf": ui(request).signer.csrf_token(binding), "refused": refused,
                                              "email": email, "next": _safe_next(request.query_params.get("next"))})
    response.set_cookie(LOGIN_COOKIE, binding, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path=COOKIE_PATH)
    return response


async def _refused(request: Request, refused: Refused, email: str = "") -> Response:
    """The sign-in form again with the refusal on it (the error shape to other clients)."""
    return await refused_answer(request, refused, lambda: _login_page(request, refused=refused, email=email))


@page
async def login_form(request: Request) -> Response:
    return await _login_page(request)


@page
async def login(request: Request) -> Response:
    state = ui(request)
    form = await read_form(request)
    if not state.signer.csrf_matches(request.cookies.get(LOGIN_COOKIE), form.get(CSRF_FIELD)):
        return await _refused(request, form_not_ours())
    email, password = str(form.get("email") or "")[:255], str(form.get("password") or "")[:1024]
    ip = _client_ip(request)
    async with state.pool.connection() as conn:
        async with conn.transaction():
            begun = (await (await conn.execute(sql.WEB_LOGIN_BEGIN, [email, ip])).fetchone())[0]
        if begun["wait_seconds"] > 0:
            return await _refused(request, _throttled(begun["wait_seconds"]), email)
        # argon2 takes tens of milliseconds of CPU: not on the event loop
        matches = await anyio.to_thread.run_sync(password_matches, begun["password_hash"], password)
        async with conn.transaction():
            finished = (await (await conn.execute(sql.WEB_LOGIN_FINISH, [email, ip, matches,
                                                                         request.headers.get("user-agent")])).fetchone())[0]
    if finished["token"] is None:
        if finished["wait_seconds"] > 0 and matches:
            return await _refused(request, _throttled(finished["wait_seconds"]), email)
        # the same words whether the address exists or not: nobody learns which do
        return await _refused(request, Refused(401, SIGN_IN_REFUSED, "That e-mail address and password do not match "
                                                                     "an account that may sign in."), email)
    response = see_other(_safe_next(form.get("next")))
    response.set_cookie(SESSION_COOKIE, state.signer.session_cookie(finished["token"]), httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path=COOKIE_PATH)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


def _throttled(wait_seconds: int) -> Refused:
    minutes = max(1, -(-wait_seconds // 60))
    plural = "s" if minutes > 1 else ""
    return Refused(429, SIGN_IN_THROTTLED, "Too many failed sign-ins.", f"Try again in {minutes} minute{plural}.",
                   headers={"Retry-After": str(wait_seconds)})


@page
async def logout(request: Request) -> Response:
    state = ui(request)
    token = state.signer.session_token(request.cookies.get(SESSION_COOKIE))
    if token is not None:
        form = await read_form(request)
        if not state.signer.csrf_matches(token, form.get(CSRF_FIELD)):
            raise form_not_ours()
        async with state.pool.connection() as conn, conn.transaction():
            await conn.execute(sql.WEB_SESSION_END, [token])
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response
