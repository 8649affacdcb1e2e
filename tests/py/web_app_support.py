"""A seeded world for the web app's tests: two organizations with an owner each, a system admin,
a project each, errors captured through the real ingest path, and health history.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg
from web_server import Project, WebServer

from workers.web.ui.security import hash_password

PASSWORD = "correct horse battery"
# What a browser asks for: pages, so refusals come as pages too (other clients get the error shape as JSON)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CHROME = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class World:
    admin: str
    owner_a: str
    owner_b: str
    project_a: Project
    project_b: Project
    error_a: str   # an error group of organization A
    error_b: str   # an error group of organization B
    monitor_a: int  # organization A's monitor
    rule_a: str    # organization A's in-app alert rule (a test notification delivered)
    rule_b: str    # organization B's alert rule
    report_a: str  # a user report of organization A, linked to error_a


def capture(server: WebServer, project: Project, message: str, **fields) -> httpx.Response:
    """One event through Sentry's store endpoint (the real ingest path)."""
    event = {**({"message": message} if message else {}), "level": fields.pop("level", "error"), "platform": "python",
             **fields}
    return httpx.post(f"{server.base_url}/api/{project.id}/store/", content=json.dumps(event).encode(),
                      headers={"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"},
                      timeout=30)


def execute(server: WebServer, statement: str, params: list | None = None) -> None:
    """A statement of the test's own (as the superuser), for data the ingest path does not write."""
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        conn.execute(statement, params or [])


def error_id(server: WebServer, project: Project, message: str) -> str:
    [(found,)] = server.query("SELECT id::text FROM app.system_errors WHERE organization_id = %s AND message = %s",
                              [project.organization_id, message])
    return found


