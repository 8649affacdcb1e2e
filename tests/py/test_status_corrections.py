"""The public status page shows corrected uptime with a note: a real `pgwarden web` serving /status and
/status.json after an outage was marked a false positive (db/functions/app/525_health_uptime_corrections.sql)."""

from __future__ import annotations

import httpx
from web_server import WebServer

pytest_plugins = ["web_server"]


def test_a_day_corrected_as_a_false_positive_is_shown_corrected_with_a_note(web_server: WebServer) -> None:
    [(monitor_id,)] = web_server.query("""SELECT app.health_monitor_add('{"service_name": "ledger",
        "display_name": "Ledger", "check_type": "external", "target": {"url": "http://ledger.test"}}')""")
    web_server.query("""INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id) VALUES
        ('ledger', 'operational', now() - interval '3 days', now() - interval '2 days', %(m)s),
        ('ledger', 'major_outage', now() - interval '2 days', now() - interval '47 hours', %(m)s),
        ('ledger', 'operational', now() - interval '47 hours', NULL, %(m)s) RETURNING id""", {"m": monitor_id})
    web_server.query("""SELECT app.uptime_correct(%s, 'false_positive', now() - interval '2 days',
                          now() - interval '47 hours', 'the probe host lost its route', 'ops@example.test')""",
                     [monitor_id])
    web_server.query("SELECT app.health_refresh_cache()")

    with httpx.Client(base_url=web_server.base_url, timeout=10) as client:
        document = client.get("/status.json").json()
        page = client.get("/status").text
    ledger = next(component for component in document["components"] if component["service"] == "ledger")
    corrected = [day for day in ledger["days"] if "corrections" in day]
    assert corrected and all(day["uptime_percentage"] == 100 for day in corrected)
    assert corrected[0]["corrections"][0]["kind"] == "false_positive"
    assert corrected[0]["corrections"][0]["previous_uptime_percentage"] < 100
    assert "Corrected figures:" in page and "false positive" in page
