"""`pgwarden health`, `pgwarden uptime`, `pgwarden maintenance`: monitors, on-demand probes, the
summary and uptime. Every decision is SQL's (db/functions/app/5x0_health_*.sql)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import click
from psycopg.types.json import Jsonb

from workers import sql
from workers.cli.context import stack
from workers.cli.failures import Unhealthy
from workers.cli.output import duration_words, json_option, line, pairs, print_json, quiet_option, table, when
from workers.db import connect
from workers.handlers.health import probe_monitor
from workers.stack.runtime import say

HEALTHY = ("healthy", "operational")

CHECK_TYPES = ("api", "webhook", "database", "stripe", "embed", "email", "sms", "external")
PROBE_KINDS = ("http", "database", "stripe", "smtp", "sms", "heartbeat")
ORG_OPTION = click.option("--org", "org_id", default=None,
                          help="Organization: id, id prefix or name (default: platform-wide).")


def _json_option(text: str | None, name: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from exc
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=name)
    return value


@click.group("health")
def health_group() -> None:
    """Health monitors: list, add, edit, pause/resume (disable/enable), delete, run now, summary.

    `health run` and `health summary` exit with 3 when a service is not healthy.

    \b
    Examples:
      pgwarden health add shop --type api --url https://shop.example.com/health
      pgwarden health run shop || page-the-on-call
      pgwarden health pause shop
      pgwarden health summary --json
    """


MONITOR_COLUMNS = ("id", "organization_id", "service_name", "display_name", "check_type", "probe", "endpoint",
                   "interval_seconds", "timeout_seconds", "enabled", "status", "last_status", "last_checked_at",
                   "last_response_time_ms", "heartbeat_token")


@health_group.command("list")
@json_option
def health_list(as_json: bool) -> None:
    """Monitors, their state and latest check (push monitors show their heartbeat path)."""
    with connect(stack().database_url) as conn:
        monitors = [dict(zip(MONITOR_COLUMNS, row, strict=True))
                    for row in conn.execute(sql.HEALTH_MONITOR_LIST).fetchall()]
    if as_json:
        print_json(monitors)
        return
    table(("service", "type", "probe", "every", "state", "last", "ms", "last check", "target", "organization"),
          [(m["service_name"], m["check_type"], m["probe"], duration_words(m["interval_seconds"]),
            m["status"] if m["enabled"] else "paused", m["last_status"], m["last_response_time_ms"],
            when(m["last_checked_at"]),
            f"/functions/v1/heartbeat/{m['heartbeat_token']}" if m["heartbeat_token"] else m["endpoint"],
            m["organization_id"] or "platform") for m in monitors],
          empty="no monitors (`pgwarden health add` adds one)")


@health_group.command("add")
@click.argument("service")
@click.option("--type", "check_type", required=True, type=click.Choice(CHECK_TYPES), help="The spec's check type.")
@click.option("--probe", type=click.Choice(PROBE_KINDS), help="How to observe it (default from --type).")
@click.option("--name", "display_name", help="Name shown on the status page.")
@click.option("--url", help="Target URL (http and sms probes).")
@click.option("--target", "target_json", help='Target as JSON, e.g. \'{"host": "smtp.example", "port": 587}\'.')
@click.option("--expect", "expect_json",
              help='Conditions as JSON: status_codes, body_contains, json_path + json_equals, '
                   'max_response_time_ms, min_tls_days, max_age_seconds.')
@click.option("--interval", "interval_seconds", type=click.IntRange(1, 86400), default=300, show_default=True,
              help="Seconds between checks.")
@click.option("--timeout", "timeout_seconds", type=click.FloatRange(0.1, 300), default=10, show_default=True,
              help="Probe timeout, seconds.")
@click.option("--failure-threshold", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option("--success-threshold", type=click.IntRange(1, 100), default=2, show_default=True)
@click.option("--partial", is_flag=True, help="Count its outages as partial_outage, not major_outage.")
@click.option("--private", is_flag=True, help="Keep it off the public status page.")
@click.option("--disabled", is_flag=True, help="Create it disabled.")
@ORG_OPTION
def health_add(service: str, check_type: str, probe: str | None, display_name: str | None, url: str | None,
               target_json: str | None, expect_json: str | None, interval_seconds: int, timeout_seconds: float,
               failure_threshold: int, success_threshold: int, partial: bool, private: bool, disabled: bool,
               org_id: str | None) -> None:
    """Add a monitor for SERVICE; prints its id (and heartbeat URL path for push monitors)."""
    target = _json_option(target_json, "--target")
    if url:
        target["url"] = url
    spec = {"service_name": service, "check_type": check_type, "probe": probe, "display_name": display_name,
            "target": target, "expected": _json_option(expect_json, "--expect"),
            "interval_seconds": interval_seconds, "timeout_seconds": timeout_seconds,
            "failure_threshold": failure_threshold, "success_threshold": success_threshold,
            "outage_status": "partial_outage" if partial else "major_outage", "is_public": not private,
            "enabled": not disabled, "organization_id": org_id}
    with connect(stack().database_url) as conn:
        monitor_id = conn.execute(sql.HEALTH_MONITOR_ADD, [Jsonb({k: v for k, v in spec.items() if v is not None})]
                                  ).fetchone()[0]
        token = conn.execute(sql.HEALTH_MONITOR_TOKEN, [monitor_id]).fetchone()[0]
    line(f"monitor {monitor_id}")
    if token:
        line(f"heartbeat  {stack().urls(dsn='').web}functions/v1/heartbeat/{token}  (GET, HEAD or POST)")


def _set_enabled(service: str, org_id: str | None, enabled: bool) -> None:
    with connect(stack().database_url) as conn:
        conn.execute(sql.HEALTH_MONITOR_SET_ENABLED, [service, org_id, enabled])
    say(f"{service} {'enabled' if enabled else 'disabled'}")


def _enabling(name: str, enabled: bool, text: str) -> click.Command:
    @click.command(name, help=text)
    @click.argument("service")
    @ORG_OPTION
    def command(service: str, org_id: str | None) -> None:
        _set_enabled(service, org_id, enabled)

    return command


for _name, _enabled, _text in (
        ("enable", True, "Start monitoring SERVICE again."),
        ("resume", True, "Start monitoring SERVICE again (the same as enable)."),
        ("disable", False, "Stop monitoring SERVICE (its uptime interval closes; no data is not downtime)."),
        ("pause", False, "Stop monitoring SERVICE for now (the same as disable).")):
    health_group.add_command(_enabling(_name, _enabled, _text))


@health_group.command("edit")
@click.argument("service")
@ORG_OPTION
@click.option("--set", "changes_json", required=True,
              help='Changes as JSON, e.g. \'{"interval_seconds": 60, "target": {"url": "https://x/health"}}\'.')
def health_edit(service: str, org_id: str | None, changes_json: str) -> None:
    """Change SERVICE's settings (validated as a new monitor's are)."""
    with connect(stack().database_url) as conn:
        conn.execute(sql.HEALTH_MONITOR_UPDATE, [service, org_id, Jsonb(_json_option(changes_json, "--set"))])
    say(f"{service} changed")


@health_group.command("delete")
@click.argument("service")
@ORG_OPTION
@click.confirmation_option("--yes", prompt="Delete the monitor with its checks, uptime and maintenance?",
                           help="Do not ask.")
def health_delete(service: str, org_id: str | None) -> None:
    """Delete SERVICE's monitor with its history."""
    with connect(stack().database_url) as conn:
        conn.execute(sql.HEALTH_MONITOR_DELETE, [service, org_id])
    say(f"{service} deleted")


