"""Stripe probe: one cheap read through the official SDK, reported as an observation.

The SDK's error classes map to HTTP statuses here; what a 401 or 429 *means* for health
(config problem vs. back off vs. outage) is decided in SQL.
"""

from __future__ import annotations

import time
from typing import Any

import requests
import stripe

from workers.probes.http import describe_connect_error, elapsed_ms, new_observation

CHECKS = {
    # The spec's probe: stripe.paymentIntents.list({limit: 1}).
    "payment_intents": lambda client: client.v1.payment_intents.list(params={"limit": 1}),
    # The cheapest read (a singleton, no pagination); needs Balance:read on restricted keys.
    "balance": lambda client: client.v1.balance.retrieve(),
}

# Statuses the SDK implies by its error class, for errors raised without one.
STATUS_BY_ERROR = {
    stripe.AuthenticationError: 401,
    stripe.PermissionError: 403,
    stripe.RateLimitError: 429,
}


def probe_stripe(target: dict[str, Any]) -> dict[str, Any]:
    check = target.get("check", "payment_intents")
    if check not in CHECKS:
        raise ValueError(f"unknown stripe check {check!r}; expected one of {sorted(CHECKS)}")
    # RequestsClient is the SDK's own default transport; we only shorten its 80 s timeout.
    http_client = stripe.RequestsClient(timeout=float(target.get("timeout_seconds", 10)))
    client = stripe.StripeClient(
        target["api_key"],
        base_addresses={"api": target.get("api_base") or stripe.DEFAULT_API_BASE},
        http_client=http_client,
        max_network_retries=0,  # one probe = one request; retries are the scheduler's job
    )
    observation = new_observation()
    details = observation["details"]
    details["check"] = check
    started = time.perf_counter()
    try:
        result = CHECKS[check](client)
        observation.update(reachable=True, status_code=200)
        details["object"] = getattr(result, "object", None)
        details["request_id"] = _request_id(result)
    except stripe.APIConnectionError as exc:
        timed_out = _caused_by(exc, requests.exceptions.Timeout)
        error = "timeout" if timed_out else describe_connect_error(exc.__cause__ or exc)
        observation.update(timed_out=timed_out, error=error)
    except stripe.StripeError as exc:
        status = exc.http_status or _implied_status(exc)
        observation.update(reachable=status is not None, status_code=status)
        observation["error"] = f"{type(exc).__name__}: {exc.user_message or 'no message'}"
        error = _error_body(exc)
        details.update(error_type=error.get("type"), error_code=error.get("code"), request_id=exc.request_id)
    finally:
        observation["response_time_ms"] = elapsed_ms(started)
        http_client.close()
    return observation


def _implied_status(exc: stripe.StripeError) -> int | None:
    return next((status for cls, status in STATUS_BY_ERROR.items() if isinstance(exc, cls)), None)


def _error_body(exc: stripe.StripeError) -> dict[str, Any]:
    """Stripe's {"error": {...}} object, or {} when the body was not Stripe JSON (e.g. a proxy's 502)."""
    body = exc.json_body
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _request_id(result: Any) -> str | None:
    response = getattr(result, "last_response", None)
    return response.request_id if response is not None else None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
