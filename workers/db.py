"""Connections and the mapping from pgwarden's SQLSTATEs to Python exceptions."""

from __future__ import annotations

import json

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