@health_group.command("run")
@click.argument("services", nargs=-1)
@json_option
def health_run(services: tuple[str, ...], as_json: bool) -> None:
    """Probe SERVICES now (default: every enabled platform-wide monitor), here in this process.

    Results are recorded like scheduled ones; secrets named by *_env targets come from this
    process's environment.
    """
    with connect(stack().database_url) as conn:
        run = conn.execute(sql.HEALTH_RUN_NOW, [list(services) or None, False]).fetchone()[0]
        payloads = run["payloads"]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(payloads)))) as pool:
            for result in pool.map(probe_monitor, payloads):
                conn.execute(sql.HEALTH_PROBE_RESULT, [Jsonb(result)])
        answer = conn.execute(sql.HEALTH_RUN_RESULTS, [run["run_id"], run["services"], run["since"]]).fetchone()[0]
    if as_json:
        print_json(answer)
    else:
        table(("service", "status", "response", "reason"),
              [(r["service"], r["status"], f"{r['responseTime']} ms" if r.get("responseTime") is not None else None,
                r.get("error")) for r in answer["results"]], empty="no monitors to run")
        line(f"overall  {answer['overallStatus']}")
    if answer["overallStatus"] not in HEALTHY:
        raise Unhealthy(f"overall status {answer['overallStatus']}",
                        hint="The reason column says what each probe saw; `pgwarden health list` shows the targets.")


@health_group.command("summary")
@json_option
def health_summary(as_json: bool) -> None:
    """Latest status, response time and uptime (24 h, 30 d) per service; cached one minute."""
    with connect(stack().database_url) as conn:
        summary = conn.execute(sql.HEALTH_SUMMARY).fetchone()[0]
    if as_json:
        print_json(summary)
    else:
        table(("service", "state", "last", "ms", "24 h", "30 d", "since"),
              [(e["service_name"], (e["status"] if e["enabled"] else "paused") + ("*" if e["in_maintenance"] else ""),
                e["last_status"], e["response_time_ms"],
                *(f"{e[key]:.3f}%" if e[key] is not None else None for key in ("uptime_24h", "uptime_30d")),
                when(e["status_since"])) for e in summary["services"]], empty="no monitors")
        line(f"overall  {summary['overall_status']}   (computed {when(summary['computed_at'])}; * = in maintenance)")
    if summary["overall_status"] not in (*HEALTHY, "unknown"):
        raise Unhealthy(f"overall status {summary['overall_status']}")


