"""Errors raised while reading a Sentry request; each carries the HTTP status to answer with."""


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
