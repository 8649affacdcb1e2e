"""`pgwarden correction`: auditable uptime. A correction (a false positive, a maintenance window entered
late, a probe bug) is recorded with who and why; SQL recomputes the days it covers and keeps their
figures before and after (db/functions/app/525_health_uptime_corrections.sql)."""

from __future__ import annotations

import getpass

import click

from workers import sql
from workers.cli.context import stack
from workers.cli.output import json_option, line, print_json, quiet_option, table, when
from workers.db import connect

KINDS = ("false_positive", "late_maintenance", "probe_bug")


@click.group("correction")
def correction_group() -> None:
    """Uptime corrections: add one (who, why, which range), list them with each day's figures before and after.

    \b
    Examples:
      pgwarden correction add api --kind false_positive --from 2026-12-01T10:00Z --until 2026-12-01T10:40Z \\
        --reason "the probe host lost its route"
      pgwarden correction list api --json
    """


@correction_group.command("add")
@click.argument("service")
@click.option("--kind", required=True, type=click.Choice(KINDS),
              help="false_positive counts the range as up; late_maintenance and probe_bug leave it out.")
@click.option("--from", "starts_at", required=True, help="Start: ISO 8601 (2026-12-01T02:00Z) or relative (-2h).")
@click.option("--until", "ends_at", required=True, help="End: ISO 8601, or relative to now (-1h).")
@click.option("--reason", required=True, help="Why (kept with the correction).")
@click.option("--author", default=None, help="Who corrects (default: this operating-system user).")
@click.option("--org", "org_id", default=None, help="Organization: id, id prefix or name (default: platform-wide).")
@quiet_option
def correction_add(service: str, kind: str, starts_at: str, ends_at: str, reason: str, author: str | None,
                   org_id: str | None, quiet: bool) -> None:
    """Correct SERVICE's uptime over a range; prints the correction id."""
    with connect(stack().database_url) as conn:
        (correction_id,) = conn.execute(sql.UPTIME_CORRECT, [service, org_id, kind, starts_at, ends_at, reason,
                                                             author or f"cli:{getpass.getuser()}"]).fetchone()
    line(str(correction_id) if quiet else f"correction {correction_id}")


@correction_group.command("list")
@click.argument("service", required=False)
@json_option
def correction_list(service: str | None, as_json: bool) -> None:
    """Corrections with the days they changed: uptime before and after."""
    columns = ("id", "service_name", "kind", "starts_at", "ends_at", "reason", "author", "created_at", "day",
               "previous_uptime_percentage", "corrected_uptime_percentage")
    with connect(stack().database_url) as conn:
        rows = [dict(zip(columns, row, strict=True))
                for row in conn.execute(sql.UPTIME_CORRECTION_LIST, [service, service]).fetchall()]
    if as_json:
        print_json(rows)
        return
    table(("id", "service", "kind", "from", "until", "day", "before %", "after %", "by", "why"),
          [(r["id"], r["service_name"], r["kind"], when(r["starts_at"]), when(r["ends_at"]), r["day"],
            r["previous_uptime_percentage"], r["corrected_uptime_percentage"], r["author"], r["reason"]) for r in rows],
          empty="no corrections")


COMMANDS = (correction_group,)
