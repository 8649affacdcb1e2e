"""Probes: dumb observers. Each performs one network check and returns an observation.

A probe never decides healthy / degraded / unhealthy: SQL does, later, from the stored
observation (thresholds, expected statuses, body conditions, certificate age). Every probe
takes the monitor's target (a dict) and returns a JSON-serialisable dict:

    reachable         bool      the target gave a protocol-level answer (an HTTP status, an
                                SMTP banner, a Stripe error body, a connected PostgreSQL session)
    response_time_ms  int|None  wall time of the whole check, rounded
    status_code       int|None  HTTP status (Stripe: 200 on success, else the error's status),
                                SMTP reply code (NOOP, or the failing reply); None for PostgreSQL
    error             str|None  short class + message ("timeout", "connect refused: ...")
    timed_out         bool      the check hit timeout_seconds; then error == "timeout"
    body              str|None  HTTP only: the first 64 KiB of the body, decoded as text
    tls_days_left     int|None  whole days until the peer certificate's notAfter (HTTPS, and
                                SMTP after STARTTLS); negative once expired
    details           dict      probe-specific facts (redirects, banner, sqlstate, error_type)

A timeout after an answer began (an HTTP body that stalls, a query past statement_timeout)
keeps reachable True and the status seen so far, with timed_out True. Network outcomes are
always observations; a malformed target (missing url, unknown check) raises instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workers.probes.database import probe_database
from workers.probes.http import probe_http
from workers.probes.sms import probe_sms
from workers.probes.smtp import probe_smtp
from workers.probes.stripe_api import probe_stripe

Observation = dict[str, Any]

PROBES: dict[str, Callable[[dict[str, Any]], Observation]] = {
    "http": probe_http,
    "database": probe_database,
    "stripe": probe_stripe,
    "smtp": probe_smtp,
    "sms": probe_sms,
}

__all__ = ["PROBES", "probe_database", "probe_http", "probe_sms", "probe_smtp", "probe_stripe"]
