"""What every channel shares: the delivery in hand, its deadline, the redaction of its secrets,
and the two outcome shapes SQL reads (see the package docstring)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from workers.errors import Permanent, Retryable

TEXT_LIMIT = 500  # provider_response / provider_error, as the contract says
REDACTED = "[redacted]"
CONNECT_TIMEOUT_ENV = "PGWARDEN_ALERT_CONNECT_TIMEOUT_SECONDS"
TOTAL_TIMEOUT_ENV = "PGWARDEN_ALERT_TIMEOUT_SECONDS"
DEFAULT_CONNECT_SECONDS = 5.0
DEFAULT_TOTAL_SECONDS = 30.0  # Standard Webhooks suggests 15-30 s per request
KIND_LABELS = {"firing": None, "resolved": "RESOLVED", "test": "TEST"}

T = TypeVar("T")


@dataclass(frozen=True)
class Timeouts:
    connect: float
    total: float

    @classmethod
    def from_env(cls) -> Timeouts:
        return cls(connect=_seconds(CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_SECONDS),
                   total=_seconds(TOTAL_TIMEOUT_ENV, DEFAULT_TOTAL_SECONDS))


def _seconds(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable) or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass
class Delivery:
    """One alerts.deliver job's payload, plus what the attempt learns while sending it."""

    delivery_id: str
    channel: str
    destination: dict[str, Any]
    webhook_id: str
    notification: dict[str, Any]
    timeouts: Timeouts = field(default_factory=Timeouts.from_env)
    _secrets: list[str] = field(default_factory=list)
    _started: float | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Delivery:
        """Parse the job's payload; a malformed one is a Permanent failure (SQL built it wrong)."""
        destination, notification = payload.get("destination"), payload.get("notification")
        delivery = cls(delivery_id=str(payload.get("delivery_id") or ""), channel=str(payload.get("channel") or ""),
                       destination=destination if isinstance(destination, dict) else {},
                       webhook_id=str(payload.get("webhook_id") or ""),
                       notification=notification if isinstance(notification, dict) else {})
        for key, value in delivery.destination.items():  # URLs, secrets, keys: all but the e-mail address
            if not isinstance(value, str) or key == "to":
                continue
            if "://" in value:
                delivery.hide_url(value)
            else:
                delivery.hide(value)
        missing = [name for name, value in (("delivery_id", delivery.delivery_id), ("channel", delivery.channel),
                                            ("destination", delivery.destination),
                                            ("notification", delivery.notification)) if not value]
        if missing:
            raise delivery.permanent(f"the payload lacks {', '.join(missing)}")
        return delivery

    # -- secrets

    def hide(self, secret: str | None) -> None:
        """Never let this text appear in a result, a failure or the worker's log."""
        if secret and len(secret) >= 4:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)  # longest first: a URL before its path

    def hide_url(self, url: str) -> None:
        """A URL's path and query carry its token (Slack, Discord, …); only scheme and host may show."""
        self.hide(url)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            self.hide(parts.path + (f"?{parts.query}" if parts.query else ""))
            self.hide(parts.path if parts.path != "/" else None)
            for segment in parts.path.split("/"):
                self.hide(segment if len(segment) >= 12 else None)
        else:  # apprise: everything after the scheme is credentials and ids
            self.hide(url.partition("://")[2])

    def redact(self, text: str | None) -> str:
        text = " ".join(str(text or "").split())  # one line: a reply's newlines say nothing here
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return shorten(text, TEXT_LIMIT)

    # -- timing

    def start(self) -> None:
        """The network part begins: latency is measured from here."""
        self._started = time.perf_counter()

    def latency_ms(self) -> float | None:
        return None if self._started is None else round((time.perf_counter() - self._started) * 1000, 1)

    # -- outcomes

    def succeeded(self, status_code: int | None, response: str | None) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "channel": self.channel, "status_code": status_code,
                "latency_ms": self.latency_ms(), "provider_response": self.redact(response)}

    def details(self, error: str, status_code: int | None, broken: bool) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "channel": self.channel, "status_code": status_code,
                "latency_ms": self.latency_ms(), "provider_error": self.redact(error), "broken": broken}

    def retryable(self, error: str, *, status_code: int | None = None,
                  retry_after: float | None = None) -> Retryable:
        details = self.details(error, status_code, False)
        return Retryable(f"{self.channel} delivery: {details['provider_error']}", retry_after, details)

    def permanent(self, error: str, *, status_code: int | None = None, broken: bool = False) -> Permanent:
        details = self.details(error, status_code, broken)
        return Permanent(f"{self.channel} delivery: {details['provider_error']}", details)

    def judge_http(self, status_code: int, body: str, *, retry_after: str | None = None,
                   broken: bool = False) -> dict[str, Any]:
        """The HTTP rule every channel shares: 2xx delivered; 408, 429 and 5xx retried (Retry-After
        honoured); anything else (3xx, 4xx) permanent, `broken` when the channel says the destination is gone."""
        if 200 <= status_code < 300:
            return self.succeeded(status_code, body)
        error = f"HTTP {status_code}: {body}" if body else f"HTTP {status_code}"
        if status_code in (408, 429) or status_code >= 500:
            raise self.retryable(error, status_code=status_code, retry_after=retry_after_seconds(retry_after))
        if 300 <= status_code < 400:
            error = f"HTTP {status_code}: redirects are not followed"
        raise self.permanent(error, status_code=status_code, broken=broken)


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, an ellipsis showing where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class DeadlineExceeded(Exception):
    """The whole send took longer than the total timeout."""


def within_deadline(seconds: float, send: Callable[[], T]) -> T:
    """Run `send` with a hard total deadline. The libraries' own timeouts bound each connect and
    read, not a reply that trickles in; past the deadline the attempt is given up (the thread is
    left to its socket timeouts, a daemon so it never holds the worker's exit)."""
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = send()
        except BaseException as exc:  # handed to the caller's thread as is
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=run, name="alert-send", daemon=True).start()
    if not finished.wait(seconds):
        raise DeadlineExceeded(f"no answer within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def headline(notification: dict[str, Any]) -> str:
    """One line naming the alert: "[CRITICAL] title", "[RESOLVED] title", "[TEST] title"."""
    label = KIND_LABELS.get(str(notification.get("kind"))) or str(notification.get("severity") or "alert").upper()
    return f"[{label}] {notification.get('title') or 'pgwarden alert'}"


def safe_links(notification: dict[str, Any]) -> list[dict[str, str]]:
    """The notification's links with an http(s) URL (anything else is not rendered as a link)."""
    links = notification.get("links") or []
    return [{"name": str(link.get("name") or link["url"]), "url": link["url"]} for link in links
            if isinstance(link, dict) and isinstance(link.get("url"), str)
            and urlsplit(link["url"]).scheme in ("http", "https")]


def facts(notification: dict[str, Any]) -> list[tuple[str, str]]:
    """The short (name, value) facts to show in tables and fields."""
    return [(str(item.get("name")), str(item.get("value"))) for item in notification.get("fields") or []
            if isinstance(item, dict) and item.get("name") is not None]
