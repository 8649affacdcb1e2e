"""alerts.deliver: send one alert notification over its channel (workers/alerts/) and report the
outcome in the shapes the SQL side records (see workers/alerts/__init__.py).
alerts.notify: a timer; SQL sends the incident's notice that came due when the job completes."""

from __future__ import annotations

from workers.alerts import CHANNELS
from workers.alerts.delivery import DeadlineExceeded, Delivery, within_deadline
from workers.errors import Permanent, Retryable
from workers.handlers import handler


@handler("alerts.deliver")
def deliver(payload: dict) -> dict:
    delivery = Delivery.from_payload(payload)
    send = CHANNELS.get(delivery.channel)
    if send is None:
        raise delivery.permanent(f"no channel named {delivery.channel!r}")
    try:
        return within_deadline(delivery.timeouts.total, lambda: send(delivery))
    except (Retryable, Permanent):
        raise
    except DeadlineExceeded as exc:
        raise delivery.retryable(f"timeout: {exc}") from None
    except Exception as exc:  # an error no adapter foresaw: try again, without a traceback full of secrets
        raise delivery.retryable(f"{type(exc).__name__}: {exc}") from None


@handler("alerts.notify")
def notice_due(payload: dict) -> dict:
    """An incident's next notice (after a group wait or group interval) is due now. The notice is
    SQL's to write: it sends it when this job completes (db/triggers/700_alerts.sql)."""
    return {"incident_id": payload.get("incident_id")}
