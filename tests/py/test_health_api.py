"""The health RPCs through the real PostgREST, and the schedules pg_cron runs."""

from __future__ import annotations

from datetime import timedelta

import httpx
import psycopg

from workers import tokens


def admin(secret: str) -> dict:
    return {"Authorization": "Bearer " + tokens.mint(secret, "system_admin", timedelta(minutes=5))}


def test_the_status_page_is_public_and_has_90_daily_bars_per_component(api_server) -> None:
    base_url, _, _ = api_server

    response = httpx.get(base_url + "/rpc/get_status_page")

    assert response.status_code == 200
    page = response.json()
    assert {"status", "components", "uptime_30d", "last_incident", "method", "generated_at"} <= set(page)
    assert [c["service"] for c in page["components"]] == ["api", "database", "webhooks", "edge_functions"]
    assert all(len(c["days"]) == 90 for c in page["components"])
    assert page["method"]["partial_outage_weight"] == 0.3


def test_the_health_summary_needs_a_login_and_lists_every_service_for_an_admin(api_server) -> None:
    base_url, secret, _ = api_server

    assert httpx.get(base_url + "/rpc/get_health_summary").status_code == 401
    summary = httpx.get(base_url + "/rpc/get_health_summary", headers=admin(secret)).json()

    assert {s["service_name"] for s in summary["services"]} >= {"api", "database", "stripe", "webhooks", "embeds",
                                                                 "edge_functions"}
    assert summary["overall_status"] in ("healthy", "degraded", "unhealthy", "unknown")


def test_calculate_uptime_answers_a_number_or_a_json_error(api_server) -> None:
    base_url, secret, database_url = api_server
    with psycopg.connect(database_url, autocommit=True) as conn:
        # an hour up, then an hour down, ending two hours ago
        conn.execute("""INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id)
                        SELECT 'database', s, now() - interval '4 hours' + o, now() - interval '3 hours' + o, id
                          FROM app.health_monitors, (VALUES ('operational'::app.uptime_status_enum, interval '0'),
                                                            ('major_outage', interval '1 hour')) v (s, o)
                         WHERE service_name = 'database' AND organization_id IS NULL
                           AND NOT EXISTS (SELECT FROM app.system_uptime WHERE service_name = 'database')""")
    url = base_url + "/rpc/calculate_uptime"

    assert httpx.get(url, params={"p_service_name": "database", "p_days": 1}, headers=admin(secret)).json() == 50.0
    missing = httpx.get(url, params={"p_service_name": "nope"}, headers=admin(secret))
    assert (missing.status_code, missing.json()["code"]) == (404, "QN501")
    bad = httpx.get(url, params={"p_service_name": "database", "p_days": 0}, headers=admin(secret))
    assert (bad.status_code, bad.json()["code"]) == (400, "QV501")


def test_pg_cron_runs_the_scheduler_and_the_cache_each_minute_and_retention_nightly(cron_database_url) -> None:
    with psycopg.connect(cron_database_url) as conn:
        jobs = dict(conn.execute("SELECT jobname, schedule || ' ' || command FROM cron.job"
                                 " WHERE jobname LIKE 'health-%'").fetchall())

    assert jobs == {"health-enqueue-due": "* * * * * SELECT app.health_enqueue_due()",
                    "health-refresh-cache": "* * * * * SELECT app.health_refresh_cache()",
                    "health-retention": "17 3 * * * SELECT app.health_retention_run()"}
