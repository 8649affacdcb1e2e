"""The SMTP probe greets, asks EHLO, optionally STARTTLS, NOOPs and quits; no mail is sent."""

import json

from aiosmtpd.controller import Controller
from servers import CERTIFICATE_DAYS, SelfSignedCertificate

from workers.probes.smtp import probe_smtp

pytest_plugins = ["servers"]


def test_smtp_server_is_observed_with_banner_features_and_noop_code(smtp_server: Controller) -> None:
    observation = probe_smtp({"host": smtp_server.hostname, "port": smtp_server.port})

    assert (observation["reachable"], observation["status_code"], observation["error"]) == (True, 250, None)
    assert observation["details"]["banner"]  # the text after 220, e.g. the server's name
    assert "8bitmime" in observation["details"]["ehlo_features"]
    assert observation["details"]["tls"] is False and observation["tls_days_left"] is None
    assert json.loads(json.dumps(observation)) == observation


def test_starttls_upgrades_the_session_and_reports_certificate_expiry(
    smtp_server_with_starttls: Controller, certificate: SelfSignedCertificate
) -> None:
    server = smtp_server_with_starttls
    target = {
        "host": server.hostname,
        "port": server.port,
        "starttls": True,
        "ca_file": certificate.cert_file,
    }

    observation = probe_smtp(target)

    assert (observation["reachable"], observation["status_code"], observation["error"]) == (True, 250, None)
    assert observation["details"]["tls"] is True
    assert "starttls" not in observation["details"]["ehlo_features"]  # features as re-announced over TLS
    assert observation["tls_days_left"] == CERTIFICATE_DAYS - 1


def test_starttls_with_an_untrusted_certificate_is_observed_as_a_tls_failure(
    smtp_server_with_starttls: Controller,
) -> None:
    server = smtp_server_with_starttls

    observation = probe_smtp({"host": server.hostname, "port": server.port, "starttls": True})

    assert observation["reachable"] is True  # the banner arrived before the handshake failed
    assert observation["error"].startswith("tls verify failed")


def test_starttls_requested_but_not_offered_is_observed_as_an_error(smtp_server: Controller) -> None:
    observation = probe_smtp({"host": smtp_server.hostname, "port": smtp_server.port, "starttls": True})

    assert observation["reachable"] is True
    assert observation["error"].startswith("starttls not offered")


def test_server_that_never_greets_is_observed_as_timed_out(silent_port: int) -> None:
    observation = probe_smtp({"host": "127.0.0.1", "port": silent_port, "timeout_seconds": 0.3})

    assert (observation["timed_out"], observation["reachable"], observation["error"]) == (
        True,
        False,
        "timeout",
    )
    assert observation["status_code"] is None


def test_connection_refused_is_observed_as_unreachable(closed_port: int) -> None:
    observation = probe_smtp({"host": "127.0.0.1", "port": closed_port, "timeout_seconds": 0.5})

    assert (observation["reachable"], observation["timed_out"]) == (False, False)
    assert observation["error"].startswith("connect refused")
