"""`pgwarden demo` against the running stack: the catalogue's organizations (app.demo_setup), errors
through the real Sentry SDK and through /rpc/capture_error on PostgREST, user reports through the
widget API, the demo services under the stack's supervisor, a backfilled week (app.demo_backfill),
then a wait until what was sent is stored. Idempotent: a second run reuses every object and the
backfill, and sends fresh events and reports."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import httpx
import psycopg
import sentry_sdk
from psycopg.types.json import Jsonb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workers import sql
from workers.demo import catalogue, faults, services
from workers.stack.runtime import Stack
from workers.stack.supervision import SupervisorError

BACKFILL_DAYS = 7
SDK_REPEATS = 2  # each fault sent this many times per project (under the 100/min organization limit)

CAPTURES = [  # through PostgREST, as a page's capture.js or a backend would post them
    {"error_type": "javascript", "severity": "error",
     "message": "Cannot read properties of undefined (reading 'price')",
     "stack_trace": "TypeError: Cannot read properties of undefined (reading 'price')\n"
                    "    at renderCart (/static/cart.js:120:17)\n    at onLoad (/static/app.js:33:5)"},
    {"error_type": "network", "severity": "warning", "message": "Failed to fetch /api/availability (timeout 10 s)"},
    {"error_type": "api", "severity": "critical",
     "message": "POST /api/orders answered 500: database connection pool exhausted"},
]

REPORTS = [
    {"title": "Checkout spins forever", "description": "I pressed Pay and the button kept spinning for minutes.",
     "report_type": "bug", "priority": "high", "steps_to_reproduce": "Add a product, go to checkout, press Pay."},
    {"title": "Search results load slowly", "description": "Searching for flights takes 10 seconds or more.",
     "report_type": "performance", "priority": "medium"},
    {"title": "Please add dark mode", "description": "The dashboard is very bright at night.",
     "report_type": "feature_request", "priority": "low"},
]


@dataclass
class Outcome:
    organizations: list[dict]
    sent: int = 0
    refused: list[str] = field(default_factory=list)
    reports: int = 0
    backfills: list[dict] = field(default_factory=list)
    stored: int = 0
    services_note: str = ""


def run(stack: Stack, console: Console | None = None) -> Outcome:
    console = console or Console()
    urls = stack.urls(dsn="")
    _require_running(urls.api, urls.web)
    services_url = f"http://127.0.0.1:{stack.settings.demo_port}"
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        steps = progress.add_task("demo services", total=1)
        services_note = _start_services(stack, services_url)
        progress.advance(steps)

        progress.update(steps, description="organizations, projects, monitors, rules", total=2)
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            setup = conn.execute(sql.DEMO_SETUP, [Jsonb(catalogue.catalogue(services_url))]).fetchone()[0]
        progress.advance(steps)
        outcome = Outcome(organizations=setup["organizations"], services_note=services_note)
        started = _database_now(stack)

        projects = [(org, project) for org in outcome.organizations for project in org["projects"]]
        per_project = len(faults.FAULTS) * SDK_REPEATS + 1 + len(CAPTURES) + 1
        sending = progress.add_task("errors (Sentry SDK, /rpc/capture_error) and reports",
                                    total=len(projects) * per_project)
        for org, project in projects:
            _send_sdk_events(stack, org, project, outcome, lambda: progress.advance(sending))
            _send_captures(urls.api, project, outcome, lambda: progress.advance(sending))
            _send_report(urls.api, org, project, outcome)
            progress.advance(sending)
        sentry_sdk.flush(timeout=10)

        backfill = progress.add_task(f"a backfilled week ({BACKFILL_DAYS} days) per organization",
                                     total=len(outcome.organizations))
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            for org in outcome.organizations:
                outcome.backfills.append(conn.execute(sql.DEMO_BACKFILL,
                                                      [org["id"], BACKFILL_DAYS, catalogue.FLAPPING]).fetchone()[0])
                progress.advance(backfill)

        arriving = progress.add_task("waiting until the events are stored", total=outcome.sent)
        outcome.stored = _wait_until_stored(stack, outcome, started,
                                            lambda stored: progress.update(arriving, completed=stored))
    _say_what_to_look_at(console, stack, outcome)
    return outcome


def _require_running(api: str, web: str) -> None:
    for name, url in (("PostgREST", api), ("pgwarden web", web + "health")):
        try:
            httpx.get(url, timeout=5.0)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"{name} does not answer at {url}: start the stack first (`make up`)") from exc


def _start_services(stack: Stack, services_url: str) -> str:
    """Under the stack's supervisor (restarted if they die; `make up` starts them again from now
    on). A stack whose supervisor predates the demo program gets them in this process only."""
    stack.demo_marker.parent.mkdir(parents=True, exist_ok=True)
    stack.demo_marker.write_text(services_url + "\n")
    try:
        stack.supervisor.start(["demo"])
    except SupervisorError:
        server = services.serve(stack.settings.demo_port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return ("the stack's supervisor was started before the demo services existed: they run only while "
                "`make demo` does; `make down && make up` keeps them running")
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(services_url + "/hooks", timeout=2.0)
            return f"running under the stack's supervisor at {services_url}/ (program `demo`)"
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the demo services did not answer at {services_url}; "
                                   f"see {stack.settings.log_dir / 'demo.log'}") from None
            time.sleep(0.1)


def _database_now(stack: Stack):
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        return conn.execute(sql.DATABASE_NOW).fetchone()[0]


def _send_sdk_events(stack: Stack, org: dict, project: dict, outcome: Outcome, tick) -> None:
    sentry_sdk.init(dsn=stack.dsn(project["id"], project["public_key"]), release=f"{org['key']}@1.4.2",
                    environment="production", default_integrations=False, auto_enabling_integrations=False,
                    send_default_pii=True)
    for _ in range(SDK_REPEATS):
        for name, call, level in faults.FAULTS:
            with sentry_sdk.new_scope() as scope:
                scope.set_level(level)
                scope.set_user({"id": f"user-{random.randint(1, 40)}",
                                "email": f"customer{random.randint(1, 40)}@example.com"})
                scope.set_tag("project", project["key"])
                scope.set_tag("fault", name)
                try:
                    call()
                except Exception as exc:  # noqa: BLE001 (each fault raises its own kind: that is the point)
                    sentry_sdk.capture_exception(exc)
            outcome.sent += 1
            tick()
    sentry_sdk.capture_message(f"Nightly export for {org['name']} finished with 3 skipped rows", level="warning")
    outcome.sent += 1
    tick()
    sentry_sdk.flush(timeout=10)


def _send_captures(api: str, project: dict, outcome: Outcome, tick) -> None:
    headers = {"X-Pgwarden-Key": project["public_key"]}
    for capture in CAPTURES:
        body = {**capture, "url": f"https://{project['key']}.example/checkout",
                "user_id": f"user-{random.randint(1, 40)}", "metadata": {"demo": True}}
        response = httpx.post(f"{api}rpc/capture_error", json=body, headers=headers, timeout=10.0)
        if response.status_code // 100 == 2:
            outcome.sent += 1
        else:
            outcome.refused.append(f"capture {response.status_code} {response.text[:200]}")
        tick()


def _send_report(api: str, org: dict, project: dict, outcome: Outcome) -> None:
    """One report a run per project, as the widget posts it: the widget key, the page's origin."""
    report = REPORTS[(len(org["key"]) + project["id"]) % len(REPORTS)]
    # a customer's address of the documentation range, another each time (10 reports per 10 minutes per address)
    client = f"203.0.113.{random.randint(1, 254)}"
    response = httpx.post(f"{api}rpc/submit_report", timeout=10.0,
                          json={**report, "url": f"https://{project['key']}.example/checkout",
                                "reporter_email": "pat@example.com", "reporter_name": "Pat Demo",
                                "browser_info": {"userAgent": "pgwarden demo"}},
                          headers={"X-Pgwarden-Widget-Key": project["widget_key"], "X-Forwarded-For": client})
    if response.status_code // 100 == 2:
        outcome.reports += 1
    else:
        outcome.refused.append(f"report {response.status_code} {response.text[:200]}")


