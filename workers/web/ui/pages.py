"""What every page shares: the person behind the request (a transaction running as their role,
with PostgREST's JWT claims and the role's statement_timeout, so RLS decides), the anonymous
transaction of the status page, bounded forms and CSRF checks, rendering, and answering refusals
(workers/web/ui/refusals.py) as pages for browsers and in the error shape for other clients."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import psycopg
import psycopg_pool
from psycopg.rows import dict_row
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workers import sql
from workers.web.errors import registered_status, with_retry_after
from workers.web.ui.refusals import (
    LENGTH_REQUIRED,
    MALFORMED,
    TITLES,
    TOO_LARGE,
    Refused,
    database_unavailable,
    form_not_ours,
    invalid,
    not_found,
    refusal,
    refusal_json,
    sign_in_required,
    wants_html,
)
from workers.web.ui.render import TEMPLATES
from workers.web.ui.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE
from workers.web.ui.state import UiState

log = logging.getLogger("pgwarden.web")

# A page's form is a few fields: more is not a form of ours (the body is read whole to parse it).
FORM_LIMIT_BYTES = 64 * 1024


class SignInRequired(Exception):
    """No valid session: sign in (again)."""


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
    unread: int = 0  # their unread in-app notifications (the header's count)
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

    async def attempt(self, statement: str, params: Any = None, *,
                      whole_row: bool = False) -> tuple[Any, Refused | None]:
        """A write in a savepoint: (its value, or its row, None), or (None, SQL's refusal) to show on the form."""
        try:
            async with self.conn.transaction():
                return await (self.row if whole_row else self.value)(statement, params), None
        except psycopg.Error as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            return None, refused


@contextlib.asynccontextmanager
async def signed_in(request: Request, *, for_page: bool = True) -> AsyncIterator[Person]:
    """A transaction as the person whose session cookie came with the request. For a page, the
    use keeps the session from idling out, and the header's unread count is read; the live feed
    does neither."""
    state = ui(request)
    token = state.signer.session_token(request.cookies.get(SESSION_COOKIE))
    if token is None:
        raise SignInRequired
    async with state.pool.connection() as conn, conn.transaction():
        found = await (await conn.execute(sql.WEB_SESSION_BEGIN, [token, for_page])).fetchone()
        if found is None:
            raise SignInRequired
        person = found[0]
        signed = Person(conn=conn, claims=person["claims"], email=person["email"], name=person.get("name"),
                        csrf=state.signer.csrf_token(token))
        if for_page:
            signed.unread = await signed.value(sql.UI_UNREAD_NOTIFICATIONS)
        yield signed


async def session_claims(request: Request) -> dict[str, Any] | None:
    """The PostgREST-shaped claims of the request's web-app session, None without a valid one (for
    routes that take a token or a session: report screenshots shown on a report's page)."""
    try:
        async with signed_in(request, for_page=False) as person:
            return person.claims
    except SignInRequired:
        return None


@contextlib.asynccontextmanager
async def anonymous(request: Request) -> AsyncIterator[psycopg.AsyncConnection]:
    """A transaction as anon (the public status page)."""
    async with ui(request).pool.connection() as conn, conn.transaction():
        await conn.execute(sql.WEB_ANONYMOUS_BEGIN)
        yield conn


async def read_form(request: Request) -> FormData:
    """The POSTed form, within FORM_LIMIT_BYTES and holding only text without NUL characters
    (PostgreSQL text cannot hold one; no field of ours needs one)."""
    length = request.headers.get("content-length")
    if length is None:
        raise Refused(411, LENGTH_REQUIRED, "length required", "The form came without Content-Length.",
                      "Send the form with a Content-Length header.")
    if not length.isdigit() or int(length) > FORM_LIMIT_BYTES:
        raise Refused(413, TOO_LARGE, "form too large", f"At most {FORM_LIMIT_BYTES} bytes.",
                      "Send only the fields of the page's form.")
    try:
        form = await request.form()
    except HTTPException as exc:  # Starlette's answer to a multipart body it cannot parse
        raise Refused(400, MALFORMED, "form could not be read", exc.detail,
                      "Send the page's form as application/x-www-form-urlencoded.") from None
    if any(not isinstance(value, str) or "\x00" in value for value in form.values()):
        raise Refused(400, MALFORMED, "form field could not be read", "A field is a file or holds a NUL character.",
                      "Send text fields only.")
    return form


def csrf_ok(request: Request, form: FormData | None) -> bool:
    token = (form.get(CSRF_FIELD) if form is not None else None) or request.headers.get(CSRF_HEADER)
    state = ui(request)
    return state.signer.csrf_matches(state.signer.session_token(request.cookies.get(SESSION_COOKIE)), token)


async def checked_form(request: Request, person: Person) -> FormData:
    """The POSTed form, once its CSRF token proves it came from one of our pages."""
    form = await read_form(request)
    if not csrf_ok(request, form):
        raise form_not_ours()
    return form


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           person: Person | None = None) -> Response:
    response = TEMPLATES.TemplateResponse(request, template, {"person": person, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def query_filters(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The filters of a list page given in its query string (empty ones left out)."""
    return {name: request.query_params[name].strip() for name in names if request.query_params.get(name, "").strip()}


# More choices than this, and a list's organization or project filter is typed rather than chosen
# (a system admin's choice of thousands would weigh more than the page it filters).
CHOICES_AT_MOST = 100


async def organization_choices(person: Person, chosen: str | None = None) -> dict[str, Any]:
    """The organization filter of a list page: a system admin's choice, or typed when they are many.
    `chosen`: the id the filter names (organization_filter), selected however the URL named it."""
    if not person.is_admin:
        return {"choices": [], "typed": False, "chosen": None}
    return {**_choices(await person.rows(sql.UI_ORGANIZATIONS_TO_CHOOSE, [CHOICES_AT_MOST + 1])), "chosen": chosen}


async def project_choices(person: Person, organization_id: str | None) -> dict[str, Any]:
    """The project filter of a list page: the projects one sees (of the organization filtered by), or typed."""
    return _choices(await person.rows(sql.UI_PROJECTS_TO_CHOOSE,
                                      {"organization_id": organization_id, "limit": CHOICES_AT_MOST + 1}))


def _choices(rows: list[dict[str, Any]]) -> dict[str, Any]:
    typed = len(rows) > CHOICES_AT_MOST
    return {"choices": [] if typed else rows, "typed": typed}


async def organization_filter(person: Person, value: str | None) -> str | None:
    """The id of the organization a system admin's list filter names, chosen or typed (app.organization_ref
    decides); others see their own organization only, so theirs goes to the list as given."""
    if value is None or not person.is_admin:
        return value
    with contextlib.suppress(ValueError):
        return str(uuid.UUID(value))  # (an id as chosen: no name can stand for it)
    return str(await person.value(sql.UI_ORGANIZATION_REF, [value]))


def page_cursor(row: dict[str, Any], column: str) -> str:
    """The keyset cursor of a list's next page: the last row's sort value and id, as a URL-safe token."""
    raw = json.dumps([str(row[column]), str(row["id"])]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def after_cursor(request: Request) -> tuple[str | None, str | None]:
    """The sort value (as text, for SQL to cast) and id of ?after=<page_cursor>; (None, None) on a first page."""
    cursor = request.query_params.get("after")
    if not cursor:
        return None, None
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(value), str(uuid.UUID(row_id))
    except (ValueError, TypeError, binascii.Error):
        raise invalid("That page link is broken.", "Field: after.", "Start again from the first page.") from None


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def refused_answer(request: Request, refused: Refused | None,
                         form_page: Callable[[], Awaitable[Response]] | None = None) -> Response:
    """A refusal for the client: to a browser the page of the form that was sent, with the refusal
    on it (form_page), else an error page; to others the error shape as JSON. No refusal: the form
    page as it is."""
    if refused is None and form_page is not None:
        return await form_page()
    assert refused is not None
    if refused.registered:
        with contextlib.suppress(psycopg.Error, psycopg_pool.PoolTimeout):  # (else the 400 it was made with)
            refused.status = await registered_status(ui(request).pool, refused.code)
        refused.registered = False
    if not wants_html(request):
        return refusal_json(refused)
    response = await form_page() if form_page is not None else render(
        request, "error.html", {"refused": refused, "title": TITLES.get(refused.status, "Refused")},
        status=refused.status)
    response.status_code = refused.status
    response.headers.update(with_retry_after(refused.status, refused.headers) or {})
    return response


def page(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """A route whose refusals are answered in the error shape: no session → sign in (a browser's
    GET is sent to the sign-in form), SQL's refusals → their status, no database → 503."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except SignInRequired:
            if request.method == "GET" and wants_html(request) and "hx-request" not in request.headers:
                here = request.url.path + ("?" + request.url.query if request.url.query else "")
                return see_other(f"/login?next={quote(here)}")
            return await refused_answer(request, sign_in_required())
        except Refused as refused:
            return await refused_answer(request, refused)
        except psycopg_pool.PoolTimeout:
            return await refused_answer(request, database_unavailable())
        except psycopg.Error as exc:
            refused = refusal(exc)
            if refused is not None:
                return await refused_answer(request, refused)
            if isinstance(exc, psycopg.OperationalError):
                log.warning("page %s: database unavailable (%s)", getattr(request.scope.get("route"), "path", "?"),
                            exc.sqlstate or type(exc).__name__)
                return await refused_answer(request, database_unavailable())
            raise

    return endpoint


async def no_such_page(request: Request, exc: Exception) -> Response:
    """Starlette's 404 (no route, no static file) in the error shape."""
    return await refused_answer(request, not_found("page"))
