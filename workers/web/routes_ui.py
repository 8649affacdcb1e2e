"""The web app's routes (workers/web/ui): pages for signed-in people, the live feed, the public
status page and the front-end files, which are served from the package (no CDN)."""

from pathlib import Path

from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from workers.web.ui import (
    pages_alerts,
    pages_error_detail,
    pages_errors,
    pages_health,
    pages_overview,
    pages_reports,
    pages_settings,
    pages_sign_in,
    pages_status,
)

STATIC_DIR = Path(__file__).parent / "ui" / "static"

ROUTES = [
    Route("/", pages_overview.overview, methods=["GET"]),
    Route("/live/errors", pages_overview.live_errors, methods=["GET"]),
    Route("/login", pages_sign_in.login_form, methods=["GET"]),
    Route("/login", pages_sign_in.login, methods=["POST"]),
    Route("/logout", pages_sign_in.logout, methods=["POST"]),
    Route("/errors", pages_errors.error_list, methods=["GET"]),
    Route("/errors/bulk", pages_errors.bulk_status, methods=["POST"]),
    Route("/errors/{error_id}", pages_error_detail.error_detail, methods=["GET"]),
    Route("/errors/{error_id}/analysis", pages_error_detail.error_analyse, methods=["POST"]),
    Route("/errors/{error_id}/assignee", pages_error_detail.error_assign, methods=["POST"]),
    Route("/errors/{error_id}/related", pages_error_detail.error_similar, methods=["GET"]),
    Route("/errors/{error_id}/status", pages_errors.error_set_status, methods=["POST"]),
    Route("/monitors", pages_health.health_grid, methods=["GET"]),
    Route("/monitors/new", pages_health.monitor_new, methods=["GET", "POST"]),
    Route("/monitors/{monitor_id}", pages_health.monitor_page, methods=["GET"]),
    Route("/monitors/{monitor_id}/edit", pages_health.monitor_edit, methods=["GET", "POST"]),
    Route("/monitors/{monitor_id}/{action}", pages_health.monitor_action, methods=["POST"]),
    Route("/alerts", pages_alerts.alerts, methods=["GET"]),
    Route("/alerts/new", pages_alerts.rule_new, methods=["GET", "POST"]),
    Route("/alerts/notifications/read", pages_alerts.notifications_read, methods=["POST"]),
    Route("/alerts/{rule_id}/edit", pages_alerts.rule_edit, methods=["GET", "POST"]),
    Route("/alerts/{rule_id}/{action}", pages_alerts.rule_action, methods=["POST"]),
    Route("/reports", pages_reports.report_queue, methods=["GET"]),
    Route("/reports/new", pages_reports.report_new, methods=["GET", "POST"]),
    Route("/reports/status/{token}", pages_reports.report_status_page, methods=["GET"]),
    Route("/reports/{report_id}", pages_reports.report_detail, methods=["GET"]),
    Route("/reports/{report_id}/{action}", pages_reports.report_action, methods=["POST"]),
    Route("/settings", pages_settings.settings, methods=["GET"]),
    Route("/settings/{action}", pages_settings.settings_action, methods=["POST"]),
    Route("/status", pages_status.status_page, methods=["GET"]),
    Route("/status.json", pages_status.status_json, methods=["GET"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
