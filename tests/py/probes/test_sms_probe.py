"""The SMS probe is the HTTP probe pointed at the provider's account/status resource."""

from servers import ScriptedHttpServer, ScriptedResponse

from workers.probes.sms import probe_sms

pytest_plugins = ["servers"]

ACCOUNT_PATH = "/2010-04-01/Accounts/AC0123456789.json"  # a Twilio-shaped status call
CREDENTIALS = {"Authorization": "Basic QUMwMTIzNDU2Nzg5OnRva2Vu"}


def test_provider_status_call_sends_the_credentials_and_keeps_the_body(
    http_server: ScriptedHttpServer,
) -> None:
    http_server.script(
        ACCOUNT_PATH, ScriptedResponse(200, '{"status": "active"}', {"Content-Type": "application/json"})
    )

    observation = probe_sms({"url": http_server.url + ACCOUNT_PATH, "headers": CREDENTIALS})

    assert (observation["reachable"], observation["status_code"]) == (True, 200)
    assert observation["body"] == '{"status": "active"}'  # SQL checks the account status
    (request,) = http_server.requests
    assert (request.method, request.headers["authorization"]) == ("GET", CREDENTIALS["Authorization"])


def test_provider_rejecting_the_credentials_is_observed_as_401_not_judged(
    http_server: ScriptedHttpServer,
) -> None:
    http_server.script(ACCOUNT_PATH, ScriptedResponse(401, '{"code": 20003, "message": "Authenticate"}'))

    observation = probe_sms({"url": http_server.url + ACCOUNT_PATH, "headers": {}})

    assert (observation["reachable"], observation["status_code"], observation["error"]) == (True, 401, None)


def test_slow_provider_past_timeout_is_observed_as_timed_out(http_server: ScriptedHttpServer) -> None:
    http_server.script(ACCOUNT_PATH, ScriptedResponse(200, "{}", delay_seconds=5))

    observation = probe_sms({"url": http_server.url + ACCOUNT_PATH, "timeout_seconds": 0.3})

    assert (observation["timed_out"], observation["reachable"], observation["error"]) == (
        True,
        False,
        "timeout",
    )
