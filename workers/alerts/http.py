"""One JSON POST with httpx for the HTTP channels (webhook, PagerDuty): timeouts on connect and
each read, no redirects followed, only the start of the reply kept."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from workers.alerts.delivery import Delivery
from workers.probes.http import describe_connect_error

REPLY_LIMIT_BYTES = 4096  # more than the 500 characters kept; the rest is not read
USER_AGENT = "pgwarden-alerts/1"


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: str
    retry_after: str | None


def post_json(delivery: Delivery, url: object, content: bytes, headers: dict[str, str] | None = None) -> Reply:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise delivery.permanent("url is not an http(s) URL", broken=True)
    timeout = httpx.Timeout(delivery.timeouts.total, connect=delivery.timeouts.connect)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    delivery.start()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            with client.stream("POST", url, content=content, headers=headers) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= REPLY_LIMIT_BYTES:
                        break
                text = bytes(body[:REPLY_LIMIT_BYTES]).decode(response.encoding or "utf-8", "replace")
                return Reply(response.status_code, text.strip(), response.headers.get("retry-after"))
    except httpx.TimeoutException as exc:
        raise delivery.retryable(f"timeout ({type(exc).__name__.removesuffix('Timeout').lower()})") from None
    except httpx.ConnectError as exc:
        raise delivery.retryable(describe_connect_error(exc)) from None
    except httpx.InvalidURL as exc:
        raise delivery.permanent(f"invalid url: {exc}", broken=True) from None
    except httpx.HTTPError as exc:
        raise delivery.retryable(f"{type(exc).__name__}: {exc}") from None
