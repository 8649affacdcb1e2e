"""SMTP probe: connect, EHLO, optional STARTTLS, NOOP, QUIT. No mail is ever sent."""

from __future__ import annotations

import smtplib
import socket
import time
from typing import Any

from workers.probes.http import (
    client_tls_context,
    describe_connect_error,
    elapsed_ms,
    new_observation,
    tls_days_left,
)


def probe_smtp(target: dict[str, Any]) -> dict[str, Any]:
    host: str = target["host"]
    port = int(target.get("port", 25))
    timeout = float(target.get("timeout_seconds", 10))
    observation = new_observation()
    details = observation["details"]
    details["tls"] = False
    # An explicit HELO name: smtplib's default (socket.getfqdn) can stall on a DNS lookup.
    session = smtplib.SMTP(local_hostname=target.get("helo_name") or socket.gethostname(), timeout=timeout)
    session._host = host  # starttls() checks the certificate against it; only __init__ sets it
    started = time.perf_counter()
    try:
        code, banner = session.connect(host, port)
        observation.update(reachable=True, status_code=code)
        details["banner"] = _text(banner)
        if code != 220:
            raise smtplib.SMTPConnectError(code, banner)
        _ehlo(session, details)
        if target.get("starttls", False):
            _starttls(session, target, observation)
        code, _ = session.noop()
        observation["status_code"] = code
    except TimeoutError:
        observation.update(timed_out=True, error="timeout")
    except smtplib.SMTPResponseException as exc:
        observation.update(status_code=exc.smtp_code, error=f"smtp {exc.smtp_code}: {_text(exc.smtp_error)}")
    except smtplib.SMTPNotSupportedError as exc:
        observation["error"] = f"starttls not offered: {exc}"
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):  # smtplib re-raises a read timeout as this
            observation.update(timed_out=True, error="timeout")
        else:
            observation["error"] = f"disconnected: {exc}"
    except OSError as exc:  # refused, unreachable, TLS handshake failures (ssl.SSLError)
        observation["error"] = describe_connect_error(exc)
    finally:
        observation["response_time_ms"] = elapsed_ms(started)
        _quit_quietly(session)
    return observation


def _ehlo(session: smtplib.SMTP, details: dict[str, Any]) -> None:
    code, _ = session.ehlo()
    if code != 250:
        raise smtplib.SMTPHeloError(code, b"EHLO rejected")
    details["ehlo_features"] = sorted(session.esmtp_features)


def _starttls(session: smtplib.SMTP, target: dict[str, Any], observation: dict[str, Any]) -> None:
    context = client_tls_context(target.get("verify_tls", True), target.get("ca_file"))
    session.starttls(context=context)  # raises SMTPNotSupportedError when not advertised
    observation["details"]["tls"] = True
    # The certificate matters for mail too (an expired one breaks delivery), so record it here as well.
    observation["tls_days_left"] = tls_days_left(session.sock)
    _ehlo(session, observation["details"])  # features change after the upgrade (RFC 3207)


def _quit_quietly(session: smtplib.SMTP) -> None:
    try:
        if session.sock is not None:
            session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
