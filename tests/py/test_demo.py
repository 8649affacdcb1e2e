"""`pgwarden demo` (`make demo`) against a real stack: what it sends arrives through the pipeline,
and a second run adds events but no organizations, monitors or rules."""

from __future__ import annotations

import httpx
import psycopg

from tests.conftest import free_port

DEMO_OBJECTS = "SELECT kind, demo_key, object_id FROM app.demo_objects ORDER BY 1, 2"
SUMMARY = "SELECT organization_id, error_groups, monitors, alert_rules, reports, metric_days FROM app.demo_summary(%s)"


def demo_organizations(conn: psycopg.Connection) -> list:
    return [row[0] for row in conn.execute(
        "SELECT object_id::uuid FROM app.demo_objects WHERE kind = 'organization' ORDER BY demo_key").fetchall()]


def test_demo_fills_a_week_through_the_pipeline_and_a_second_run_creates_nothing_twice(instance):
    instance.env["PGWARDEN_DEMO_PORT"] = str(free_port())
    assert instance.pgwarden("stack", "up").returncode == 0

    with psycopg.connect(instance.database_url, autocommit=True) as conn:
        conn.execute("SELECT app.error_rollup_fold()")  # as pg_cron's minute does on a stack that has run a while:
        # the backfilled week then lies below the watermark
    first = instance.pgwarden("demo")
    assert first.returncode == 0, first.stdout + first.stderr
    with psycopg.connect(instance.database_url, autocommit=True) as conn:
        organizations = demo_organizations(conn)
        assert len(organizations) == 3
        summary = {row[0]: row[1:] for row in conn.execute(SUMMARY, [organizations]).fetchall()}
        for groups, monitors, rules, reports, metric_days in summary.values():
            assert groups >= 9           # six SDK faults, a message and three captures, grouped
            assert monitors >= 1 and rules >= 2 and reports >= 1
            assert metric_days >= 7      # the backfilled week in the daily rollup, plus today
        # every event came through an API: Sentry SDK events carry the SDK's name, captures none
        sources = dict(conn.execute(
            "SELECT coalesce(e.metadata -> 'sdk' ->> 'name', 'capture api'), count(*) FROM app.error_events e"
            " WHERE e.organization_id = ANY(%s) GROUP BY 1", [organizations]).fetchall())
        assert sources.get("sentry.python", 0) > 0 and sources.get("capture api", 0) > 0, sources
        # the week is there and marked: uptime intervals before the demo began, checks every five minutes
        backfilled = conn.execute(
            "SELECT count(*) FROM app.system_uptime WHERE organization_id = ANY(%s) AND notes = 'demo backfill'"
            " AND started_at < now() - interval '6 days'", [organizations]).fetchone()[0]
        assert backfilled >= 3
        # the statistics (the overview's) count the backfilled week, not only the events really sent
        counted = conn.execute(
            "SELECT (app.error_stats('7 days', o) ->> 'total_events')::bigint,"
            "       (SELECT sum(m.event_count) FROM app.error_metrics m"
            "         WHERE m.organization_id = o AND m.bucket >= date_trunc('minute', now() - interval '7 days'))"
            "  FROM unnest(%s::uuid[]) AS o", [organizations]).fetchall()
        assert all(stats == minutes and minutes > 1000 for stats, minutes in counted), counted
        objects = conn.execute(DEMO_OBJECTS).fetchall()
        events = conn.execute("SELECT count(*) FROM app.error_events WHERE organization_id = ANY(%s)",
                              [organizations]).fetchone()[0]
        minute_rows = conn.execute("SELECT sum(minute_rows) FROM app.demo_backfills").fetchone()[0]

    # the demo services run under the stack's supervisor, and the monitors probe them
    assert instance.supervisor.state("demo") == "RUNNING"
    services = f"http://127.0.0.1:{instance.env['PGWARDEN_DEMO_PORT']}"
    assert httpx.get(f"{services}/checkout/health", timeout=5).status_code == 200

    second = instance.pgwarden("demo")
    assert second.returncode == 0, second.stdout + second.stderr
    with psycopg.connect(instance.database_url, autocommit=True) as conn:
        assert conn.execute(DEMO_OBJECTS).fetchall() == objects
        assert conn.execute("SELECT count(*) FROM app.organizations WHERE name LIKE '%%(demo)'").fetchone()[0] == 3
        assert conn.execute("SELECT sum(minute_rows) FROM app.demo_backfills").fetchone()[0] == minute_rows
        again = {row[0]: row[1:] for row in conn.execute(SUMMARY, [organizations]).fetchall()}
        for organization_id, (_groups, monitors, rules, reports, _days) in again.items():
            assert (monitors, rules) == summary[organization_id][1:3]
            assert reports > summary[organization_id][3]  # fresh reports, as fresh events
        assert conn.execute("SELECT count(*) FROM app.error_events WHERE organization_id = ANY(%s)",
                            [organizations]).fetchone()[0] > events
