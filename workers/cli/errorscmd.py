"""`pgwarden errors`, `pgwarden stats`, `pgwarden org limit|personal-data`: error groups from the command line.

Every decision (filters, allowed status changes, statistics, limits, what an id prefix names) is made
by the SQL functions; this module only formats their answers. It connects as the stack's superuser.
"""

from __future__ import annotations

import click

from workers import sql
from workers.cli.admin import org_group
from workers.cli.context import stack
from workers.cli.failures import Problem
from workers.cli.output import (
    first_line,
    json_option,
    line,
    pairs,
    print_json,
    quiet_option,
    section,
    sparkline,
    table,
    when,
)
from workers.db import connect

# the CLI's words for the workflow, as error_status_enum values
STATUS_COMMANDS = {"resolve": "resolved", "ignore": "ignored", "reopen": "new"}


@click.group("errors")
def errors_group() -> None:
    """Error groups: list, show, resolve, ignore, reopen; why, merge, unmerge, rules.

    An ERROR_ID may be shortened to its first characters (4 or more) when they name one group.

    \b
    Examples:
      pgwarden errors list --status new --since 24h
      pgwarden errors show 8209
      pgwarden errors resolve 8209 --note "fixed in 1.4.2"
      pgwarden errors resolve 8209 --in-next-release
      pgwarden errors list --environment production --release shop@1.4.3
      pgwarden errors list --json | jq '.[].id'
    """


@errors_group.command("list")
@click.option("--status", help="Only this status (new, investigating, identified, fixing, resolved, ignored, "
                                "recurring).")
