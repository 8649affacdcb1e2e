"""SMS provider probe: an authenticated status call to the provider's HTTP API.

Providers differ only in URL and headers (e.g. Twilio's account resource with Basic auth),
so this is the HTTP probe with those from the monitor's target; SQL reads the status and body.
"""

from __future__ import annotations

from typing import Any

from workers.probes.http import probe_http


def probe_sms(target: dict[str, Any]) -> dict[str, Any]:
    return probe_http({"method": "GET", **target})
