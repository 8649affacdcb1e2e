"""pagerduty: Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/).

destination: {"url": "<Events API v2 endpoint, …/v2/enqueue>", "routing_key": "<integration key>"}.

A firing (or test) notification is a `trigger`, a resolved one a `resolve`, both with our own
dedup_key (stable per incident), so PagerDuty keeps one alert per incident and closes it.
payload.source is the notification's "Service" field when it has one, else "pgwarden"; the
fields, summary and counts travel as custom_details.
PagerDuty answers 202 when it accepted the event; 400 when it refused it (the destination is
broken when the refusal names the routing key: PagerDuty will never take events for it); 429
when over ~120 events a minute per key; 5xx when it could not take it now (both retried).
"""

from __future__ import annotations

import json
from typing import Any

from workers.alerts.delivery import Delivery, facts, safe_links, shorten
from workers.alerts.http import post_json

SEVERITIES = {"critical": "critical", "error": "error", "warning": "warning", "info": "info"}
SUMMARY_LIMIT, DEDUP_KEY_LIMIT = 1024, 255


def send_pagerduty(delivery: Delivery) -> dict[str, Any]:
    routing_key = delivery.destination.get("routing_key")
    if not isinstance(routing_key, str) or not routing_key:
        raise delivery.permanent("the routing_key is missing", broken=True)
    body = json.dumps(event(delivery.notification, routing_key), separators=(",", ":")).encode()
    reply = post_json(delivery, delivery.destination.get("url"), body)
    rejected_key = reply.status_code == 400 and "routing" in reply.body.lower()
    return delivery.judge_http(reply.status_code, reply.body, retry_after=reply.retry_after, broken=rejected_key)


def event(notification: dict[str, Any], routing_key: str) -> dict[str, Any]:
    dedup_key = shorten(str(notification.get("dedup_key") or notification.get("incident_id") or ""),
                        DEDUP_KEY_LIMIT)
    if notification.get("kind") == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
    details = {name: value for name, value in facts(notification)}
    details.update({key: notification.get(key) for key in
                    ("summary", "alert_type", "event_count", "new_since_last", "incident_id", "rule_id")})
    payload = {
        "summary": shorten(str(notification.get("title") or "pgwarden alert"), SUMMARY_LIMIT),
        "source": details.get("Service") or "pgwarden",
        "severity": SEVERITIES.get(str(notification.get("severity")), "error"),
        "timestamp": notification.get("started_at"),
        "class": notification.get("alert_type"),
        "custom_details": details,
    }
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {key: value for key, value in payload.items() if value is not None},
        "client": "pgwarden",
        "links": [{"href": link["url"], "text": link["name"]} for link in safe_links(notification)],
    }