UPTIME_COLUMNS = ("uptime_percentage", "observed_seconds", "downtime_seconds", "operational_seconds",
                  "degraded_seconds", "partial_outage_seconds", "major_outage_seconds", "maintenance_seconds",
                  "unknown_seconds")


@click.command("uptime")
@click.argument("service")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True)
@ORG_OPTION
@json_option
def uptime(service: str, days: int, org_id: str | None, as_json: bool) -> None:
    """Time-weighted uptime of SERVICE over the last DAYS, with the time behind it."""
    with connect(stack().database_url) as conn:
        row = conn.execute(sql.HEALTH_UPTIME, [service, org_id, days]).fetchone()
    figures = {name: (float(value) if value is not None else None) for name, value in zip(UPTIME_COLUMNS, row,
                                                                                             strict=True)}
    if as_json:
        print_json({"service": service, "days": days, **figures})
        return
    percentage = figures["uptime_percentage"]
    line(f"{service}: {f'{percentage:.3f}% up' if percentage is not None else 'nothing observed'} "
         f"over the last {days} days", style="bold")
    pairs([(name.removesuffix("_seconds").replace("_", " "), duration_words(seconds))
           for name, seconds in figures.items() if name != "uptime_percentage" and seconds])


@click.group("maintenance")
def maintenance_group() -> None:
    """Maintenance windows: add, list, edit, delete. Probes keep running, the time is excluded from uptime.

    \b
    Examples:
      pgwarden maintenance add shop --until +1h --reason upgrade
      pgwarden maintenance edit 3 --until +2h
      pgwarden maintenance delete 3 --yes
    """


@maintenance_group.command("add")
@click.argument("service")
@click.option("--from", "starts_at", default="now", show_default=True,
              help="Start: ISO 8601 (2026-12-01T02:00Z), now, or relative (+1h, -30m).")
@click.option("--until", "ends_at", required=True, help="End: ISO 8601, or relative to now (+1h, +2d).")
@click.option("--reason", help="Why (shown to operators).")
@ORG_OPTION
@quiet_option
def maintenance_add(service: str, starts_at: str, ends_at: str, reason: str | None, org_id: str | None,
                    quiet: bool) -> None:
    """Plan maintenance for SERVICE; prints the window id."""
    with connect(stack().database_url) as conn:
        window_id = conn.execute(sql.HEALTH_MAINTENANCE_ADD, [service, org_id, starts_at, ends_at, reason]
                                 ).fetchone()[0]
    line(str(window_id) if quiet else f"maintenance window {window_id}")


@maintenance_group.command("edit")
@click.argument("window_id", type=int)
@click.option("--from", "starts_at", help="New start: ISO 8601, now, or relative (+1h, -30m).")
@click.option("--until", "ends_at", help="New end: ISO 8601, or relative to now (+1h, +2d).")
@click.option("--reason", help="New reason (an empty one clears it).")
def maintenance_edit(window_id: int, starts_at: str | None, ends_at: str | None, reason: str | None) -> None:
    """Change maintenance window WINDOW_ID (what is not given stays)."""
    if starts_at is None and ends_at is None and reason is None:
        raise click.UsageError("nothing to change: give --from, --until or --reason")
    with connect(stack().database_url) as conn:
        conn.execute(sql.HEALTH_MAINTENANCE_EDIT, [window_id, starts_at, ends_at, reason])
    say(f"maintenance window {window_id} changed")


@maintenance_group.command("delete")
@click.argument("window_id", type=int)
@click.confirmation_option("--yes", prompt="Delete the maintenance window (its time counts in uptime again)?",
                           help="Do not ask.")
def maintenance_delete(window_id: int) -> None:
    """Delete maintenance window WINDOW_ID."""
    with connect(stack().database_url) as conn:
        conn.execute(sql.HEALTH_MAINTENANCE_DELETE, [window_id])
    say(f"maintenance window {window_id} deleted")


@maintenance_group.command("list")
@json_option
def maintenance_list(as_json: bool) -> None:
    """Maintenance windows, oldest first."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.HEALTH_MAINTENANCE_LIST).fetchall()
    if as_json:
        print_json([dict(zip(("id", "service_name", "organization_id", "starts_at", "ends_at", "reason"), row,
                             strict=True)) for row in rows])
        return
    table(("id", "service", "from", "until", "reason", "organization"),
          [(window_id, service, when(starts_at), when(ends_at), reason, org or "platform")
           for window_id, service, org, starts_at, ends_at, reason in rows], empty="no maintenance windows")


COMMANDS = (health_group, uptime, maintenance_group)
