"""Errors raised while reading a request (each carries its HTTP status and registered code), the
one error shape every refusal of `pgwarden web` is answered with, and how failures are logged
(the code and where, never the request's data)."""

import logging
import math
import traceback
from typing import Any

from starlette.responses import JSONResponse

from workers import sql


class WireError(Exception):
    """A request the ingest endpoint must refuse; `status` is the HTTP status, `code` its registered
    Q-code (db/schema/690_web_refusals.sql), `detail` the reason."""

    status: int = 400
    code: str = "QV690"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadPayload(WireError):
    """Malformed body, headers or key (Relay answers 400)."""

    status = 400
    code = "QV690"


class Unauthorized(WireError):
    """Missing, conflicting or mismatched credentials (Relay answers 401)."""

    status = 401
    code = "QA690"


class PayloadTooLarge(WireError):
    """Body or item beyond its size limit, checked after decompression (413)."""

    status = 413
    code = "QV691"


# Not for client input: the database could not be reached (503, Retry-After tells when to try again).
DATABASE_UNAVAILABLE = "QR003"
# An exception no route expected (a bug): still a refusal in the error shape, never a 5xx.
UNEXPECTED = "QV699"
# The one Retry-After of a refusal that does not compute its own wait (the database does not
# answer, a statement timeout): app.retry_after_seconds() in SQL, which cannot be asked while the
# database is down, hence written here too (tests/py/test_error_shape.py compares them).
RETRY_AFTER_SECONDS = 5


def error_body(code: str, message: str, details: str | None = None, hint: str | None = None) -> dict[str, Any]:
    """The one error shape (PostgREST's): {code, message, details, hint}."""
    return {"code": code, "message": message, "details": details, "hint": hint}


def with_retry_after(status: int, headers: dict[str, str] | None) -> dict[str, str] | None:
    """Every 429 (and 503) says when to try again: its own Retry-After, else the one setting."""
    if status in (429, 503) and "Retry-After" not in (headers or {}):
        return {**(headers or {}), "Retry-After": str(RETRY_AFTER_SECONDS)}
    return headers


def error_json(status: int, code: str, message: str, details: str | None = None, hint: str | None = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details, hint), status_code=status,
                        headers=with_retry_after(status, headers))


def problem_json(problem: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem SQL answered with (app.problem: code, message, details, hint, http_status[, retry_after]):
    its status, and Retry-After when it says when to try again."""
    retry = {"Retry-After": str(retry_after_seconds(problem["retry_after"]))} if "retry_after" in problem else {}
    return error_json(int(problem.get("http_status") or 400), problem["code"], problem["message"],
                      problem.get("details"), problem.get("hint"), headers={**(headers or {}), **retry} or None)


async def registered_status(pool: Any, code: str) -> int:
    """The HTTP status a Q-code SQL raised is registered with (app.error_code; 400 for another code)."""
    async with pool.connection() as conn:
        return (await (await conn.execute(sql.ERROR_HTTP_STATUS, [code])).fetchone())[0]


def database_unavailable_json(headers: dict[str, str] | None = None) -> JSONResponse:
    return error_json(503, DATABASE_UNAVAILABLE, "database unavailable", hint="Try again shortly.", headers=headers)


def wire_error_json(exc: WireError, headers: dict[str, str] | None = None) -> JSONResponse:
    return error_json(exc.status, exc.code, exc.detail, headers=headers)


def unknown_field(document: dict[str, Any], accepted: tuple[str, ...]) -> str | None:
    """The first key of a JSON body that is none of the accepted fields (a typo named, not ignored)."""
    return next((key for key in document if key not in accepted), None)


def unknown_field_hint(accepted: tuple[str, ...]) -> str:
    return "Send only these fields: " + ", ".join(accepted) + "."


def refusal_detail(error: dict[str, Any]) -> str:
    """A refusal's message and details as one line of text (Sentry's X-Sentry-Error header)."""
    return ": ".join(part for part in (error.get("message"), error.get("details")) if part)


def retry_after_seconds(value: Any) -> int:
    """The Retry-After SQL gave (whole seconds, at least 1); the one setting if it gave none."""
    return max(1, math.ceil(float(value or RETRY_AFTER_SECONDS)))


def log_failure(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Log a failure by its kind, SQLSTATE and where it happened. Not its message: a database
    error's message, detail and context (and many Python ones) quote the data that caused it."""
    frames = "; ".join(f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
                       for frame in traceback.extract_tb(exc.__traceback__)[-6:])
    sqlstate = getattr(exc, "sqlstate", None)
    log.error("%s: %s%s at %s", what, type(exc).__name__, f" (SQLSTATE {sqlstate})" if sqlstate else "",
              frames or "?")
