"""alerts.deliver: send one alert notification over its channel (workers/alerts/) and report the
outcome in the shapes the SQL side records (see workers/alerts/__init__.py)."""

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
