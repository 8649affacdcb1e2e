"""The Stripe probe goes through the official SDK against a local Stripe-shaped stub."""

import json

import pytest
from servers import STRIPE_BALANCE, ScriptedResponse, StripeStub, stripe_error

from workers.probes.stripe_api import probe_stripe

pytest_plugins = ["servers"]


def probe(stub: StripeStub, **target: object) -> dict:
    return probe_stripe({"api_key": stub.api_key, "api_base": stub.api_base, **target})


def test_payment_intents_list_through_the_sdk_is_observed_as_200(stripe_stub: StripeStub) -> None:
    observation = probe(stripe_stub)  # the spec's check is the default

    assert (observation["reachable"], observation["status_code"], observation["error"]) == (True, 200, None)
    assert observation["details"]["object"] == "list"
    assert observation["details"]["request_id"] == "req_stub_ok"
    (request,) = stripe_stub.requests
    assert (request.path, request.query) == ("/v1/payment_intents", {"limit": ["1"]})
    assert json.loads(json.dumps(observation)) == observation


def test_balance_check_reads_the_balance_singleton(stripe_stub: StripeStub) -> None:
    observation = probe(stripe_stub, check="balance")

    assert (observation["status_code"], observation["details"]["object"]) == (200, "balance")
    assert stripe_stub.request_count("/v1/balance") == 1


def test_wrong_stripe_key_is_observed_as_401_through_the_sdk(stripe_stub: StripeStub) -> None:
    observation = probe(stripe_stub, api_key="sk_test_revoked_key_0000")

    assert (observation["reachable"], observation["status_code"]) == (True, 401)
    assert observation["error"].startswith("AuthenticationError: Invalid API Key provided")
    assert observation["details"]["error_type"] == "invalid_request_error"


def test_restricted_key_without_permission_is_observed_as_403(stripe_stub: StripeStub) -> None:
    stripe_stub.override(
        "/v1/balance",
        stripe_error(403, "invalid_request_error", "The provided key does not have the required permissions"),
    )

    observation = probe(stripe_stub, check="balance")

    assert (observation["reachable"], observation["status_code"]) == (True, 403)
    assert observation["error"].startswith("PermissionError")


def test_rate_limit_is_observed_as_429(stripe_stub: StripeStub) -> None:
    stripe_stub.override(
        "/v1/payment_intents", stripe_error(429, "invalid_request_error", "Too many requests", "rate_limit")
    )

    observation = probe(stripe_stub)

    assert (observation["reachable"], observation["status_code"]) == (True, 429)
    assert observation["details"]["error_code"] == "rate_limit"


def test_a_stripe_500_is_observed_once_without_sdk_retries(stripe_stub: StripeStub) -> None:
    stripe_stub.override(
        "/v1/payment_intents", stripe_error(500, "api_error", "Something went wrong on Stripe's end")
    )

    observation = probe(stripe_stub)

    assert (observation["reachable"], observation["status_code"]) == (True, 500)
    assert observation["details"]["error_type"] == "api_error"
    assert stripe_stub.request_count("/v1/payment_intents") == 1  # the scheduler retries, not the SDK


def test_a_proxy_502_without_stripe_json_is_still_observed_by_its_status(stripe_stub: StripeStub) -> None:
    stripe_stub.override(
        "/v1/balance", ScriptedResponse(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})
    )

    observation = probe(stripe_stub, check="balance")

    assert (observation["reachable"], observation["status_code"]) == (True, 502)


def test_slow_stripe_past_timeout_is_observed_as_timed_out(stripe_stub: StripeStub) -> None:
    stripe_stub.override("/v1/balance", ScriptedResponse(200, json.dumps(STRIPE_BALANCE), delay_seconds=5))

    observation = probe(stripe_stub, check="balance", timeout_seconds=0.3)

    assert (observation["timed_out"], observation["reachable"], observation["error"]) == (
        True,
        False,
        "timeout",
    )
    assert observation["status_code"] is None
    assert stripe_stub.request_count("/v1/balance") == 1


def test_unreachable_stripe_is_observed_as_a_refused_connection(closed_port: int) -> None:
    observation = probe_stripe(
        {"api_key": "sk_test_x", "api_base": f"http://127.0.0.1:{closed_port}", "timeout_seconds": 0.5}
    )

    assert (observation["reachable"], observation["timed_out"]) == (False, False)
    assert observation["error"].startswith("connect refused")


def test_an_unknown_check_is_a_configuration_error_not_an_observation() -> None:
    with pytest.raises(ValueError, match="unknown stripe check"):
        probe_stripe({"api_key": "sk_test_x", "api_base": "http://127.0.0.1:9", "check": "charges"})
