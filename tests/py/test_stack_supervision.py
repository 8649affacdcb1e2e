"""Supervision (issue 11, item 5): under `make up` and `make run` a killed web process, worker or
PostgREST comes back by itself and serves again, with each exit and restart in the supervisor's log;
a killed PostgreSQL is reported and left down until the operator starts it; Ctrl-C on `make run`
stops everything. Recovery is proven within a generous deadline; bench/recovery.py measures it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import httpx
import psycopg

from tests.py.jobs_support import wait_until
from tests.py.stack_support import PGWARDEN, SERVED, Instance, alive


def project_key(instance: Instance) -> tuple[int, str]:
    with psycopg.connect(instance.database_url) as conn:
        return conn.execute("SELECT id, public_key FROM app.projects ORDER BY id LIMIT 1").fetchone()


def captures_through_every_process(instance: Instance) -> None:
    """A Sentry event through the web process and a capture through PostgREST are both stored."""
    project_id, key = project_key(instance)
    sentry = httpx.post(f"{instance.web}api/{project_id}/store/",
                        json={"message": "after the restart", "level": "error"},
                        headers={"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"})
    assert sentry.status_code == 200, sentry.text
    captured = httpx.post(f"{instance.api}rpc/capture_error", json={"message": "after the restart too"},
                          headers={"X-Pgwarden-Key": key})
    assert captured.status_code == 200, captured.text


def test_a_killed_web_worker_or_postgrest_comes_back_by_itself_and_serves_again(instance):
    started = instance.pgwarden("stack", "up")
    assert started.returncode == 0, started.stdout + started.stderr

    for name in SERVED:
        first_pid = instance.pid_of(name)
        instance.kill_and_wait_for_recovery(name)  # fails the test when it does not
        assert instance.pid_of(name) not in (None, first_pid)
    captures_through_every_process(instance)

    log = instance.supervisor_log()
    for name in SERVED:
        exited = log.index(f"exited: {name} (terminated by SIGKILL")
        assert f"spawned: '{name}'" in log[exited:], f"no restart of {name} logged"
    # a restarted process serves before supervisord counts it as started (after startsecs, 1 s)
    def all_running() -> str | None:
        status = instance.pgwarden("status").stdout
        return status if all(re.search(rf"^{name}\s+running pid", status, re.MULTILINE) for name in SERVED) else None

    wait_until(all_running, timeout=30, what="every process to show as running")


def test_a_killed_postgres_is_reported_and_left_down_until_make_up(instance):
    assert instance.pgwarden("stack", "up").returncode == 0
    postmaster = instance.pid_of("postgres")
    os.kill(postmaster, signal.SIGKILL)

    wait_until(lambda: instance.supervisor.state("postgres") == "EXITED", what="the supervisor to see postgres exit")
    assert "exited: postgres (terminated by SIGKILL" in instance.supervisor_log()
    status = instance.pgwarden("status").stdout
    [line] = [line for line in status.splitlines() if line.split()[0] == "postgres"]
    assert "DOWN" in line and "not restarted automatically" in line, status
    wait_until(lambda: httpx.get(instance.web + "health").json()["database"] == "unreachable",
               what="the web process to report the database unreachable")
    time.sleep(3)  # long enough for a restart the supervisor must not make
    assert instance.supervisor.state("postgres") == "EXITED"
    assert "spawned: 'postgres'" not in instance.supervisor_log().split("exited: postgres")[1]

    again = instance.pgwarden("stack", "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert instance.pid_of("postgres") not in (None, postmaster)
    wait_until(lambda: httpx.get(instance.web + "health").json()["database"] == "ok",
               what="the web process to reach the database again")
    captures_through_every_process(instance)


def test_make_run_restarts_a_killed_process_and_ctrl_c_stops_everything(instance):
    output = instance.data_dir / "run.out"
    with open(output, "wb") as sink:
        running = subprocess.Popen([PGWARDEN, "stack", "run"], env=instance.env, stdout=sink,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: "press Ctrl-C to stop" in output.read_text() or running.poll() is not None,
                   timeout=300, what="make run to start the stack")
        assert running.poll() is None, output.read_text()
        pids = instance.pids()
        instance.kill_and_wait_for_recovery("web")
        assert httpx.get(instance.api).status_code == 200, "PostgREST kept running"
        pids += instance.pids()

        running.send_signal(signal.SIGINT)
        assert running.wait(timeout=180) == 0, output.read_text()
    finally:
        if running.poll() is None:
            running.kill()
    printed = output.read_text()
    assert "exited: web (terminated by SIGKILL" in printed and "spawned: 'web'" in printed  # its log, on the terminal
    assert re.search(r"^stopped: web, worker, postgrest, postgres, supervisor$", printed, re.MULTILINE), printed
    assert [pid for pid in set(pids) if alive(pid)] == []


def test_what_a_killed_supervisor_left_running_is_taken_over_by_make_up_and_stopped_by_make_down(instance):
    assert instance.pgwarden("stack", "up").returncode == 0
    left = instance.pids()
    os.kill(instance.supervisor.pid(), signal.SIGKILL)
    wait_until(lambda: instance.supervisor.pid() is None, what="supervisord to die")
    assert any(alive(pid) for pid in left), "its programs outlive it"

    again = instance.pgwarden("stack", "up")
    assert again.returncode == 0, again.stdout + again.stderr
    assert [pid for pid in left if alive(pid)] == [], "the old processes were stopped, not doubled"
    captures_through_every_process(instance)

    left = instance.pids()
    os.kill(instance.supervisor.pid(), signal.SIGKILL)
    wait_until(lambda: instance.supervisor.pid() is None, what="supervisord to die")
    assert instance.pgwarden("stack", "down").returncode == 0
    assert [pid for pid in left if alive(pid)] == []
