"""`pgwarden errors why|merge|unmerge|rules`: why an error grouped, and fixing grouping by hand.

The SQL functions (db/functions/app/325_grouping_*.sql) decide and check everything; this module
formats their answers. It connects as the stack's superuser.
"""

from __future__ import annotations

import json

import click

from workers import sql
from workers.cli.context import stack
from workers.cli.errorscmd import errors_group
from workers.cli.output import json_option, print_json, print_rows
from workers.db import connect
from workers.stack.runtime import say


def component_line(component: list) -> str:
    kind, *values = component
    return f"  {kind:<12} {'  '.join('-' if value is None else str(value) for value in values)}"


@errors_group.command("why")
@click.argument("error_id")
@json_option
def errors_why(error_id: str, as_json: bool) -> None:
    """Why an error group's events group together: the components of its latest event's hash."""
    with connect(stack().database_url) as conn:
        why = conn.execute(sql.ERROR_GROUPING_EXPLAIN, [error_id]).fetchone()[0]
    if as_json:
        print_json(why)
        return
    say(f"error {why['id']}  hash {why['error_hash']}  grouping rules v{why['grouping_version']}"
        f" (current v{why['current_grouping_version']})")
    event = why.get("event")
    if event is None:
        say("no event of this group is kept")
    else:
        own = "its own hash" if event["hash_is_own"] else (
            "not its hash: it was grouped by the previous rules" if event.get("hashed_by_previous_rules")
            else "not its hash: it was grouped by other rules or another fingerprint")
        say(f"latest event {event['event_id']} at {event['received_at']}: {event['variant']}, {own}")
        if event.get("joined_by"):
            say(f"  joined this group by a {event['joined_by']} (own hash {event['own_hash']})")
        if event.get("fingerprint_rule"):
            say(f"  fingerprint from rule {event['fingerprint_rule']['id']}: {event['fingerprint_rule']['rule']}")
        elif event.get("fingerprint"):
            say(f"  fingerprint from the client: {json.dumps(event['fingerprint'], ensure_ascii=False)}")
        say("components, in hash order:")
        for component in event["components"]:
            say(component_line(component))
    for other in why["other_hashes"]:
        say(f"also {other['hash']}  {other['reason']}  v{other['grouping_version']}  {other['created_at']}")


@errors_group.command("merge")
@click.argument("target_id")
@click.argument("source_ids", nargs=-1, required=True)
@click.option("--note", help="Why (kept in the target's status history).")
def errors_merge(target_id: str, source_ids: tuple[str, ...], note: str | None) -> None:
    """Merge error groups into TARGET_ID: their events, counts and future events move there."""
    with connect(stack().database_url) as conn:
        merged = conn.execute(sql.ERROR_GROUPS_MERGE, [target_id, list(source_ids), note]).fetchone()[0]
    say(f"{merged['id']}  {merged['occurrence_count']} occurrences, {merged['events_moved']} events moved,"
        f" hashes now pointing here: {', '.join(merged['merged_hashes'])}")


@errors_group.command("unmerge")
@click.argument("error_id")
@click.argument("hash_")
def errors_unmerge(error_id: str, hash_: str) -> None:
    """Take a merged HASH out of ERROR_ID: its events and future events form their own group."""
    with connect(stack().database_url) as conn:
        result = conn.execute(sql.ERROR_GROUP_UNMERGE, [error_id, hash_]).fetchone()[0]
    say(f"{result['hash']}  {result['events_moved']} events moved to"
        f" {result['new_error_id'] or 'a new group on its next event'}")


@errors_group.group("rules")
def rules_group() -> None:
    """Per-project fingerprint rules (Sentry's syntax): list, add, delete."""


@rules_group.command("list")
@click.argument("project_id", type=int)
@json_option
def rules_list(project_id: int, as_json: bool) -> None:
    """A project's fingerprint rules, in the order they are tried."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.FINGERPRINT_RULE_LIST, [project_id]).fetchall()
    if as_json:
        print_rows(("id", "position", "rule"), rows)
        return
    for rule_id, position, rule in rows:
        say(f"{rule_id:>6}  {position:>3}  {rule}")
    if not rows:
        say("no fingerprint rules")


@rules_group.command("add")
@click.argument("project_id", type=int)
@click.argument("rule")
def rules_add(project_id: int, rule: str) -> None:
    """Add RULE, e.g. 'error.type:ConnectionError -> {{ default }}, database', after the others."""
    with connect(stack().database_url) as conn:
        added = conn.execute(sql.FINGERPRINT_RULE_ADD, [project_id, rule]).fetchone()[0]
    say(f"{added['id']}  position {added['position']}  {added['rule']}")


@rules_group.command("delete")
@click.argument("rule_id", type=int)
def rules_delete(rule_id: int) -> None:
    """Delete a fingerprint rule."""
    with connect(stack().database_url) as conn:
        deleted = conn.execute(sql.FINGERPRINT_RULE_DELETE, [rule_id]).fetchone()[0]
    say(f"{deleted['id']}  deleted  {deleted['rule']}")
