"""Local stand-ins for the services alerts are delivered to, on 127.0.0.1, speaking their real
protocols: a Slack-shaped incoming webhook, a PagerDuty-shaped Events API v2, a Standard Webhooks
receiver that verifies every signature, and an SMTP server (aiosmtpd) that records messages.

Each HTTP stand-in answers as the real service does unless told otherwise with then(...): the
scripted answers are used one per request, in order, before the normal answers resume.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from standardwebhooks import Webhook, WebhookVerificationError

sys.path.insert(0, str(Path(__file__).parent.parent / "probes"))  # the probe tests' local servers
from servers import (  # noqa: E402
    RecordedRequest,
    ScriptedHttpServer,
    ScriptedResponse,
    SelfSignedCertificate,
    free_port,
)

__all__ = ["PagerDutyStub", "RecordingSmtp", "ScriptedResponse", "SlackStub", "WebhookReceiver"]


class QueuedAnswers(ScriptedHttpServer):
    """One path; scripted answers first (then(...)), the service's normal answer afterwards."""

    path = "/"

    def __init__(self) -> None:
        super().__init__()
        self._scripted: deque[ScriptedResponse] = deque()
        self.route(self.path, self._answer)

    def then(self, *responses: ScriptedResponse) -> None:
        self._scripted.extend(responses)

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        if self._scripted:
            return self._scripted.popleft()
        return self.normal_answer(request)

    def normal_answer(self, request: RecordedRequest) -> ScriptedResponse:
        raise NotImplementedError

    def bodies(self) -> list[dict]:
        return [json.loads(request.body) for request in self.requests]


class SlackStub(QueuedAnswers):
    """An incoming webhook: 200 `ok` for a well-formed message, 400 `invalid_payload` otherwise."""

    path = "/services/T0PGWARDEN/B0ALERTS/s3cretTokenPath0123456789"

    @property
    def webhook_url(self) -> str:
        return self.url + self.path

    def normal_answer(self, request: RecordedRequest) -> ScriptedResponse:
        try:
            message = json.loads(request.body)
        except ValueError:
            return ScriptedResponse(400, "invalid_payload")
        if not message.get("text") and not message.get("blocks"):
            return ScriptedResponse(400, "no_text")
        return ScriptedResponse(200, "ok", {"Content-Type": "text/html"})


ROUTING_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY32"  # 32 characters, like an integration key
SEVERITIES = {"critical", "error", "warning", "info"}


def pagerduty_error(*errors: str) -> ScriptedResponse:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}
    return ScriptedResponse(400, json.dumps(body), {"Content-Type": "application/json"})


class PagerDutyStub(QueuedAnswers):
    """Events API v2 `/v2/enqueue`: validates an event as PagerDuty documents it; 202 when valid."""

    path = "/v2/enqueue"
    routing_key = ROUTING_KEY

    @property
    def events_url(self) -> str:
        return self.url + self.path

    def normal_answer(self, request: RecordedRequest) -> ScriptedResponse:
        try:
            event = json.loads(request.body)
        except ValueError:
            return pagerduty_error("Malformed JSON")
        if len(event.get("routing_key") or "") != 32:
            return pagerduty_error("Length of 'routing_key' is incorrect (should be 32 characters)")
        if event.get("routing_key") != self.routing_key:
            return pagerduty_error("Invalid routing key")
        if event.get("event_action") not in ("trigger", "acknowledge", "resolve"):
            return pagerduty_error("'event_action' is invalid")
        if event["event_action"] == "trigger":
            payload = event.get("payload") or {}
            missing = [key for key in ("summary", "source", "severity") if not payload.get(key)]
            if missing or payload["severity"] not in SEVERITIES:
                return pagerduty_error(*(f"'payload.{key}' is missing or blank" for key in missing or ["severity"]))
        body = {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key")}
        return ScriptedResponse(202, json.dumps(body), {"Content-Type": "application/json"})


WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class WebhookReceiver(QueuedAnswers):
    """Verifies each delivery with standardwebhooks' Webhook.verify and records what it saw;
    answers 204, or 401 for a request whose signature does not verify."""

    path = "/hooks/pgwarden"

    def __init__(self, secret: str = WEBHOOK_SECRET) -> None:
        self.verifier = Webhook(secret)
        self.verified: list[tuple[str, dict]] = []  # (webhook-id, body) of each verified request
        self.rejected = 0
        super().__init__()

    @property
    def hook_url(self) -> str:
        return self.url + self.path

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        try:
            body = self.verifier.verify(request.body, request.headers)
        except WebhookVerificationError:
            self.rejected += 1
            return ScriptedResponse(401, "bad signature")
        self.verified.append((request.headers["webhook-id"], body))
        return super()._answer(request)

    def normal_answer(self, request: RecordedRequest) -> ScriptedResponse:
        return ScriptedResponse(204)

    def webhook_ids(self) -> list[str]:
        return [webhook_id for webhook_id, _ in self.verified]


@dataclass
class RecordingSmtp:
    """aiosmtpd handler: keeps every accepted message; refuses the recipients and DATA it is told to."""

    refuse_recipient: dict[str, deque[str]] = field(default_factory=dict)  # address -> replies, one per try,
    #                                                                         the last one repeated
    refuse_data: deque[str] = field(default_factory=deque)
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        replies = self.refuse_recipient.get(address)
        reply = (replies.popleft() if len(replies) > 1 else replies[0]) if replies else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_data:
            return self.refuse_data.popleft()
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Ok: queued as PGW123"


def start_smtp(handler: RecordingSmtp, certificate: SelfSignedCertificate | None = None,
               credentials: tuple[str, str] | None = None) -> Controller:
    """An SMTP server on 127.0.0.1; with a certificate it offers STARTTLS, with credentials it
    requires AUTH (after STARTTLS)."""
    options: dict = {}
    if certificate is not None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(certificate.cert_file, certificate.key_file)
        options.update(tls_context=tls, require_starttls=True)
    if credentials is not None:
        login, password = credentials

        def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and auth_data == (login.encode(), password.encode())
            return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535 itself

        options.update(authenticator=authenticate, auth_required=True)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller
