"""`pgwarden slo`: availability objectives per service, their error budget and burn-rate alerts.
SQL measures and decides (db/functions/app/765_slos.sql); this module formats the answers."""

from __future__ import annotations

from typing import Any

import click

from workers import sql
from workers.cli.context import stack
from workers.cli.failures import Problem
from workers.cli.output import duration_words, json_option, line, pairs, print_json, section, table, when
from workers.db import connect
from workers.stack.runtime import say

COLUMNS = ("id", "organization_id", "name", "service_name", "target", "window_days", "budget_seconds",
           "budget_remaining", "budget_remaining_seconds", "burn_rates", "firing", "evaluated_at", "created_at")
WINDOWS = ("5m", "30m", "1h", "6h", "3d")
ORG_OPTION = click.option("--org", "org_id", default=None,
                          help="Organization: id, id prefix or name (default: the monitor's).")


def _percent(share: Any) -> str:
    return "-" if share is None else f"{float(share) * 100:.3f}".rstrip("0").rstrip(".") + " %"


@click.group("slo")
def slo_group() -> None:
    """Service level objectives: create, list, show, delete; budgets and burn-rate alerts.

    An objective is the share of observed time a service is up (its monitor's status intervals) over
    a rolling window. Its alerts (page_fast 14.4x over 1h and 5m, page_slow 6x over 6h and 30m,
    ticket 1x over 3d and 6h) notify through uptime_incident rules whose conditions name them:
    pgwarden alerts add --type uptime_incident --conditions '{"slo_burn": ["page_fast", "page_slow"]}' ...

    \b
    Examples:
      pgwarden slo create api --target 99.9
      pgwarden slo list --json
      pgwarden slo show api
    """


@slo_group.command("create")
@click.argument("service")
@click.option("--target", required=True, type=float, help="Percent of observed time up, e.g. 99.9.")
@click.option("--window", default="30d", show_default=True,
              help="Rolling window in whole days: 30d, 4w, or a number of days.")
@click.option("--name", help="Objective name (default: the service name).")
@ORG_OPTION
def slo_create(service: str, target: float, window: str, name: str | None, org_id: str | None) -> None:
    """Create an objective for SERVICE; prints its id."""
    with connect(stack().database_url) as conn:
        (slo_id,) = conn.execute(sql.SLO_CREATE, [service, target / 100, window, name, org_id]).fetchone()
        conn.execute(sql.SLO_REFRESH, [slo_id])
    say(str(slo_id))


@slo_group.command("list")
@json_option
def slo_list(as_json: bool) -> None:
    """Objectives with the budget left and the alerts that hold."""
    with connect(stack().database_url) as conn:
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in conn.execute(sql.SLO_LIST).fetchall()]
    if as_json:
        print_json(rows)
        return
    table(("name", "service", "target", "window", "budget left", "firing", "organization"),
          [(r["name"], r["service_name"], _percent(r["target"]), f"{r['window_days']} d",
            f"{_percent(r['budget_remaining'])} ({duration_words(r['budget_remaining_seconds'])})"
            if r["budget_remaining"] is not None else "-",
            ", ".join(r["firing"]) or "-", r["organization_id"] or "platform") for r in rows],
          empty="no objectives (`pgwarden slo create SERVICE --target 99.9` adds one)")


@slo_group.command("show")
@click.argument("name")
@json_option
def slo_show(name: str, as_json: bool) -> None:
    """One objective: its budget and the burn rate over each window."""
    with connect(stack().database_url) as conn:
        row = conn.execute(sql.SLO_SHOW, [name]).fetchone()
    if row is None:
        raise Problem("QN765", f"objective {name} not found", hint="`pgwarden slo list` shows the objectives.")
    slo = dict(zip(COLUMNS, row, strict=True))
    if as_json:
        print_json(slo)
        return
    line(f"{slo['name']}: {slo['service_name']} up {_percent(slo['target'])} of the last {slo['window_days']} days")
    pairs([("budget", duration_words(slo["budget_seconds"])),
           ("left", f"{_percent(slo['budget_remaining'])} ({duration_words(slo['budget_remaining_seconds'])})"
            if slo["budget_remaining"] is not None else "nothing observed yet"),
           ("firing", ", ".join(slo["firing"]) or "nothing"),
           ("evaluated", when(slo["evaluated_at"])),
           ("organization", slo["organization_id"] or "platform")])
    section("burn rate (error ratio / budget)")
    table(WINDOWS, [[slo["burn_rates"].get(window) for window in WINDOWS]], empty="not evaluated yet")


@slo_group.command("delete")
@click.argument("name")
@ORG_OPTION
def slo_delete(name: str, org_id: str | None) -> None:
    """Delete objective NAME (its open alerts resolve within a minute)."""
    with connect(stack().database_url) as conn:
        conn.execute(sql.SLO_DELETE, [name, org_id])
    say(f"objective {name} deleted")


COMMANDS = (slo_group,)