@click.option("--severity", help="Only this severity (debug, info, warning, error, critical).")
@click.option("--org", "org", help="Only this organization: id, id prefix or name.")
@click.option("--since", help="Seen within this long, e.g. 30m, 24h, 7d, 2w.")
@click.option("--search", help="Message contains this text.")
@click.option("--environment", help="Only groups seen in this environment, e.g. production.")
@click.option("--release", help="Only groups seen in this release, e.g. shop@1.4.3.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="At most this many rows.")
@json_option
@quiet_option
def errors_list(status: str | None, severity: str | None, org: str | None, since: str | None,
                search: str | None, environment: str | None, release: str | None, limit: int, as_json: bool,
                quiet: bool) -> None:
    """List error groups, most recently seen first."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.ERRORS_LIST, [status, severity, org, since, search, limit, environment,
                                              release]).fetchall()
    if quiet:
        for row in rows:
            line(str(row[0]))
        return
    if as_json:
        print_json([{"id": error_id, "organization_id": org_id, "organization": org_name, "status": status_,
                     "severity": severity_, "error_type": error_type, "occurrence_count": count,
                     "last_seen_at": last_seen, "message": message}
                    for error_id, org_id, org_name, status_, severity_, error_type, count, last_seen, message in rows])
        return
    table(("id", "status", "severity", "type", "events", "last seen", "organization", "message"),
          [(str(error_id)[:8], status_, severity_, error_type, count, when(last_seen), org_name, first_line(message))
           for error_id, _, org_name, status_, severity_, error_type, count, last_seen, message in rows],
          empty="no errors")


@errors_group.command("show")
@click.argument("error_id")
@json_option
def errors_show(error_id: str, as_json: bool) -> None:
    """One error group: message, counts, first and last seen, top frames, breakdowns, AI analysis, reports."""
    with connect(stack().database_url) as conn:
        group = conn.execute(sql.ERROR_SUMMARY, [error_id]).fetchone()[0]
    if as_json:
        print_json(group)
        return
    line(first_line(group["message"], 120), style="bold")
    pairs([("id", group["id"]), ("status", group["status"]), ("severity", group["severity"]),
           ("type", group["error_type"]), ("organization", group["organization_id"]),
           ("events", f"{group['occurrence_count']} ({group['events_last_24h']} in the last 24 hours)"),
           ("users affected", group["users_affected"]), ("first seen", when(group["first_seen_at"])),
           ("last seen", when(group["last_seen_at"])), ("url", group.get("url")),
           ("component", group.get("component")),
           ("environments", ", ".join(group.get("environments") or [])),
           ("first release", group.get("first_release")), ("last release", group.get("last_release")),
           ("resolved in", group.get("resolved_in_release") and f"the release after {group['resolved_in_release']}"),
           ("suspect release", _suspect_text(group.get("suspect_release")))])
    if group["top_frames"]:
        section("Top frames")
        for frame in group["top_frames"]:
            line(f"  {frame}")
    breakdowns = group["breakdowns"]
    shown = {name: counts for name, counts in breakdowns.items() if isinstance(counts, dict)
             and set(counts) != {"unknown"} and counts}
    if shown:
        section(f"Where (latest {breakdowns['events_read']} events)")
        for name, counts in shown.items():
            line(f"  {name:<8} " + ", ".join(f"{value} {count}" for value, count in counts.items()))
    analysis = group.get("ai_analysis")
    if analysis:
        section("AI analysis")
        pairs([("root cause", analysis.get("rootCause")), ("impact", analysis.get("impact")),
               ("suggested fix", analysis.get("suggestedFix")), ("severity", analysis.get("severity"))])
    if group["linked_reports"]:
        section("Linked reports")
        for report in group["linked_reports"]:
            line(f"  {report['id']}  {report['status']:<12} {first_line(report['title'])}")
    if group["status_history"]:
        section("Status history")
        for change in group["status_history"]:
            note = f"  {change['note']}" if change.get("note") else ""
            line(f"  {when(change.get('changed_at') or change.get('created_at'))}  "
                 f"{change.get('from_status')} -> {change.get('to_status')}{note}")


def _suspect_text(suspect: dict | None) -> str | None:
    if not suspect:
        return None
    return (f"{suspect['release']} ({suspect['environment']}), deployed {suspect['minutes_before']} min before; "
            f"{suspect['events_per_minute_before']} -> {suspect['events_per_minute_after']} events/min")


def _status_command(name: str, status: str) -> click.Command:
    @click.command(name, help=f"Set an error group's status to {status}.")
    @click.argument("error_id")
    @click.option("--note", help="Why (kept in the status history).")
    def command(error_id: str, note: str | None, in_next_release: bool = False) -> None:
        with connect(stack().database_url) as conn:
            changed = conn.execute(sql.ERROR_SET_STATUS, [error_id, status, note, in_next_release]).fetchone()[0]
        if in_next_release:
            line(f"{changed['id']}  {changed['previous_status']} -> {changed['status']} "
                 f"in the release after {changed['resolved_in_release']}")
            return
        if changed["previous_status"] == changed["status"]:
            raise Problem("unchanged", f"error {changed['id']} is already {status}: nothing changed",
                          hint="`pgwarden errors show` shows its status and history.")
        line(f"{changed['id']}  {changed['previous_status']} -> {changed['status']}")

    if status == "resolved":
        # only an event of a newer release than the current one makes it recurring (app.error_status_change)
        command = click.option("--in-next-release", is_flag=True,
                               help="Resolved in the next release: events of the current release or older "
                                    "ones do not reopen it, one of a newer release does.")(command)
    return command


for _name, _status in STATUS_COMMANDS.items():
    errors_group.add_command(_status_command(_name, _status))


@click.command("stats")
@click.option("--range", "time_range", default="24h", show_default=True, help="Time range, e.g. 1h, 24h, 7d, 2w.")
@click.option("--org", "org", help="One organization (default: all): id, id prefix or name.")
@json_option
def stats(time_range: str, org: str | None, as_json: bool) -> None:
    """Error statistics: totals, top errors and events over time (--json: every figure)."""
    with connect(stack().database_url) as conn:
        figures = conn.execute(sql.ERROR_STATS, [time_range, org]).fetchone()[0]
    if as_json:
        print_json(figures)
        return
    line(f"Errors over the last {time_range}", style="bold")
    pairs([("events", figures["total_events"]), ("error groups", figures["total_errors"]),
           ("new", figures["new_errors"]), ("recurring", figures["recurring_errors"]),
           ("regressed", figures["regressed_errors"]), ("refused (rate limit)", figures.get("refused_events")),
           ("by severity", ", ".join(f"{k} {v}" for k, v in sorted(figures["by_severity"].items(),
                                                                     key=lambda kv: -kv[1]))),
           ("by type", ", ".join(f"{k} {v}" for k, v in sorted(figures["by_type"].items(), key=lambda kv: -kv[1])))])
    series = [bucket["events"] for bucket in figures.get("series") or []]
    if series:
        line(f"  {'over time':<20}  {sparkline(series)}  (peak {max(series)})")
    line("")
    table(("id", "events", "severity", "message"),
          [(str(top["id"])[:8], top.get("count", top.get("events")), top.get("severity"),
            first_line(top.get("message"))) for top in figures.get("top_errors") or []],
          empty="no errors in this range", title="Top errors")


@org_group.command("limit")
@click.argument("org")
@click.option("--per-minute", "per_minute", type=click.IntRange(0), required=True,
              help="Errors per minute; 0 lifts the limit.")
def org_limit(org: str, per_minute: int) -> None:
    """Set an organization's capture rate limit."""
    with connect(stack().database_url) as conn:
        limit = conn.execute(sql.ORG_RATE_LIMIT_SET, [org, per_minute]).fetchone()[0]
    line(f"{org}  {'unlimited' if limit == 0 else f'{limit} errors per minute'}")


PERSONAL_DATA_ACTIONS = click.Choice(["keep", "hash", "drop"])


@org_group.command("personal-data")
@click.argument("org")
@click.option("--email", type=PERSONAL_DATA_ACTIONS, help="E-mail addresses: keep, hash or drop.")
@click.option("--ip", "ip_address", type=PERSONAL_DATA_ACTIONS, help="IP addresses: keep, hash or drop.")
@click.option("--user-id", "user_id", type=PERSONAL_DATA_ACTIONS, help="User ids: keep, hash or drop.")
def org_personal_data(org: str, email: str | None, ip_address: str | None, user_id: str | None) -> None:
    """Show or set what capture keeps of personal data in an organization's errors (default: hash)."""
    with connect(stack().database_url) as conn:
        policy = conn.execute(sql.ORG_PERSONAL_DATA_SET, [org, email, ip_address, user_id]).fetchone()[0]
    line(f"{org}  email {policy['email']}, ip {policy['ip_address']}, user id {policy['user_id']}")


# `org limit` and `org personal-data` join the existing `org` group (workers/cli/admin.py) by the decorators above
COMMANDS = (errors_group, stats)
