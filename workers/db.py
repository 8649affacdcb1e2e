"""Connections and the mapping from pgwarden's SQLSTATEs to Python exceptions."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg


class PgwardenError(Exception):
    """A Q-class error raised by the database: code, message, detail, hint."""

    def __init__(self, code: str, message: str, detail: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.detail, self.hint = code, message, detail, hint

    def __str__(self) -> str:
        parts = [f"{self.code}: {self.message}", self.detail, self.hint]
        return "\n".join(part for part in parts if part)


def unwrap(exc: psycopg.Error) -> PgwardenError:
    """api functions raise non-400 errors in PostgREST's 'PGRST' form: recover the Q-code."""
    diag = exc.diag
    if exc.sqlstate == "PGRST":
        body = json.loads(diag.message_primary or "{}")
        return PgwardenError(body.get("code", "PGRST"), body.get("message", ""), body.get("details"),
                             body.get("hint"))
    return PgwardenError(exc.sqlstate or "?????", diag.message_primary or str(exc), diag.message_detail,
                         diag.message_hint)


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, **kwargs)


def with_login(database_url: str, user: str, password: str, scheme: str | None = None) -> str:
    """database_url with another login (user and password, quoted) at the same host and database."""
    parts = urlsplit(database_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    login = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit((scheme or parts.scheme, login, parts.path, parts.query, ""))
