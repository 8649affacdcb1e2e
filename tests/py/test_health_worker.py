"""End to end with a real `pgwarden worker` process: the scheduler's jobs are probed, a local service
that starts failing turns unhealthy after the threshold and back after recovery, and the uptime
figure counts exactly the outage interval the state machine wrote."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.types.json import Jsonb

from tests.py.health_support import client_for, login_as
from tests.py.jobs_support import wait_until, worker_starter
from workers import sql

sys.path.insert(0, str(Path(__file__).parent / "probes"))  # the probe tests' local servers
from servers import ScriptedHttpServer, ScriptedResponse  # noqa: E402

pytest_plugins = ["servers"]


@pytest.fixture
def start_worker() -> Iterator:
    yield from worker_starter()


def state_of(db, monitor_id: int) -> str:
    return db.execute("SELECT status::text FROM app.health_monitor_state WHERE monitor_id = %s",
                      [monitor_id]).fetchone()[0]


def test_an_outage_is_detected_after_the_threshold_recovered_and_counted_exactly(
    db, database_url: str, start_worker, http_server: ScriptedHttpServer
) -> None:
    http_server.script("/health", ScriptedResponse(200, "ok"))
    db.execute("UPDATE app.health_monitors SET enabled = false")  # only ours, so the worker is not distracted
    monitor_id = db.execute(sql.HEALTH_MONITOR_ADD, [Jsonb({
        "service_name": "checkout", "check_type": "external", "target": {"url": f"{http_server.url}/health"},
        "interval_seconds": 1, "timeout_seconds": 0.5, "failure_threshold": 2, "success_threshold": 2})]).fetchone()[0]
    # one thread: results are recorded in slot order (a result older than the latest one is
    # stored but, by design, does not move the state)
    start_worker(database_url, "--kinds", "health.probe", "--poll-seconds", "0.1", "--concurrency", "1")

    assert db.execute("SELECT app.health_enqueue_due()").fetchone()[0] == 60  # what pg_cron runs each minute
    wait_until(lambda: state_of(db, monitor_id) == "healthy", 30, "the first checks")
    http_server.script("/health", ScriptedResponse(503, "maintenance mode"))
    wait_until(lambda: state_of(db, monitor_id) == "unhealthy", 30, "the outage to be detected")
    http_server.script("/health", ScriptedResponse(200, "ok"))
    wait_until(lambda: state_of(db, monitor_id) == "healthy", 30, "the recovery")

    checks = db.execute("SELECT status::text, checked_at FROM app.health_checks WHERE monitor_id = %s"
                        " ORDER BY checked_at", [monitor_id]).fetchall()
    first_failure = next(at for status, at in checks if status == "unhealthy")
    first_success_after = next(at for status, at in checks if status == "healthy" and at > first_failure)
    outage = db.execute("SELECT started_at, ended_at, duration_seconds FROM app.system_uptime"
                        " WHERE monitor_id = %s AND status = 'major_outage'", [monitor_id]).fetchall()
    assert outage == [(first_failure, first_success_after,
                       round((first_success_after - first_failure).total_seconds()))], \
        "one outage, from the first failed check to the first of the recovering checks"

    start = checks[0][1]
    major, observed, uptime, window = db.execute(
        "SELECT b.major_outage_seconds, b.observed_seconds, b.uptime_percentage, extract(epoch FROM now() - %s)"
        " FROM app.health_uptime_breakdown(%s, %s, now()) b", [start, monitor_id, start]).fetchone()
    down = (first_success_after - first_failure).total_seconds()
    assert float(major) == pytest.approx(down, abs=1e-6), "downtime is the outage interval, to the microsecond"
    assert float(observed) == pytest.approx(float(window), abs=1e-6), "observed from the first check until now"
    assert float(uptime) == pytest.approx(round(100 * (1 - down / float(window)), 4), abs=1e-4)


def test_system_health_check_is_answered_by_a_real_worker(db, database_url: str, start_worker,
                                                          http_server: ScriptedHttpServer) -> None:
    http_server.script("/health", ScriptedResponse(200, "ok"))
    db.execute(sql.HEALTH_CONFIGURE_STACK, [http_server.url, http_server.url])
    start_worker(database_url, "--kinds", "health.probe")

    with client_for(login_as(database_url, "pgwarden_web")) as client:
        response = client.post("/functions/v1/system-health-check", json={"checks": ["api", "database"]})

    assert response.status_code == 200
    assert [(r["service"], r["status"]) for r in response.json()["results"]] == [("api", "healthy"),
                                                                                 ("database", "healthy")]
    assert response.json()["overallStatus"] == "healthy"


def test_the_cli_runs_probes_in_process_and_records_them(db, database_url: str, monkeypatch,
                                                         http_server: ScriptedHttpServer) -> None:
    from click.testing import CliRunner

    from workers.cli import cli, healthcmd

    http_server.script("/health", ScriptedResponse(200, "ok"))
    db.execute(sql.HEALTH_CONFIGURE_STACK, [http_server.url, http_server.url])
    monkeypatch.setattr(healthcmd, "stack", lambda: type("S", (), {"database_url": database_url})())

    result = CliRunner().invoke(cli, ["health", "run", "api", "database"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["service", "status"] and lines[1].split()[:2] == ["api", "healthy"]
    assert "overall  healthy" in lines
    assert db.execute("SELECT count(*) FROM app.health_checks WHERE details ? 'run_id'").fetchone()[0] == 2
