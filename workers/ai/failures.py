"""How a provider's failure steers the job (both SDKs raise the same family of errors): 408, 409,
429 and 5xx, timeouts and connection errors are worth another attempt (429 and 503 after the
provider's Retry-After); anything else (401, 403, 400, 404: a key, a model or a request the provider
rejects) is not."""

from __future__ import annotations

import email.utils
import time
from types import ModuleType
from typing import Any

from workers.errors import Permanent, Retryable

RETRYABLE_STATUS = {408, 409, 429}


def retry_after_seconds(headers: Any) -> float | None:
    """retry-after-ms, else retry-after in seconds or as an HTTP date; None when absent or unreadable."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def classify(exc: Exception, sdk: ModuleType, provider: str) -> Retryable | Permanent:
    """The job outcome for an SDK exception (`sdk`: the anthropic or openai module)."""
    if isinstance(exc, sdk.APITimeoutError):
        return Retryable(f"{provider}: timed out", details={"provider": provider, "error": "timeout"})
    if isinstance(exc, sdk.APIConnectionError):
        return Retryable(f"{provider}: connection failed", details={"provider": provider, "error": "connection"})
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        message = f"{provider}: HTTP {status}: {_short(exc)}"
        details = {"provider": provider, "status": status}
        if status in RETRYABLE_STATUS or status >= 500:
            return Retryable(message, retry_after=retry_after_seconds(exc.response.headers), details=details)
        return Permanent(message, details=details)
    if isinstance(exc, sdk.APIResponseValidationError):  # a 2xx body that is not the API's (a proxy's page)
        return Retryable(f"{provider}: unexpected response: {_short(exc)}", details={"provider": provider})
    return Permanent(f"{provider}: {type(exc).__name__}: {_short(exc)}", details={"provider": provider})


def _short(exc: Exception) -> str:
    return (str(getattr(exc, "message", None) or exc).strip().splitlines() or [""])[0][:300]
