"""How the web app refuses: in the one error shape {code, message, details, hint} that leaves every
part of pgwarden. A browser (it asks for text/html) sees the shape on a page: the form again with
the refusal on it, or an error page; any other client gets it as JSON. Codes are registered in
app.error_code: SQL's own, and the web app's in db/schema/800_web_app.sql."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse

from workers.db import unwrap
from workers.web.errors import DATABASE_UNAVAILABLE, error_json

SIGN_IN_REQUIRED = "QAW01"
FORM_NOT_OURS = "QAW02"
SIGN_IN_REFUSED = "QAW03"
SIGN_IN_THROTTLED = "QRW01"
INVALID_VALUE = "QVW02"
NO_SUCH_PAGE = "QNW02"
# main's codes for the same refusals elsewhere (db/schema/020_error_codes.sql, 690_web_refusals.sql)
STATEMENT_TIMEOUT = "QR002"
LENGTH_REQUIRED = "QV004"
MALFORMED = "QV690"
TOO_LARGE = "QV691"

# SQL's own refusals (Q codes) are answered with the status app.error_code registers for the code
# (pages.refused_answer asks); PostgreSQL's: 22 (a value of the wrong shape in a query string),
# 23 (a constraint), 42501 (a role without the right).
_POSTGRESQL_STATUS_BY_CLASS = {"22": 400, "23": 409}
TITLES = {400: "That request was not understood", 401: "Signed out", 403: "Not allowed", 404: "Not found",
          409: "Not possible now", 411: "That request was not understood", 413: "Too large",
          429: "Too many requests", 503: "Database unavailable"}


class Refused(Exception):
    """A refusal in the error shape, with its HTTP status (and headers such as Retry-After)."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None,
                 headers: dict[str, str] | None = None, *, registered: bool = False):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.hint = status, code, message, details, hint
        self.headers = headers or {}
        # a Q code SQL raised: its status is the registry's, looked up before answering
        self.registered = registered

    @property
    def shape(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details, "hint": self.hint}

    @property
    def sentence(self) -> str:
        """The refusal in words, for a notice on the page that was sent."""
        return " ".join(part for part in (self.message, self.details, self.hint) if part)


def not_found(what: str) -> Refused:
    return Refused(404, NO_SUCH_PAGE, f"No such {what}.", hint="Follow a link from the list instead.")


def invalid(message: str, details: str | None = None, hint: str | None = None) -> Refused:
    return Refused(400, INVALID_VALUE, message, details, hint)


def form_not_ours() -> Refused:
    return Refused(403, FORM_NOT_OURS, "This form has expired or did not come from pgwarden.",
                   hint="Reload the page and try again.")


def sign_in_required() -> Refused:
    return Refused(401, SIGN_IN_REQUIRED, "Your session has ended. Sign in again.", hint="Sign in at /login.")


def database_unavailable() -> Refused:
    return Refused(503, DATABASE_UNAVAILABLE, "The database does not answer.", hint="Try again shortly.")


def refusal(exc: psycopg.Error) -> Refused | None:
    """A refusal SQL raised, with the HTTP status its code is registered with; None for a fault."""
    failure = unwrap(exc)
    headers: dict[str, str] = {}
    if exc.sqlstate == "PGRST":  # app.raise_http: the status (and headers) are in its detail
        answer = json.loads(exc.diag.message_detail or "{}")
        status, headers = answer.get("status"), answer.get("headers") or {}
    elif failure.code == "57014":  # the role's statement_timeout, answered as main's api functions do
        return Refused(429, STATEMENT_TIMEOUT, "statement timeout", "The page took longer than your role may take.",
                       "Retry later; if it keeps happening, narrow the filters or the time range.")
    elif failure.code.startswith("Q"):
        return Refused(400, failure.code, failure.message, failure.detail or None, failure.hint or None,
                       registered=True)
    else:
        status = _POSTGRESQL_STATUS_BY_CLASS.get(failure.code[:2]) or (403 if failure.code == "42501" else None)
    if status is None:
        return None
    message = failure.message if failure.code.startswith("Q") else TITLES.get(status, "Refused")
    return Refused(status, failure.code, message, failure.detail or None, failure.hint or None, headers)


def wants_html(request: Request) -> bool:
    """Whether the client is a browser showing pages (a navigation or form asks for text/html)."""
    return "text/html" in request.headers.get("accept", "")


def refusal_json(refused: Refused) -> JSONResponse:
    return error_json(refused.status, refused.code, refused.message, refused.details, refused.hint,
                      headers=refused.headers or None)