def seed(server: WebServer) -> World:
    project_a, project_b = server.new_project("shop-a"), server.new_project("shop-b")
    tag = uuid.uuid4().hex[:6]
    admin, owner_a, owner_b = f"admin-{tag}@example.com", f"owner-a-{tag}@example.com", f"owner-b-{tag}@example.com"
    password_hash = hash_password(PASSWORD)
    for email, role, org in ((admin, "system_admin", None), (owner_a, "org_owner", project_a.organization_id),
                             (owner_b, "org_owner", project_b.organization_id)):
        server.query("SELECT app.user_create(%s, %s, %s, %s, %s)", [email, role, org, password_hash, role])
    for project in (project_a, project_b):
        server.query("SELECT app.rate_limit_set(%s, 0)", [project.organization_id])
    exception = {"values": [{"type": "TypeError", "value": "Cannot read properties of undefined (reading 'coupon')",
                             "stacktrace": {"frames": [
                                 {"filename": "/srv/shop/node_modules/react-dom/index.js", "function": "render",
                                  "lineno": 10, "in_app": False},
                                 {"filename": "/srv/shop/src/checkout.js", "function": "applyCoupon", "lineno": 42,
                                  "in_app": True}]}}]}
    for _ in range(3):
        assert capture(server, project_a, "", exception=exception, release="shop@1.2.3",
                       request={"url": "https://shop-a.example/checkout", "headers": {"User-Agent": CHROME}},
                       ).status_code == 200
    assert capture(server, project_a, "Payment provider answered slowly", level="warning").status_code == 200
    assert capture(server, project_b, "Organization B's secret failure").status_code == 200
    [(error_a,)] = server.query("SELECT id::text FROM app.system_errors"
                                " WHERE organization_id = %s AND error_type = 'runtime'", [project_a.organization_id])
    error_b = error_id(server, project_b, "Organization B's secret failure")
    # health: organization A's own monitor with a day of checks and an outage; the platform's API had one too
    [(monitor_a,)] = server.query(
        "SELECT app.health_monitor_add(jsonb_build_object('service_name', 'shop-a-api', 'check_type', 'api',"
        " 'display_name', 'Shop A API', 'organization_id', %s::uuid, 'target', jsonb_build_object('url', 'http://127.0.0.1:9/')))",
        [project_a.organization_id])
    execute(server,
        "INSERT INTO app.health_checks (check_type, service_name, status, response_time_ms, error_message, checked_at,"
        " monitor_id, organization_id)"
        " SELECT 'api'::app.health_check_type_enum, 'shop-a-api',"
        " CASE WHEN n %% 10 = 0 THEN 'unhealthy' ELSE 'healthy' END::app.health_status_enum,"
        " 40 + n %% 7, CASE WHEN n %% 10 = 0 THEN 'connection refused' END, now() - n * interval '10 minutes', %s, %s"
        " FROM generate_series(1, 140) n", [monitor_a, project_a.organization_id])
    for service, org in (("shop-a-api", project_a.organization_id), ("api", None)):
        execute(server,
            "INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, duration_seconds, monitor_id,"
            " organization_id)"
            " SELECT %s, s.status::app.uptime_status_enum, now() - s.started, now() - s.ended,"
            " extract(epoch FROM s.started - s.ended)::int, m.id, %s::uuid"
            " FROM app.health_monitors m, (VALUES ('operational', interval '20 days', interval '3 days'),"
            " ('major_outage', interval '3 days', interval '3 days' - interval '25 minutes'),"
            " ('operational', interval '3 days' - interval '25 minutes', interval '0')) AS s (status, started, ended)"
            " WHERE m.service_name = %s AND m.organization_id IS NOT DISTINCT FROM %s::uuid",
            [service, org, service, org])
    execute(server, "INSERT INTO app.health_maintenance_windows (monitor_id, during, reason)"
                    " SELECT id, tstzrange(now() + interval '2 days', now() + interval '2 days 1 hour'),"
                    " 'Database upgrade' FROM app.health_monitors"
                    " WHERE service_name = 'database' AND organization_id IS NULL")
    execute(server, "UPDATE app.health_monitor_state s SET status = 'healthy', last_status = 'healthy',"
                    " last_checked_at = now(), last_response_time_ms = 42 FROM app.health_monitors m"
                    " WHERE m.id = s.monitor_id AND m.enabled AND m.organization_id IS NULL")
    [(rule_a,)] = server.query("SELECT id::text FROM app.alert_rule_create(jsonb_build_object('name',"
                               " 'Checkout critical', 'alert_type', 'critical_error', 'channel', 'in_app',"
                               " 'organization_id', %s::uuid))",
                               [project_a.organization_id])
    server.query("SELECT app.alert_test(%s)", [rule_a])
    [(rule_b,)] = server.query("SELECT id::text FROM app.alert_rule_create(jsonb_build_object('name', 'B secret failure"
                               " alert', 'alert_type', 'error_spike', 'channel', 'in_app', 'organization_id', %s::uuid,"
                               " 'trigger_conditions', '{\"threshold\": 100}'::jsonb))",
                               [project_b.organization_id])
    [(report_a,)] = server.query(
        "INSERT INTO app.user_error_reports (report_type, priority, reporter_type, reporter_name, organization_id,"
        " title, description, linked_error_id) VALUES ('bug', 'high', 'customer', 'Carla', %s,"
        " 'Coupon field breaks checkout', 'Typing a coupon shows an error.', %s) RETURNING id::text",
        [project_a.organization_id, error_a])
    execute(server, "INSERT INTO app.user_error_reports (report_type, reporter_type, organization_id, title,"
                    " description) VALUES ('bug', 'customer', %s, 'B secret failure report', 'Only B sees this.')",
            [project_b.organization_id])
    return World(admin, owner_a, owner_b, project_a, project_b, error_a, error_b, monitor_a, rule_a, rule_b, report_a)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@contextlib.contextmanager
def signed_in_client(server: WebServer, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """An HTTP client holding a session cookie, signed in through the sign-in form."""
    with httpx.Client(base_url=server.base_url, timeout=30, headers=BROWSER) as client:
        answer = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "email": email,
                                             "password": password, "next": "/"})
        assert answer.status_code == 303, answer.text[:500]
        yield client
