"""`pgwarden health`, `pgwarden uptime`, `pgwarden maintenance`: monitors, on-demand probes, the
summary and uptime. Every decision is SQL's (db/functions/app/5x0_health_*.sql)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import click
from psycopg.types.json import Jsonb

from workers import sql
from workers.cli.context import stack
from workers.db import connect
from workers.handlers.health import probe_monitor
from workers.stack.runtime import say

CHECK_TYPES = ("api", "webhook", "database", "stripe", "embed", "email", "sms", "external")
PROBE_KINDS = ("http", "database", "stripe", "smtp", "sms", "heartbeat")
ORG_OPTION = click.option("--org", "org_id", default=None, help="Organization id (default: platform-wide).")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


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
    """Health monitors: list, add, edit, enable/disable, delete, run now, summary."""


@health_group.command("list")
def health_list() -> None:
    """Monitors, their state and latest check (push monitors show their heartbeat token)."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.HEALTH_MONITOR_LIST).fetchall()
    say(f"{'service':<16} {'type':<9} {'probe':<9} {'every':>6} {'state':<10} {'last':<10} {'ms':>6}  "
        f"{'last check':<19}  endpoint")
    for (_id, org, service, _name, check_type, probe, endpoint, interval, _timeout, enabled, status, last_status,
         last_checked_at, response_ms, token) in rows:
        state = status if enabled else "disabled"
        where = f"  [org {org}]" if org else ""
        target = f"POST /functions/v1/heartbeat/{token}" if token else (endpoint or "")
        say(f"{service:<16} {check_type:<9} {probe:<9} {interval:>5}s {state:<10} {last_status or '-':<10} "
            f"{response_ms if response_ms is not None else '-':>6}  {_when(last_checked_at):<19}  {target}{where}")


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
    say(f"monitor {monitor_id}")
    if token:
        say(f"heartbeat  POST {stack().urls(dsn='').web}functions/v1/heartbeat/{token}")


def _set_enabled(service: str, org_id: str | None, enabled: bool) -> None:
    with connect(stack().database_url) as conn:
        conn.execute(sql.HEALTH_MONITOR_SET_ENABLED, [service, org_id, enabled])
    say(f"{service} {'enabled' if enabled else 'disabled'}")


@health_group.command("enable")
@click.argument("service")
@ORG_OPTION
def health_enable(service: str, org_id: str | None) -> None:
    """Start monitoring SERVICE again."""
    _set_enabled(service, org_id, True)


@health_group.command("disable")
@click.argument("service")
@ORG_OPTION
def health_disable(service: str, org_id: str | None) -> None:
    """Stop monitoring SERVICE (its uptime interval closes; no data is not downtime)."""
    _set_enabled(service, org_id, False)


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
@click.confirmation_option(prompt="Delete the monitor with its checks, uptime and maintenance?")
def health_delete(service: str, org_id: str | None) -> None:
    """Delete SERVICE's monitor with its history."""
    with connect(stack().database_url) as conn:
        conn.execute(sql.HEALTH_MONITOR_DELETE, [service, org_id])
    say(f"{service} deleted")


@health_group.command("run")
@click.argument("services", nargs=-1)
def health_run(services: tuple[str, ...]) -> None:
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
    for result in answer["results"]:
        response = f"{result['responseTime']} ms" if result.get("responseTime") is not None else "-"
        note = f"  ({result['error']})" if result.get("error") else ""
        say(f"{result['service']:<16} {result['status']:<10} {response}{note}")
    say(f"overall          {answer['overallStatus']}")


@health_group.command("summary")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document of get_health_summary.")
def health_summary(as_json: bool) -> None:
    """Latest status, response time and uptime (24 h, 30 d) per service; cached one minute."""
    with connect(stack().database_url) as conn:
        summary = conn.execute(sql.HEALTH_SUMMARY).fetchone()[0]
    if as_json:
        say(json.dumps(summary, indent=2))
        return
    say(f"{'service':<16} {'state':<10} {'last':<10} {'ms':>6} {'24 h':>9} {'30 d':>9}  since")
    for entry in summary["services"]:
        state = entry["status"] if entry["enabled"] else "disabled"
        if entry["in_maintenance"]:
            state += "*"
        uptime = [f"{entry[key]:.3f}%" if entry[key] is not None else "-" for key in ("uptime_24h", "uptime_30d")]
        response = entry["response_time_ms"] if entry["response_time_ms"] is not None else "-"
        say(f"{entry['service_name']:<16} {state:<10} {entry['last_status'] or '-':<10} {response:>6} "
            f"{uptime[0]:>9} {uptime[1]:>9}  {(entry['status_since'] or '')[:19]}")
    say(f"overall          {summary['overall_status']}   (computed {summary['computed_at'][:19]}; * = in maintenance)")


@click.command("uptime")
@click.argument("service")
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True)
@ORG_OPTION
def uptime(service: str, days: int, org_id: str | None) -> None:
    """Time-weighted uptime of SERVICE over the last DAYS, with the seconds behind it."""
    with connect(stack().database_url) as conn:
        row = conn.execute(sql.HEALTH_UPTIME, [service, org_id, days]).fetchone()
    names = ("uptime", "observed", "downtime", "operational", "degraded", "partial_outage", "major_outage",
             "maintenance", "unknown")
    say(f"{service}, last {days} days")
    say(f"  {'uptime':<15} {row[0]:.4f}%" if row[0] is not None else f"  {'uptime':<15} - (nothing observed)")
    for name, seconds in zip(names[1:], row[1:], strict=True):
        say(f"  {name:<15} {float(seconds):>12.0f} s")


@click.group("maintenance")
def maintenance_group() -> None:
    """Maintenance windows: probes keep running, the time is excluded from uptime."""


@maintenance_group.command("add")
@click.argument("service")
@click.option("--from", "starts_at", required=True, help="Start (ISO 8601, e.g. 2026-12-01T02:00Z).")
@click.option("--until", "ends_at", required=True, help="End (ISO 8601).")
@click.option("--reason", help="Why (shown to operators).")
@ORG_OPTION
def maintenance_add(service: str, starts_at: str, ends_at: str, reason: str | None, org_id: str | None) -> None:
    """Plan maintenance for SERVICE; prints the window id."""
    with connect(stack().database_url) as conn:
        window_id = conn.execute(sql.HEALTH_MAINTENANCE_ADD, [service, org_id, starts_at, ends_at, reason]
                                 ).fetchone()[0]
    say(f"maintenance window {window_id}")


@maintenance_group.command("list")
def maintenance_list() -> None:
    """Maintenance windows, oldest first."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.HEALTH_MAINTENANCE_LIST).fetchall()
    for window_id, service, org, starts_at, ends_at, reason in rows:
        where = f"  [org {org}]" if org else ""
        say(f"{window_id:>5}  {service:<16} {_when(starts_at)} .. {_when(ends_at)}  {reason or ''}{where}")


COMMANDS = (health_group, uptime, maintenance_group)
