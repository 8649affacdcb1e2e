"""`make up` / `make run` start a worker: a job enqueued from psql is picked up through NOTIFY, long
before the worker's polling fallback would have found it."""

from __future__ import annotations

import shutil
import subprocess

import psycopg

from tests.py.jobs_support import idle_claimers, listening_workers, wait_until
from workers.settings import PG_BIN

POLL_SECONDS = 30  # so that only a NOTIFY can explain a prompt claim


def test_the_stack_worker_picks_up_a_job_enqueued_from_psql_through_notify(instance):
    instance.env["PGWARDEN_WORKER_POLL_SECONDS"] = str(POLL_SECONDS)
    started = instance.pgwarden("stack", "up")
    assert started.returncode == 0, started.stdout + started.stderr
    url = instance.pgwarden("db", "url").stdout.strip()
    with psycopg.connect(url, autocommit=True) as conn:
        wait_until(lambda: listening_workers(conn) == 1, what="the stack's worker to listen as pgwarden_worker")
        wait_until(lambda: idle_claimers(conn) == 4, what="its four slots to find the queue empty and wait")

        psql = shutil.which("psql") or str(PG_BIN / "psql")
        enqueued = subprocess.run([psql, url, "-tAc", """SELECT app.job_enqueue('builtin.echo', '{"from": "psql"}')"""],
                                  capture_output=True, text=True, timeout=30)
        assert enqueued.returncode == 0, enqueued.stderr
        job_id = int(enqueued.stdout.strip())

        result, waited = wait_until(lambda: conn.execute(
            "SELECT result, extract(epoch FROM claimed_at - created_at) FROM app.job_history WHERE id = %s",
            [job_id]).fetchone(), timeout=POLL_SECONDS, what="the worker to finish the job")
    assert result == {"from": "psql"}
    assert waited < POLL_SECONDS / 2, "claimed by the poll, not woken by NOTIFY"
    print(f"claimed {waited * 1000:.1f} ms after enqueue")
