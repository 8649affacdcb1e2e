"""Built-in job kinds for tests, benchmarks and smoke checks; they call no external service.

    builtin.noop   returns {}                       (the benchmark's trivial handler)
    builtin.echo   returns the payload
    builtin.sleep  sleeps payload["seconds"] (0 to 3600), returns {"slept": seconds}
    builtin.fail   raises: payload["mode"] = "retryable" (Retryable, optional payload["retry_after"]),
                   "permanent" (Permanent) or anything else (an unexpected RuntimeError); the first two
                   carry payload["details"] as the failure's details
"""

from __future__ import annotations

import time

from workers.errors import Permanent, Retryable
from workers.handlers import handler


@handler("builtin.noop")
def noop(payload: dict) -> dict:
    return {}


@handler("builtin.echo")
def echo(payload: dict) -> dict:
    return payload


@handler("builtin.sleep")
def sleep(payload: dict) -> dict:
    seconds = payload.get("seconds", 1)
    if not isinstance(seconds, int | float) or not 0 <= seconds <= 3600:
        raise Permanent(f"seconds must be a number from 0 to 3600, not {seconds!r}")
    time.sleep(seconds)
    return {"slept": seconds}


@handler("builtin.fail")
def fail(payload: dict) -> dict:
    message = str(payload.get("message", "failing on purpose"))
    mode = payload.get("mode")
    details = payload.get("details")
    if mode == "retryable":
        raise Retryable(message, retry_after=payload.get("retry_after"), details=details)
    if mode == "permanent":
        raise Permanent(message, details=details)
    raise RuntimeError(message)
