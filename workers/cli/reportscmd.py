"""`pgwarden reports` and `pgwarden project widget-key`: the user error reports queue from the command
line. The SQL functions decide (filters, allowed status changes, duplicates, origins); this module
formats their answers. It connects as the stack's superuser, so changes carry no user."""

from __future__ import annotations

import json
import uuid

import click

from workers import sql
from workers.cli.admin import project_group
from workers.cli.context import stack
from workers.cli.output import json_option, line, pairs, print_json, print_rows, section
from workers.db import connect
from workers.stack.runtime import say


@click.group("reports")
def reports_group() -> None:
    """User error reports: list, show, assign, status, duplicate."""


@reports_group.command("list")
@click.option("--status", help="Only this status (open, in_progress, pending_info, resolved, closed, duplicate).")
@click.option("--org", "org_id", help="Only this organization: id, id prefix or name.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="At most this many rows.")
@json_option
def reports_list(status: str | None, org_id: str | None, limit: int, as_json: bool) -> None:
    """List reports, newest first."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.REPORT_LIST, [status, org_id, limit]).fetchall()
    if as_json:
        print_rows(("id", "organization_id", "status", "priority", "report_type", "reporter_type", "assigned_to",
                    "linked_error_id", "created_at", "title"), rows)
        return
    for (report_id, organization_id, status_, priority, report_type, reporter_type, assigned_to, linked_error_id,
         created_at, title) in rows:
        linked = "linked" if linked_error_id else "-"
        say(f"{report_id}  {status_:<12} {priority:<8} {report_type:<15} {reporter_type:<12} {linked:<6} "
            f"{created_at:%Y-%m-%d %H:%M:%S}  {organization_id}  {assigned_to or '-'}  {title[:80]}")
    if not rows:
        say("no reports")


@reports_group.command("show")
@click.argument("report_id", type=click.UUID)
@json_option
def reports_show(report_id: uuid.UUID, as_json: bool) -> None:
    """Show one report: its fields, linked error, screenshots, duplicates and history."""
    with connect(stack().database_url) as conn:
        detail = conn.execute(sql.REPORT_DETAIL, [report_id]).fetchone()[0]
    if as_json:
        print_json(detail)
        return
    line(detail.get("title") or "(no title)", style="bold")
    pairs([(key.replace("_", " "), value) for key, value in detail.items()
           if key != "title" and not isinstance(value, (dict, list))])
    for key, value in detail.items():
        if isinstance(value, (dict, list)) and value:
            section(key.replace("_", " ").capitalize())
            for item in (value if isinstance(value, list) else [value]):
                line(f"  {json.dumps(item, ensure_ascii=False, default=str)}")


@reports_group.command("assign")
@click.argument("report_id", type=click.UUID)
@click.argument("user")
def reports_assign(report_id: uuid.UUID, user: str) -> None:
    """Assign a report to USER (a user id or e-mail of its organization); '-' unassigns it."""
    with connect(stack().database_url) as conn:
        changed = conn.execute(sql.REPORT_ASSIGN, [report_id, None if user == "-" else user]).fetchone()[0]
    say(f"{changed['id']}  assigned to {changed['assigned_to'] or 'nobody'}")


@reports_group.command("status")
@click.argument("report_id", type=click.UUID)
@click.argument("status")
@click.option("--notes", help="Resolution notes (kept on the report and in its history).")
def reports_status(report_id: uuid.UUID, status: str, notes: str | None) -> None:
    """Move a report to STATUS (open, in_progress, pending_info, resolved, closed)."""
    with connect(stack().database_url) as conn:
        changed = conn.execute(sql.REPORT_SET_STATUS, [report_id, status, notes]).fetchone()[0]
    say(f"{changed['id']}  {changed['previous_status']} -> {changed['status']}")


@reports_group.command("duplicate")
@click.argument("report_id", type=click.UUID)
@click.argument("of_id", type=click.UUID)
@click.option("--notes", help="Why (kept in the history).")
def reports_duplicate(report_id: uuid.UUID, of_id: uuid.UUID, notes: str | None) -> None:
    """Mark REPORT_ID as a duplicate of OF_ID."""
    with connect(stack().database_url) as conn:
        changed = conn.execute(sql.REPORT_MARK_DUPLICATE, [report_id, of_id, notes]).fetchone()[0]
    say(f"{changed['id']}  duplicate of {changed['duplicate_of']}")


@project_group.command("widget-key")
@click.argument("project_id", type=int)
@click.option("--origin", "origins", multiple=True,
              help="A page origin allowed to use the key, e.g. https://shop.example.com (repeat; replaces the list).")
@click.option("--rotate", is_flag=True, help="Replace the key with a new one.")
def widget_key(project_id: int, origins: tuple[str, ...], rotate: bool) -> None:
    """Print a project's report widget key (created on first use) and set its allowed origins."""
    current = stack()
    with connect(current.database_url) as conn:
        key = conn.execute(sql.WIDGET_KEY_SET, [project_id, list(origins) or None, rotate]).fetchone()[0]
    say(f"widget_key       {key['widget_key']}")
    say(f"allowed_origins  {' '.join(key['allowed_origins']) or '(none: no page may use it yet)'}")
    urls = current.urls(dsn="")
    say(f'embed            <script src="{urls.web}widget/report.js" data-widget-key="{key["widget_key"]}" '
        'async></script>')


# `project widget-key` joins the existing `project` group (workers/cli/admin.py) by the decorator above
COMMANDS = (reports_group,)
