"""What a handler raises to tell the runner how to record a failure (policy stays in SQL)."""

from __future__ import annotations


class Retryable(Exception):
    """Try again later; `retry_after` (seconds) overrides SQL's backoff when the service said so.
    `details` (JSON-able dict: status code, latency, the provider's error) is kept with the attempt."""

    def __init__(self, message: str, retry_after: float | None = None, details: dict | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.details = details


class Permanent(Exception):
    """Retrying cannot help (bad input, rejected credentials): the job goes dead at once.
    `details` as for Retryable."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.details = details


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (its class name when it has none), for one-line logs."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
