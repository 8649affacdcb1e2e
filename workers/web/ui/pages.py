"""What every page shares: the person behind the request (a transaction running as their role,
with PostgREST's JWT claims, so RLS decides), the anonymous transaction of the status page, CSRF
checks, rendering, and turning refusals SQL raised into HTTP answers."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import psycopg
import psycopg_pool
from psycopg.rows import dict_row
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workers import sql
from workers.db import unwrap
from workers.web.ui.render import TEMPLATES
from workers.web.ui.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE
from workers.web.ui.state import UiState

log = logging.getLogger("pgwarden.web")

# R7: Python maps refusals by SQLSTATE class; 22 (a value of the wrong shape in a query string) and
# 42501 (a role without the right) come from PostgreSQL itself.
_STATUS_BY_CLASS = {"QV": 400, "QN": 404, "QS": 409, "QR": 429, "QA": 403, "22": 400, "23": 409}
_TITLES = {400: "That request was not understood", 403: "Not allowed", 404: "Not found", 409: "Not possible now",
           429: "Too many requests", 503: "Database unavailable"}


class SignInRequired(Exception):
    """No valid session: sign in (again)."""


class Refused(Exception):
    """A page answers with an HTTP error status and a sentence."""

    def __init__(self, status: int, message: str, detail: str | None = None):
        super().__init__(message)
        self.status, self.message, self.detail = status, message, detail


def ui(request: Request) -> UiState:
    return request.app.state.ui


@dataclass
class Person:
    """The signed-in person and their transaction (running as their role)."""

    conn: psycopg.AsyncConnection
    claims: dict[str, Any]
    email: str
    name: str | None
    csrf: str
    notices: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        return self.claims["role"]

    @property
    def is_admin(self) -> bool:
        return self.role == "system_admin"

    async def rows(self, statement: str, params: Any = None) -> list[dict[str, Any]]:
        async with self.conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(statement, params)
            return await cursor.fetchall()

    async def row(self, statement: str, params: Any = None) -> dict[str, Any] | None:
        found = await self.rows(statement, params)
        return found[0] if found else None

    async def value(self, statement: str, params: Any = None) -> Any:
        cursor = await self.conn.execute(statement, params)
        found = await cursor.fetchone()
        return found[0] if found else None


@contextlib.asynccontextmanager
async def signed_in(request: Request, *, touch: bool = True) -> AsyncIterator[Person]:
    """A transaction as the person whose session cookie came with the request."""
    state = ui(request)
    token = state.signer.session_token(request.cookies.get(SESSION_COOKIE))
    if token is None:
        raise SignInRequired
    async with state.pool.connection() as conn, conn.transaction():
        found = await (await conn.execute(sql.WEB_SESSION_BEGIN, [token, touch])).fetchone()
        if found is None:
            raise SignInRequired
        person = found[0]
        yield Person(conn=conn, claims=person["claims"], email=person["email"], name=person.get("name"),
                     csrf=state.signer.csrf_token(token))


@contextlib.asynccontextmanager
async def anonymous(request: Request) -> AsyncIterator[psycopg.AsyncConnection]:
    """A transaction as anon (the public status page)."""
    async with ui(request).pool.connection() as conn, conn.transaction():
        await conn.execute(sql.WEB_ANONYMOUS_BEGIN)
        yield conn


def csrf_ok(request: Request, person: Person, form: FormData | None) -> bool:
    token = (form.get(CSRF_FIELD) if form is not None else None) or request.headers.get(CSRF_HEADER)
    state = ui(request)
    return state.signer.csrf_matches(state.signer.session_token(request.cookies.get(SESSION_COOKIE)), token)


async def checked_form(request: Request, person: Person) -> FormData:
    """The POSTed form, once its CSRF token proves it came from one of our pages."""
    form = await request.form()
    if not csrf_ok(request, person, form):
        raise Refused(403, "This form has expired or did not come from pgwarden.", "Reload the page and try again.")
    return form


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           person: Person | None = None) -> Response:
    response = TEMPLATES.TemplateResponse(request, template, {"person": person, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def refusal(exc: psycopg.Error) -> Refused | None:
    """A refusal SQL raised, as the HTTP answer its code is registered with; None for a fault."""
    failure = unwrap(exc)
    status = _STATUS_BY_CLASS.get(failure.code[:2]) or (403 if failure.code == "42501" else None)
    if status is None:
        return None
    message = failure.message if failure.code.startswith("Q") else _TITLES.get(status, "Refused")
    return Refused(status, message, " ".join(part for part in (failure.detail, failure.hint) if part) or None)


def _refusal_page(request: Request, refused: Refused, title: str | None = None) -> Response:
    context = {"status": refused.status, "message": refused.message, "detail": refused.detail,
               "title": title or _TITLES.get(refused.status, "Refused")}
    return render(request, "error.html", context, status=refused.status)


def page(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A route whose refusals become pages: no session → sign in, SQL refusals → their status."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except SignInRequired:
            if request.method == "GET" and "hx-request" not in request.headers:
                here = request.url.path + ("?" + request.url.query if request.url.query else "")
                return see_other(f"/login?next={quote(here)}")
            return _refusal_page(request, Refused(401, "Your session has ended. Sign in again."), "Signed out")
        except Refused as refused:
            return _refusal_page(request, refused)
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            log.warning("page %s: database unavailable: %s", request.url.path, exc)
            return _refusal_page(request, Refused(503, "The database does not answer. Try again shortly."))
        except psycopg.Error as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            return _refusal_page(request, refused)

    return endpoint
