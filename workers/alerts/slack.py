"""slack: one Block Kit message to an incoming webhook (slack_sdk's WebhookClient), with a
plain `text` fallback for notifications and old clients.

destination: {"webhook_url": "https://hooks.slack.com/services/T…/B…/…"} (any http(s) URL: tests
point it at 127.0.0.1). Slack answers 200 `ok`; 429 with Retry-After when over about one message
a second; 404 `no_service` (webhook revoked), 404 `channel_not_found` and 410 `channel_is_archived`
mean the webhook is gone for good (broken); other 4xx (`invalid_payload`, …) mean the message
was refused; 5xx and network errors are worth a retry. The SDK's own retries are off: SQL decides.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackRequestError
from slack_sdk.webhook import WebhookClient

from workers.alerts.delivery import Delivery, facts, headline, safe_links, shorten
from workers.probes.http import describe_connect_error

GONE = {(404, "no_service"), (404, "channel_not_found")}
SEVERITY_EMOJI = {"critical": ":rotating_light:", "error": ":red_circle:", "warning": ":warning:",
                  "info": ":information_source:"}
KIND_EMOJI = {"resolved": ":white_check_mark:", "test": ":test_tube:"}
# Block Kit limits (https://api.slack.com/reference/block-kit/blocks)
HEADER_LIMIT, SECTION_LIMIT, FIELD_LIMIT, MAX_FIELDS, BUTTON_LIMIT, MAX_BUTTONS = 150, 3000, 2000, 10, 75, 5


def send_slack(delivery: Delivery) -> dict[str, Any]:
    url = delivery.destination.get("webhook_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise delivery.permanent("webhook_url is not an http(s) URL", broken=True)
    # One socket timeout in urllib bounds the connect and every read; the handler bounds the total.
    client = WebhookClient(url, timeout=delivery.timeouts.total, retry_handlers=[])
    text, blocks = message(delivery.notification)
    delivery.start()
    try:
        response = client.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
    except SlackRequestError as exc:
        raise delivery.permanent(str(exc), broken=True) from None
    except OSError as exc:  # refused, reset, timeout, TLS (urllib's URLError wraps them in .reason)
        reason = exc.reason if isinstance(getattr(exc, "reason", None), BaseException) else exc
        error = "timeout" if isinstance(reason, TimeoutError) else describe_connect_error(reason)
        raise delivery.retryable(error) from None
    body = (response.body or "").strip()
    gone = (response.status_code, body) in GONE or response.status_code == 410
    headers = {name.lower(): value for name, value in (response.headers or {}).items()}
    return delivery.judge_http(response.status_code, body, retry_after=headers.get("retry-after"), broken=gone)


def message(notification: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and the Block Kit blocks of one notification."""
    kind, severity = notification.get("kind"), notification.get("severity")
    emoji = KIND_EMOJI.get(str(kind)) or SEVERITY_EMOJI.get(str(severity), ":bell:")
    title = headline(notification)
    summary = str(notification.get("summary") or "")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": shorten(f"{emoji} {title}", HEADER_LIMIT),
                                    "emoji": True}},
    ]
    if summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": shorten(escape(summary), SECTION_LIMIT)}})
    fields = [{"type": "mrkdwn", "text": shorten(f"*{escape(name)}*\n{escape(value)}", FIELD_LIMIT)}
              for name, value in facts(notification)[:MAX_FIELDS]]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(_context(notification))}]})
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": shorten(link["name"], BUTTON_LIMIT)},
                "url": link["url"]} for link in safe_links(notification)[:MAX_BUTTONS]]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return shorten(f"{title}\n{summary}".strip(), SECTION_LIMIT), blocks


def _context(notification: dict[str, Any]) -> str:
    parts = [f"{notification.get('severity') or 'alert'} · {notification.get('alert_type') or 'alert'}"]
    events = notification.get("event_count")
    if isinstance(events, int) and events > 0:  # (a monitor's outage counts no events)
        parts.append(f"{events} event{'' if events == 1 else 's'}")
    if notification.get("started_at"):
        parts.append(f"since {notification['started_at']}")
    if notification.get("resolved_at"):
        parts.append(f"resolved {notification['resolved_at']}")
    return " · ".join(parts)


def escape(text: str) -> str:
    """Slack's three control characters in mrkdwn (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
