"""`pgwarden alerts`: alert rules, muting, test notifications, the delivery history and signing
secrets. SQL validates and decides everything (db/functions/app/7x0_alerts_*.sql); this module
turns options into a rule's JSON fields and formats the answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from psycopg.types.json import Jsonb

from workers import sql
from workers.cli.context import stack
from workers.cli.output import json_option, print_rows, when
from workers.db import connect
from workers.stack.runtime import say

ALERT_TYPES = ("critical_error", "error_spike", "health_degraded", "uptime_incident", "new_user_report")
CHANNELS = ("email", "slack", "webhook", "in_app")
FORMATS = ("standard", "pagerduty", "apprise")


def _conditions(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--conditions") from exc
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--conditions")
    return value


def rule_options(creating: bool) -> Callable[[Callable], Callable]:
    """The options that set a rule's fields; on `edit` every one is optional and only given ones change."""
    options = [
        click.option("--type", "alert_type", required=creating, type=click.Choice(ALERT_TYPES),
                     help="What fires it."),
        click.option("--channel", required=creating, type=click.Choice(CHANNELS), help="Where notifications go."),
        click.option("--webhook-url",
                     help="slack, webhook: the URL to post to; webhook in apprise format: an Apprise URL."),
        click.option("--recipient", "recipients", multiple=True,
                     help="email: an address; in_app: a role (org_owner, staff, system_admin) or a user. Repeatable."),
        click.option("--format", "webhook_format", type=click.Choice(FORMATS),
                     help="webhook only: standard (signed JSON), pagerduty (Events API v2) or apprise."),
        click.option("--routing-key", "pagerduty_routing_key",
                     help="webhook in pagerduty format: the integration key."),
        click.option("--conditions",
                     help='trigger_conditions as JSON, e.g. \'{"threshold": 100, "window_minutes": 5}\'.'),
        click.option("--name", help="A name for people."),
        click.option("--group-wait", "group_wait_seconds", type=int,
                     help="Seconds before an incident's first notice (default 30 for error_spike, else 0)."),
        click.option("--group-interval", "group_interval_seconds", type=int,
                     help="At most one notice per incident per this many seconds (default 300)."),
        click.option("--repeat-interval", "repeat_interval_seconds", type=int,
                     help="Notify a still-firing incident again after this many seconds (default 14400)."),
        click.option("--send-resolved/--no-send-resolved", "send_resolved", default=None,
                     help="Whether a resolved notice follows (default yes)."),
        click.option("--active/--inactive", "is_active", default=None, help="Switch the rule on or off."),
    ]
    if creating:
        options.append(click.option("--org", "organization_id", help="Organization id (default: a platform rule)."))

    def decorate(function: Callable) -> Callable:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def _fields(options: dict[str, Any]) -> dict[str, Any]:
    """The rule fields the user gave (None and empty mean: not given)."""
    fields = {key: value for key, value in options.items() if value not in (None, ())}
    if "recipients" in fields:
        fields["recipients"] = list(fields["recipients"])
    if "conditions" in fields:
        fields["trigger_conditions"] = _conditions(fields.pop("conditions"))
    return fields


def _show_secret(rule_id: str, secret: str | None) -> None:
    if secret:
        say(f"signing secret  {secret}")
        say(f"(shown once; `pgwarden alerts secret {rule_id}` shows it again)")


@click.group("alerts")
def alerts_group() -> None:
    """Alert rules: list, add, edit, delete, mute, test; their history; webhook signing secrets."""


