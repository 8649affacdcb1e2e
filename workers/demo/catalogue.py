"""What the demo creates: three organizations with their projects, monitors of the local demo
services (workers/demo/services.py) and alert rules to local stub channels (in-app notifications,
and a webhook to the demo services' receiver). app.demo_setup creates what is missing."""

from __future__ import annotations

# the services whose backfilled week has an outage every few hours (app.demo_backfill)
FLAPPING = ["inventory"]


def _monitor(key: str, service: str, name: str, url: str, **extra: object) -> dict:
    spec = {"service_name": service, "display_name": name, "check_type": "api", "probe": "http",
            "endpoint": url, "target": {"url": url}, "expected": {"status_codes": ["200-299"]},
            "interval_seconds": 30, "timeout_seconds": 5, "failure_threshold": 2, "success_threshold": 2,
            "is_public": False}
    spec.update(extra)
    return {"key": key, "spec": spec}


def _rule(key: str, name: str, alert_type: str, channel: str, **extra: object) -> dict:
    return {"key": key, "spec": {"name": name, "alert_type": alert_type, "channel": channel, **extra}}


def catalogue(services_url: str) -> dict:
    """services_url: where the demo services answer, e.g. http://127.0.0.1:8010"""
    hooks = f"{services_url}/hooks"
    return {"organizations": [
        {"key": "acme", "name": "Acme Shop (demo)",
         "projects": [{"key": "acme-storefront", "name": "storefront", "origins": ["https://shop.acme.example"]},
                      {"key": "acme-checkout-api", "name": "checkout-api", "origins": []}],
         "monitors": [_monitor("acme-checkout", "checkout", "Checkout", f"{services_url}/checkout/health"),
                      _monitor("acme-inventory", "inventory", "Inventory", f"{services_url}/inventory/health")],
         "rules": [_rule("acme-critical-in-app", "critical errors (in app)", "critical_error", "in_app"),
                   _rule("acme-critical-webhook", "critical errors to the ops webhook", "critical_error", "webhook",
                         webhook_url=f"{hooks}/acme"),
                   _rule("acme-health-in-app", "a service down for a minute", "health_degraded", "in_app",
                         trigger_conditions={"status_at_least": "unhealthy", "for_minutes": 1}),
                   _rule("acme-uptime-webhook", "outages to the ops webhook", "uptime_incident", "webhook",
                         webhook_url=f"{hooks}/acme")]},
        {"key": "globex", "name": "Globex Travel (demo)",
         "projects": [{"key": "globex-booking", "name": "booking-web", "origins": ["https://book.globex.example"]},
                      {"key": "globex-mobile", "name": "mobile-app", "origins": []}],
         "monitors": [_monitor("globex-search", "search", "Search", f"{services_url}/search/health",
                               expected={"status_codes": ["200-299"], "max_response_time_ms": 1000})],
         "rules": [_rule("globex-spike-in-app", "more than 20 errors in 5 minutes", "error_spike", "in_app",
                         trigger_conditions={"threshold": 20, "window_minutes": 5}),
                   _rule("globex-reports-webhook", "new user reports to the support webhook", "new_user_report",
                         "webhook", webhook_url=f"{hooks}/globex")]},
        {"key": "initech", "name": "Initech Cloud (demo)",
         "projects": [{"key": "initech-dashboard", "name": "dashboard", "origins": ["https://app.initech.example"]}],
         "monitors": [_monitor("initech-checkout", "billing", "Billing", f"{services_url}/checkout/health"),
                      _monitor("initech-inventory", "inventory", "Inventory sync", f"{services_url}/inventory/health",
                               outage_status="partial_outage")],
         "rules": [_rule("initech-critical-in-app", "critical errors (in app)", "critical_error", "in_app"),
                   _rule("initech-reports-in-app", "new user reports (in app)", "new_user_report", "in_app")]},
    ]}
