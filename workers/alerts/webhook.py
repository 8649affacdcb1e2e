"""webhook: the notification as JSON, POSTed and signed the Standard Webhooks way
(https://www.standardwebhooks.com, with the `standardwebhooks` package).

destination: {"url": "https://…", "secret": "whsec_…"}.

Headers: `webhook-id` (the payload's webhook_id: the same on every retry of a delivery, so the
receiver can drop a repeat), `webhook-timestamp` (unix seconds of this attempt),
`webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), and
`Idempotency-Key` (= webhook-id) for receivers that know that convention instead.

Body (UTF-8 JSON):

    {
      "type": "alert.firing" | "alert.resolved" | "alert.test",
      "timestamp": "<RFC 3339: when it happened: resolved_at, else started_at>",
      "data": {
        "delivery_id": "<uuid>", "webhook_id": "msg_…",
        "kind", "incident_id", "rule_id", "organization_id", "alert_type", "severity",
        "title", "summary", "dedup_key", "started_at", "resolved_at", "event_count",
        "new_since_last", "fields": [{"name", "value"}], "links": [{"name", "url"}]
      }
    }

`data` is the notification as SQL wrote it, plus the two ids. Any 2xx is success; 410 Gone means
the endpoint is gone (broken); 408, 429 and 5xx are retried (Retry-After honoured), as are
network errors; 3xx (not followed) and other 4xx are permanent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

from workers.alerts.delivery import Delivery
from workers.alerts.http import post_json


def send_webhook(delivery: Delivery) -> dict[str, Any]:
    secret = delivery.destination.get("secret")
    if isinstance(secret, str):
        delivery.hide(secret.removeprefix("whsec_"))
    try:
        signer = Webhook(secret)
    except Exception:  # missing, empty or not base64: the rule's secret is unusable
        raise delivery.permanent("the signing secret is not a whsec_ base64 secret", broken=True) from None
    if not delivery.webhook_id:
        raise delivery.permanent("the payload lacks webhook_id")
    body = json.dumps(envelope(delivery), separators=(",", ":"), ensure_ascii=False).encode()
    now = datetime.now(UTC)
    headers = {
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(delivery.webhook_id, now, body),
        "Idempotency-Key": delivery.webhook_id,
    }
    reply = post_json(delivery, delivery.destination.get("url"), body, headers)
    return delivery.judge_http(reply.status_code, reply.body, retry_after=reply.retry_after,
                               broken=reply.status_code == 410)


def envelope(delivery: Delivery) -> dict[str, Any]:
    notification = delivery.notification
    happened = notification.get("resolved_at") or notification.get("started_at") or datetime.now(UTC).isoformat()
    return {
        "type": f"alert.{notification.get('kind') or 'firing'}",
        "timestamp": happened,
        "data": {"delivery_id": delivery.delivery_id, "webhook_id": delivery.webhook_id, **notification},
    }
