"""apprise: any service the `apprise` package reaches by URL (Discord, Teams, Telegram, ntfy, …),
for what the four built-in channels do not cover.

destination: {"url": "discord://…"} (any Apprise URL; everything after the scheme is treated as a
secret). Title: the headline; body: the plain-text template the e-mails use.

Apprise reports only "sent" or "not sent" per service, with its log lines. From those lines the
HTTP status is read when the plugin printed one ("… error=404."): 404 and 410 mark the destination
broken, other 4xx but 429 are permanent; everything else (429, 5xx, network errors, timeouts) is
retried. A URL Apprise does not understand is permanent and broken. Apprise's own retries are off.
"""

from __future__ import annotations

import re
from typing import Any

from workers.alerts.delivery import Delivery, headline
from workers.alerts.render import render

STATUS_IN_LOG = re.compile(r"error=(\d{3})\b")
FAILURE_LEVELS = {"WARNING", "ERROR", "CRITICAL"}


def send_apprise(delivery: Delivery) -> dict[str, Any]:
    import apprise  # its ~100 plugins take a moment to load: only workers that deliver through it pay

    url = delivery.destination.get("url")
    asset = apprise.AppriseAsset(async_mode=False, service_timeout=delivery.timeouts.total,
                                 storage_mode=apprise.PersistentStoreMode.MEMORY)
    notifier = apprise.Apprise(asset=asset)
    if not isinstance(url, str) or not notifier.add(url):
        raise delivery.permanent("not a URL Apprise understands", broken=True)
    for service in notifier:
        service.socket_connect_timeout = delivery.timeouts.connect
        service.socket_read_timeout = delivery.timeouts.total
        service.retry = 0  # SQL decides whether and when to try again
    notification = delivery.notification
    delivery.start()
    result = notifier.notify(body=render("notification.txt", notification), title=headline(notification),
                             notify_type=_notify_type(apprise.NotifyType, notification))
    if result:
        return delivery.succeeded(None, "sent")
    lines = [entry.message for service in result.results for entry in service.logs()
             if entry.level in FAILURE_LEVELS]
    error = " ".join(lines) or f"not sent ({result.status.name.lower()})"
    found = STATUS_IN_LOG.search(error)
    status = int(found.group(1)) if found else None
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        raise delivery.permanent(error, status_code=status, broken=status in (404, 410))
    raise delivery.retryable(error, status_code=status)


def _notify_type(types: Any, notification: dict[str, Any]) -> Any:
    if notification.get("kind") == "resolved":
        return types.SUCCESS
    return {"critical": types.FAILURE, "error": types.FAILURE, "warning": types.WARNING}.get(
        str(notification.get("severity")), types.INFO)
