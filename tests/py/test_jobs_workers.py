"""Real `pgwarden worker` processes against a real database: no job lost or done twice, crashes
and SIGTERM, a database restart under a running worker."""

from __future__ import annotations

import signal

import psycopg
import pytest

from tests.conftest import free_port
from tests.py.jobs_support import listening_workers, terminate, wait_until, worker_starter
from workers import migrate
from workers.stack.cluster import throwaway


@pytest.fixture
def start_worker():
    yield from worker_starter()


def test_two_workers_drain_10000_jobs_each_done_exactly_once(db, database_url, start_worker):
    options = ("--kinds", "builtin.echo", "--concurrency", "2", "--batch-size", "50", "--poll-seconds", "1")
    workers = [start_worker(database_url, *options) for _ in range(2)]
    wait_until(lambda: listening_workers(db) == 2, what="both workers listening")

    db.execute("SELECT app.job_enqueue('builtin.echo', jsonb_build_object('n', n)) FROM generate_series(1, 10000) n")
    wait_until(lambda: db.execute("SELECT NOT EXISTS (SELECT FROM app.job)").fetchone()[0], timeout=120,
               what="the queue to drain")

    finished, distinct_ids, succeeded_once, echoed = db.execute("""
        SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE state = 'succeeded' AND attempts = 1),
               count(*) FILTER (WHERE result = payload)
          FROM app.job_history""").fetchone()
    assert finished == distinct_ids == succeeded_once == echoed == 10000
    per_worker = dict(db.execute("SELECT split_part(worker, ':', 2)::int, count(*) FROM app.job_history GROUP BY 1"))
    assert set(per_worker) == {worker.pid for worker in workers}, "both workers took part"
    for worker in workers:
        assert terminate(worker) == 0
        assert "lease lost" not in worker.log()


def test_a_job_whose_worker_was_killed_runs_again_after_its_lease_and_completes_once(db, database_url, start_worker):
    options = ("--kinds", "builtin.sleep", "--concurrency", "1", "--lease-seconds", "2", "--reap-seconds", "0.2",
               "--poll-seconds", "0.2")
    job_id = db.execute("""SELECT app.job_enqueue('builtin.sleep', '{"seconds": 1.5}')""").fetchone()[0]
    doomed = start_worker(database_url, *options)
    doomed_id, doomed_lease_end = wait_until(lambda: db.execute(
        "SELECT locked_by, locked_until FROM app.job WHERE id = %s AND state = 'running'", [job_id]).fetchone(),
        what="the first worker to start the job")
    doomed.signal(signal.SIGKILL)
    doomed.wait()

    survivor = start_worker(database_url, *options)
    wait_until(lambda: db.execute("SELECT EXISTS (SELECT FROM app.job_history WHERE id = %s)", [job_id]).fetchone()[0],
               what="the job to finish")
    state, attempts, worker, claimed_at, failures = db.execute(
        "SELECT state, attempts, worker, claimed_at, failures FROM app.job_history WHERE id = %s", [job_id]).fetchone()
    assert (state, attempts) == ("succeeded", 2)
    assert worker != doomed_id and worker.split(":")[1] == str(survivor.pid)
    assert claimed_at >= doomed_lease_end, "the job was not taken from the killed worker before its lease ended"
    assert [(failure["worker"], failure["error"]) for failure in failures] == [(doomed_id, "lease expired")]
    assert db.execute("SELECT count(*) FROM app.job").fetchone()[0] == 0


def test_sigterm_lets_the_running_job_finish_and_gives_back_the_unstarted_ones(db, database_url, start_worker):
    job_ids = [row[0] for row in db.execute(
        """SELECT app.job_enqueue('builtin.sleep', '{"seconds": 2}') FROM generate_series(1, 3)""")]
    worker = start_worker(database_url, "--kinds", "builtin.sleep", "--concurrency", "1", "--batch-size", "3")
    wait_until(lambda: db.execute("SELECT count(*) = 3 FROM app.job WHERE state = 'running'").fetchone()[0],
               what="the worker to claim the batch")

    assert terminate(worker) == 0
    finished = db.execute("SELECT id, state, attempts FROM app.job_history").fetchall()
    assert finished == [(job_ids[0], "succeeded", 1)], "the job that was running finished"
    given_back = db.execute("SELECT id, state, attempts, locked_by FROM app.job ORDER BY id").fetchall()
    assert given_back == [(job_id, "queued", 0, None) for job_id in job_ids[1:]]
    assert "Traceback" not in worker.log()


@pytest.fixture
def own_cluster():
    """A throwaway cluster this test may restart (not the session's)."""
    with throwaway("pgwarden-restart-", free_port(), cron_database="no_cron_here", fast=True) as cluster:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE restart_test")
        migrate.apply(cluster.url("restart_test"))
        yield cluster


def test_a_worker_reconnects_after_the_database_restarts_and_goes_on(own_cluster, start_worker):
    database_url = own_cluster.url("restart_test")

    def run_one_job(n: int) -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            job_id = conn.execute("SELECT app.job_enqueue('builtin.echo', jsonb_build_object('n', %s::int))",
                                  [n]).fetchone()[0]
            wait_until(lambda: conn.execute("SELECT result FROM app.job_history WHERE id = %s", [job_id]).fetchone(),
                       what=f"job {n} to be done")

    worker = start_worker(database_url, "--kinds", "builtin.echo", "--poll-seconds", "0.5", "--concurrency", "2")
    run_one_job(1)
    own_cluster.stop()
    own_cluster.start()
    run_one_job(2)

    assert worker.process.poll() is None, "the worker kept running through the restart"
    assert "reconnected" in worker.log()
    assert terminate(worker) == 0
