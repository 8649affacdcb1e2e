"""email: one SMTP message per recipient, HTML and plain text rendered from the Jinja2 templates
in templates/ (HTML autoescaped).

destination: {"to": "ops@example.com"}. The server and the sender come from the worker's
environment, never from the database:

    PGWARDEN_SMTP_HOST      required
    PGWARDEN_SMTP_SECURITY  none | starttls | tls (implicit TLS); default starttls
    PGWARDEN_SMTP_PORT      default 25 (none), 587 (starttls), 465 (tls)
    PGWARDEN_SMTP_USERNAME, PGWARDEN_SMTP_PASSWORD   optional; AUTH after TLS
    PGWARDEN_SMTP_FROM      the From address; default pgwarden@<host name>
    PGWARDEN_SMTP_CA_FILE   optional: trust this CA too (a private relay's certificate)

Outcome: the reply to DATA (250 …) is the provider response. Connection errors, timeouts and 4xx
replies are retried; a 5xx refusal of the recipient marks the destination broken; any other 5xx
(sender refused, authentication failed, message rejected) is permanent.
The Message-ID is derived from webhook_id, so a retried delivery is the same message to the
recipient's mail client; replies of one incident thread under its incident id.
"""

from __future__ import annotations

import os
import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate
from typing import Any

from workers.alerts.delivery import Delivery, headline
from workers.alerts.render import render
from workers.probes.http import client_tls_context, describe_connect_error

SECURITIES = {"none": 25, "starttls": 587, "tls": 465}


class SmtpNotConfigured(Exception):
    pass


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    sender: str
    ca_file: str | None

    @classmethod
    def from_env(cls) -> SmtpConfig:
        env = os.environ
        host = env.get("PGWARDEN_SMTP_HOST", "").strip()
        if not host:
            raise SmtpNotConfigured("PGWARDEN_SMTP_HOST is not set in the worker's environment")
        security = (env.get("PGWARDEN_SMTP_SECURITY") or "starttls").strip().lower()
        if security not in SECURITIES:
            raise SmtpNotConfigured(f"PGWARDEN_SMTP_SECURITY must be none, starttls or tls, not {security!r}")
        try:
            port = int(env.get("PGWARDEN_SMTP_PORT") or SECURITIES[security])
        except ValueError:
            raise SmtpNotConfigured("PGWARDEN_SMTP_PORT is not a number") from None
        return cls(host=host, port=port, security=security, username=env.get("PGWARDEN_SMTP_USERNAME") or None,
                   password=env.get("PGWARDEN_SMTP_PASSWORD") or None,
                   sender=env.get("PGWARDEN_SMTP_FROM") or f"pgwarden@{socket.gethostname()}",
                   ca_file=env.get("PGWARDEN_SMTP_CA_FILE") or None)


def send_email(delivery: Delivery) -> dict[str, Any]:
    recipient = delivery.destination.get("to")
    if not isinstance(recipient, str) or "@" not in recipient:
        raise delivery.permanent("destination.to is not an e-mail address", broken=True)
    try:
        config = SmtpConfig.from_env()
    except SmtpNotConfigured as exc:
        raise delivery.permanent(str(exc)) from None
    delivery.hide(config.password)
    message = compose(delivery, config.sender, recipient)
    delivery.start()
    session: smtplib.SMTP | None = None
    try:
        session = _open(config, delivery)
        _expect(delivery, session.mail(config.sender), "sender")
        _expect(delivery, session.rcpt(recipient), "recipient")
        code, reply = session.data(message.as_bytes())
        _expect(delivery, (code, reply), "message")
        return delivery.succeeded(code, f"{code} {_text(reply)}")
    except smtplib.SMTPResponseException as exc:  # from connect, EHLO, STARTTLS or AUTH
        raise _refusal(delivery, exc.smtp_code, exc.smtp_error, "server") from None
    except TimeoutError:
        raise delivery.retryable("timeout") from None
    except smtplib.SMTPServerDisconnected as exc:
        raise delivery.retryable(f"disconnected: {exc}") from None
    except smtplib.SMTPException as exc:  # STARTTLS or AUTH not offered: our settings do not fit the server
        raise delivery.permanent(str(exc)) from None
    except OSError as exc:  # refused, unreachable, TLS handshake
        raise delivery.retryable(describe_connect_error(exc)) from None
    finally:
        if session is not None:
            _quit_quietly(session)


def compose(delivery: Delivery, sender: str, recipient: str) -> EmailMessage:
    notification = delivery.notification
    message = EmailMessage(policy=SMTP_POLICY)  # CRLF line ends: smtplib sends bytes as they are
    message["Subject"] = headline(notification)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "pgwarden"
    message["Message-ID"] = f"<{delivery.webhook_id or delivery.delivery_id}@{domain}>"
    if notification.get("incident_id"):
        message["References"] = f"<incident-{notification['incident_id']}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to alerts
    message.set_content(render("notification.txt", notification))
    message.add_alternative(render("notification.html", notification), subtype="html")
    return message


def _open(config: SmtpConfig, delivery: Delivery) -> smtplib.SMTP:
    # An explicit HELO name: smtplib's default (socket.getfqdn) can stall on a DNS lookup.
    helo, timeout = socket.gethostname(), delivery.timeouts.connect
    context = client_tls_context(True, config.ca_file)
    if config.security == "tls":
        session = smtplib.SMTP_SSL(config.host, config.port, local_hostname=helo, timeout=timeout, context=context)
    else:
        session = smtplib.SMTP(config.host, config.port, local_hostname=helo, timeout=timeout)
    session.sock.settimeout(delivery.timeouts.total)  # connected: now each read may take longer
    session.ehlo()
    if config.security == "starttls":
        session.starttls(context=context)
        session.ehlo()
    if config.username:
        session.login(config.username, config.password or "")
    return session


def _expect(delivery: Delivery, reply: tuple[int, bytes], step: str) -> None:
    code, text = reply
    if code not in (250, 251):
        raise _refusal(delivery, code, text, step)


def _refusal(delivery: Delivery, code: int, text: bytes | str, step: str) -> Exception:
    error = f"{step} refused: {code} {_text(text)}"
    if 400 <= code < 500:
        return delivery.retryable(error, status_code=code)
    return delivery.permanent(error, status_code=code, broken=step == "recipient" and code >= 500)


def _quit_quietly(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
