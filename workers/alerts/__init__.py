"""Alert channels: send one notification over one channel and report what happened. SQL decides
everything else (rules, incidents, throttling, who receives what and when, retries, marking a
destination broken); the alerts.deliver handler (workers/handlers/alerts.py) never touches the
database.

Job payload (built by SQL, self-contained):
    {"delivery_id", "channel": "email"|"slack"|"webhook"|"pagerduty"|"apprise",
     "destination": {…one shape per channel, see each module…},
     "webhook_id": "msg_…" (the same on every retry of the delivery),
     "notification": {"kind": "firing"|"resolved"|"test", "incident_id", "rule_id", "organization_id",
                      "alert_type", "severity", "title", "summary", "dedup_key", "started_at",
                      "resolved_at", "event_count", "new_since_last", "fields": [{"name", "value"}],
                      "links": [{"name", "url"}]}}

Result (success):
    {"delivery_id", "channel", "status_code": int|null, "latency_ms": number,
     "provider_response": "≤ 500 characters, secrets redacted"}
Failure: Retryable(retry_after=Retry-After seconds|None) or Permanent, whose details are
    {"delivery_id", "channel", "status_code": int|null, "latency_ms": number|null,
     "provider_error": "≤ 500 characters, secrets redacted", "broken": bool}
broken: the destination will never work again (Slack no_service/channel_not_found/410, webhook
410, PagerDuty refusing the routing key, SMTP 5xx for the recipient, an unusable destination).

Timeouts (worker environment): PGWARDEN_ALERT_CONNECT_TIMEOUT_SECONDS (default 5) bounds the
connect, PGWARDEN_ALERT_TIMEOUT_SECONDS (default 30) each read and the whole send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.alerts.apprise_urls import send_apprise
from workers.alerts.delivery import Delivery
from workers.alerts.email_smtp import send_email
from workers.alerts.pagerduty import send_pagerduty
from workers.alerts.slack import send_slack
from workers.alerts.webhook import send_webhook

Channel = Callable[[Delivery], dict[str, Any]]

CHANNELS: dict[str, Channel] = {
    "email": send_email,
    "slack": send_slack,
    "webhook": send_webhook,
    "pagerduty": send_pagerduty,
    "apprise": send_apprise,
}

__all__ = ["CHANNELS", "Channel", "Delivery"]