@alerts_group.command("list")
@click.option("--org", "org_id", help="Only this organization's rules: id, id prefix or name.")
@json_option
def alerts_list(org_id: str | None, as_json: bool) -> None:
    """Rules, where they send (broken destinations marked), and how often they fired."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.ALERT_RULE_LIST, [org_id]).fetchall()
    if as_json:
        print_rows(("id", "organization_id", "name", "alert_type", "channel", "destinations", "is_active",
                    "muted_until", "trigger_count", "last_triggered_at", "open_signals"), rows)
        return
    for (rule_id, org, name, alert_type, channel, destinations, active, muted_until, fired, last_fired,
         open_signals) in rows:
        state = "inactive" if not active else f"muted until {when(muted_until)}" if muted_until else "active"
        label = f"  {name}" if name else ""
        where = f"  [org {org}]" if org else "  [platform]"
        say(f"{rule_id}  {alert_type:<16} {channel:<9} {state:<10} fired {fired or 0} (last {when(last_fired)}), "
            f"open {open_signals}  -> {destinations or '-'}{where}{label}")
    if not rows:
        say("no alert rules")


@alerts_group.command("add")
@rule_options(creating=True)
def alerts_add(**options: Any) -> None:
    """Create a rule; prints its id (and a webhook's signing secret, once)."""
    with connect(stack().database_url) as conn:
        rule_id, secret = conn.execute(sql.ALERT_RULE_CREATE, [Jsonb(_fields(options))]).fetchone()
    say(str(rule_id))
    _show_secret(str(rule_id), secret)


@alerts_group.command("edit")
@click.argument("rule_id")
@rule_options(creating=False)
@click.option("--clear-broken", is_flag=True, help="Let its broken destinations receive again.")
def alerts_edit(rule_id: str, clear_broken: bool, **options: Any) -> None:
    """Change the given fields of RULE_ID."""
    with connect(stack().database_url) as conn:
        _, secret = conn.execute(sql.ALERT_RULE_UPDATE, [rule_id, Jsonb(_fields(options))]).fetchone()
        if clear_broken:
            cleared = conn.execute(sql.ALERT_RULE_CLEAR_BROKEN, [rule_id]).fetchone()[0]
            say(f"{cleared} destination(s) no longer broken")
    say(f"rule {rule_id} changed")
    _show_secret(rule_id, secret)


@alerts_group.command("delete")
@click.argument("rule_id")
def alerts_delete(rule_id: str) -> None:
    """Delete RULE_ID (its open incidents resolve without a notice; the history stays)."""
    with connect(stack().database_url) as conn:
        conn.execute(sql.ALERT_RULE_DELETE, [rule_id])
    say(f"rule {rule_id} deleted")


@alerts_group.command("mute")
@click.argument("rule_id")
@click.option("--until", "until", required=True,
              help="A duration (30m, 2h, 1 day), a time (2026-12-01T08:00Z), or now to unmute.")
def alerts_mute(rule_id: str, until: str) -> None:
    """Snooze RULE_ID: it neither fires nor notifies until then."""
    with connect(stack().database_url) as conn:
        muted_until = conn.execute(sql.ALERT_RULE_MUTE, [rule_id, until]).fetchone()[0]
    say(f"rule {rule_id} muted until {when(muted_until)}" if muted_until else f"rule {rule_id} not muted")


@alerts_group.command("test")
@click.argument("rule_id")
def alerts_test(rule_id: str) -> None:
    """Send a test notification through RULE_ID's destinations (the workers deliver it)."""
    with connect(stack().database_url) as conn:
        notification_id = conn.execute(sql.ALERT_TEST, [rule_id]).fetchone()[0]
        deliveries = conn.execute(sql.ALERT_NOTIFICATION_DELIVERIES, [notification_id]).fetchall()
    say(f"test notification {notification_id}")
    for delivery_id, channel, recipient, status, run_at in deliveries:
        say(f"  {delivery_id}  {channel:<9} {status:<10} at {when(run_at)}  {recipient}")
    if not deliveries:
        say("  (the rule has no destination)")


@alerts_group.command("history")
@click.option("--rule", "rule_id", help="Only this rule's deliveries.")
@click.option("--failed", is_flag=True, help="Only deliveries not delivered (failed, retrying, suppressed).")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@json_option
def alerts_history(rule_id: str | None, failed: bool, limit: int, as_json: bool) -> None:
    """Deliveries, newest first, each with every attempt."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.ALERT_HISTORY, [rule_id, failed, limit]).fetchall()
    if as_json:
        print_rows(("id", "created_at", "rule_id", "kind", "title", "channel", "recipient", "status", "attempts",
                    "last_status_code", "last_error", "next_retry_at", "attempt_log"), rows)
        return
    for (delivery_id, created_at, _rule, kind, title, channel, recipient, status, attempts, code, error, next_retry,
         attempt_log) in rows:
        say(f"{when(created_at)}  {status:<10} {kind:<8} {channel:<9} {recipient}  tries {attempts}"
            f"{f'  last {code}' if code else ''}  {title}  ({delivery_id})")
        if error:
            say(f"    error: {error}" + (f" (next try {when(next_retry)})" if next_retry else ""))
        for attempt in attempt_log:
            latency = f" {attempt['latency_ms']:.0f} ms" if attempt["latency_ms"] is not None else ""
            detail = attempt["error"] or attempt["response"] or ""
            say(f"    #{attempt['attempt']} {attempt['outcome']:<9} {attempt['status_code'] or '-'}{latency}  {detail}"
                f"{'  [destination broken]' if attempt['broken'] else ''}")
    if not rows:
        say("no deliveries")


@alerts_group.command("secret")
@click.argument("rule_id")
def alerts_secret(rule_id: str) -> None:
    """Print the Standard Webhooks signing secret of webhook rule RULE_ID."""
    with connect(stack().database_url) as conn:
        say(conn.execute(sql.ALERT_RULE_SECRET, [rule_id]).fetchone()[0])


COMMANDS = (alerts_group,)
