"""Errors raised while reading a request (each carries the HTTP status to answer with), and how a
refusal decided in SQL is put into words."""

import math
from typing import Any


class WireError(Exception):
    """A request the ingest endpoint must refuse; `status` is the HTTP status, `detail` the reason."""

    status: int = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadPayload(WireError):
    """Malformed body, headers or key (Relay answers 400)."""

    status = 400


class Unauthorized(WireError):
    """Missing, conflicting or mismatched credentials (Relay answers 401)."""

    status = 401


class PayloadTooLarge(WireError):
    """Body or item beyond its size limit, checked after decompression (413)."""

    status = 413


def refusal_detail(error: dict[str, Any]) -> str:
    """An outcome's error (code, message, details from SQL) as one line of text."""
    return ": ".join(part for part in (error.get("message"), error.get("details")) if part)


def retry_after_seconds(value: Any) -> int:
    """The Retry-After SQL gave (whole seconds, at least 1); a minute if it gave none."""
    return max(1, math.ceil(float(value or 60)))