def _wait_until_stored(stack: Stack, outcome: Outcome, since, report, timeout: float = 90.0) -> int:
    organization_ids = [org["id"] for org in outcome.organizations]
    deadline = time.monotonic() + timeout
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        while True:
            stored = conn.execute(sql.DEMO_EVENTS_STORED, [organization_ids, since]).fetchone()[0]
            report(stored)
            if stored >= outcome.sent or time.monotonic() > deadline:
                return stored
            time.sleep(0.5)


def _say_what_to_look_at(console: Console, stack: Stack, outcome: Outcome) -> None:
    urls = stack.urls(dsn="")
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        counts = {str(row[0]): row[1:] for row in conn.execute(
            sql.DEMO_COUNTS, [[org["id"] for org in outcome.organizations]]).fetchall()}
    table = Table(title="pgwarden demo")
    for column in ("organization", "id", "projects", "groups", "monitors", "rules", "reports", "days of counts"):
        table.add_column(column)
    for org in outcome.organizations:
        groups, monitors, rules, reports, _backfilled_from, days = counts[org["id"]]
        table.add_row(org["name"], str(org["id"]), str(len(org["projects"])), str(groups), str(monitors), str(rules),
                      str(reports), str(days))
    console.print(table)
    console.print(f"events sent {outcome.sent}, stored {outcome.stored}; reports sent {outcome.reports}")
    for refusal in outcome.refused:
        console.print(f"[yellow]refused:[/yellow] {refusal}")
    owner = outcome.organizations[0]
    token_command = f".venv/bin/pgwarden token --role org_owner --org {owner['id']} --ttl 12h"
    groups = "error_groups?order=last_seen_at.desc,id.desc&limit=20"
    json_body = """-H 'Content-Type: application/json' -d '{"p_time_range": "7 days"}'"""
    console.print(f"""
Demo services  {outcome.services_note}
PostgREST      {urls.api}   (OpenAPI document at /)
Web            {urls.web}
An owner's token ({owner['name']}):  {token_command}
   TOKEN=$({token_command})
   curl -H "Authorization: Bearer $TOKEN" '{urls.api}{groups}'
   curl -H "Authorization: Bearer $TOKEN" -X POST {urls.api}rpc/get_error_stats {json_body}
   curl -H "Authorization: Bearer $TOKEN" -X POST {urls.api}rpc/get_health_summary
   curl -H "Authorization: Bearer $TOKEN" '{urls.api}report_queue'   and   '{urls.api}in_app_notifications'
Webhook deliveries the receiver got:  curl {stack.demo_marker.read_text().strip()}/hooks
All organizations:  .venv/bin/pgwarden errors list --since 7d; pgwarden health list; pgwarden alerts list
""", soft_wrap=True)
