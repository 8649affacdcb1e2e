"""`pgwarden errors`, `pgwarden stats`, `pgwarden org limit|personal-data`: error groups from the command line.

Every decision (filters, allowed status changes, statistics, limits) is made by the SQL functions;
this module only formats their answers. It connects as the stack's superuser.
"""

from __future__ import annotations

import json

import click

from workers import sql
from workers.cli.admin import org_group
from workers.cli.context import stack
from workers.db import connect
from workers.stack.runtime import say

# the CLI's words for the workflow, as error_status_enum values
STATUS_COMMANDS = {"resolve": "resolved", "ignore": "ignored", "reopen": "new"}


@click.group("errors")
def errors_group() -> None:
    """Error groups: list, show, resolve, ignore, reopen; why, merge, unmerge, rules."""


@errors_group.command("list")
@click.option("--status", help="Only this status (new, investigating, identified, fixing, resolved, ignored, "
                                "recurring).")
@click.option("--severity", help="Only this severity (debug, info, warning, error, critical).")
@click.option("--org", "org_id", help="Only this organization id.")
@click.option("--since", help="Seen within this long, e.g. 30m, 24h, 7d.")
@click.option("--search", help="Message contains this text.")
@click.option("--limit", default=50, show_default=True, help="At most this many rows.")
def errors_list(status: str | None, severity: str | None, org_id: str | None, since: str | None,
                search: str | None, limit: int) -> None:
    """List error groups, most recently seen first."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.ERRORS_LIST, [status, severity, org_id, since, search, limit]).fetchall()
    for error_id, organization_id, status_, severity_, error_type, count, last_seen, message in rows:
        first_line = message.splitlines()[0] if message else ""
        say(f"{error_id}  {status_:<13} {severity_:<8} {error_type:<10} {count:>8}  "
            f"{last_seen:%Y-%m-%d %H:%M:%S}  {organization_id}  {first_line[:80]}")
    if not rows:
        say("no errors")


@errors_group.command("show")
@click.argument("error_id")
def errors_show(error_id: str) -> None:
    """Show one error group: counts, users affected, latest events, status history."""
    with connect(stack().database_url) as conn:
        detail = conn.execute(sql.ERROR_DETAIL, [error_id]).fetchone()[0]
    say(json.dumps(detail, indent=2, ensure_ascii=False))


def _status_command(name: str, status: str) -> click.Command:
    @click.command(name, help=f"Set an error group's status to {status}.")
    @click.argument("error_id")
    @click.option("--note", help="Why (kept in the status history).")
    def command(error_id: str, note: str | None) -> None:
        with connect(stack().database_url) as conn:
            changed = conn.execute(sql.ERROR_SET_STATUS, [error_id, status, note]).fetchone()[0]
        say(f"{changed['id']}  {changed['previous_status']} -> {changed['status']}")

    return command


for _name, _status in STATUS_COMMANDS.items():
    errors_group.add_command(_status_command(_name, _status))


@click.command("stats")
@click.option("--range", "time_range", default="24h", show_default=True, help="Time range, e.g. 1h, 24h, 7d.")
@click.option("--org", "org_id", help="One organization (default: all).")
def stats(time_range: str, org_id: str | None) -> None:
    """Error statistics: totals, breakdowns, top errors, series, refused events."""
    with connect(stack().database_url) as conn:
        figures = conn.execute(sql.ERROR_STATS, [time_range, org_id]).fetchone()[0]
    say(json.dumps(figures, indent=2, ensure_ascii=False))


@org_group.command("limit")
@click.argument("org_id")
@click.option("--per-minute", "per_minute", type=int, required=True, help="Errors per minute; 0 lifts the limit.")
def org_limit(org_id: str, per_minute: int) -> None:
    """Set an organization's capture rate limit."""
    with connect(stack().database_url) as conn:
        limit = conn.execute(sql.ORG_RATE_LIMIT_SET, [org_id, per_minute]).fetchone()[0]
    say(f"{org_id}  {'unlimited' if limit == 0 else f'{limit} errors per minute'}")


PERSONAL_DATA_ACTIONS = click.Choice(["keep", "hash", "drop"])


@org_group.command("personal-data")
@click.argument("org_id")
@click.option("--email", type=PERSONAL_DATA_ACTIONS, help="E-mail addresses: keep, hash or drop.")
@click.option("--ip", "ip_address", type=PERSONAL_DATA_ACTIONS, help="IP addresses: keep, hash or drop.")
@click.option("--user-id", "user_id", type=PERSONAL_DATA_ACTIONS, help="User ids: keep, hash or drop.")
def org_personal_data(org_id: str, email: str | None, ip_address: str | None, user_id: str | None) -> None:
    """Show or set what capture keeps of personal data in an organization's errors (default: hash)."""
    with connect(stack().database_url) as conn:
        policy = conn.execute(sql.ORG_PERSONAL_DATA_SET, [org_id, email, ip_address, user_id]).fetchone()[0]
    say(f"{org_id}  email {policy['email']}, ip {policy['ip_address']}, user id {policy['user_id']}")


# `org limit` and `org personal-data` join the existing `org` group (workers/cli/admin.py) by the decorators above
COMMANDS = (errors_group, stats)
