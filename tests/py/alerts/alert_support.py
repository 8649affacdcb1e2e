"""Helpers for the alert channel tests: contract-shaped alerts.deliver payloads, enqueued with
app.job_enqueue as SQL enqueues them, and run by the real runner with the real handler."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.py.jobs_support import InProcessWorker, wait_until

FAST = {"poll_seconds": 0.05, "concurrency": 2}
ENQUEUE = "SELECT app.job_enqueue('alerts.deliver', %s::jsonb, %s, NULL, 0, %s)"


def notification(**overrides: Any) -> dict[str, Any]:
    """A firing notification as SQL writes it."""
    incident = str(uuid.uuid4())
    return {
        "kind": "firing", "incident_id": incident, "rule_id": str(uuid.uuid4()), "organization_id": None,
        "alert_type": "critical_error", "severity": "critical",
        "title": "TypeError in checkout: Cannot read properties of undefined",
        "summary": "38 events in 5 minutes, and 37 more events since the first notice.",
        "dedup_key": f"pgwarden-{incident}", "started_at": "2026-05-04T10:00:00+00:00", "resolved_at": None,
        "event_count": 38, "new_since_last": 37,
        "fields": [{"name": "Service", "value": "checkout"}, {"name": "Environment", "value": "production"}],
        "links": [{"name": "Error", "url": "http://127.0.0.1:8000/errors/42"}],
        **overrides,
    }


def delivery_payload(channel: str, destination: dict[str, Any], **notification_overrides: Any) -> dict[str, Any]:
    delivery_id = str(uuid.uuid4())
    return {"delivery_id": delivery_id, "channel": channel, "destination": destination,
            "webhook_id": f"msg_{uuid.UUID(delivery_id).hex}", "notification": notification(**notification_overrides)}


def enqueue(db, payload: dict[str, Any], max_attempts: int = 5) -> int:
    key = f"delivery:{payload['delivery_id']}"
    return db.execute(ENQUEUE, [json.dumps(payload), key, max_attempts]).fetchone()[0]


def fast_retries(db) -> None:
    """SQL's own backoff shrunk, so a retry without Retry-After comes within a fraction of a second."""
    db.execute("UPDATE app.job_setting SET backoff_base_seconds = 0.05, backoff_cap_seconds = 0.2")


def history(db, job_id: int) -> dict[str, Any] | None:
    row = db.execute("""SELECT state::text, attempts, result, failures FROM app.job_history WHERE id = %s""",
                     [job_id]).fetchone()
    return None if row is None else dict(zip(("state", "attempts", "result", "failures"), row, strict=True))


def deliver(db, database_url: str, *payloads: dict[str, Any], max_attempts: int = 5) -> list[dict[str, Any]]:
    """Enqueue the deliveries, run a worker until each is finished; their job_history rows."""
    job_ids = [enqueue(db, payload, max_attempts) for payload in payloads]
    with InProcessWorker(database_url, ("alerts.deliver",), **FAST):
        return [wait_until(lambda job_id=job_id: history(db, job_id), timeout=60, what=f"delivery job {job_id}")
                for job_id in job_ids]

