"""Stateless processes scale out against one database: two PostgREST, two `pgwarden web` (one of
them with --workers 2) and two `pgwarden worker` side by side. Captures through every one of them
are stored, and every job runs exactly once."""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid

import httpx
import psycopg

from tests.conftest import create_database, drop_database, running_postgrest, scratch_dir
from tests.py.jobs_support import WorkerProcess, wait_until
from tests.py.web_server import WebServer, web_role_url

CAPTURES_EACH = 10
JOBS = 300


def test_two_of_each_process_on_one_database_store_every_capture_and_run_every_job_once(pg_cluster, template_database):
    name = f"scale_{uuid.uuid4().hex[:8]}"
    database_url = create_database(pg_cluster, name, template_database)
    log_dir = scratch_dir("pgwarden-scale-")
    with contextlib.ExitStack() as running, psycopg.connect(database_url, autocommit=True) as db:
        running.callback(drop_database, pg_cluster, name)
        running.callback(shutil.rmtree, log_dir, True)
        apis = [running.enter_context(running_postgrest(database_url))[0] for _ in range(2)]
        webs = [WebServer(database_url, web_role_url(database_url), log_dir, extra_args=args)
                for args in ((), ("--workers", "2"))]
        for web in webs:
            running.callback(web.stop)
            web.wait_until_listening()
        workers = [WorkerProcess(database_url, "--kinds", "builtin.echo", "--concurrency", "2", "--poll-seconds", "1")
                   for _ in range(2)]
        for worker in workers:
            running.callback(worker.close)
        project = webs[0].new_project()
        db.execute("SELECT app.rate_limit_set(%s, 0)", [project.organization_id])

        for n, api in enumerate(apis):
            for i in range(CAPTURES_EACH):
                response = httpx.post(f"{api}/rpc/capture_error", headers={"X-Pgwarden-Key": project.public_key},
                                      json={"error_type": "javascript", "message": f"api {n} failure {i}"}, timeout=30)
                assert response.status_code == 200, response.text
        for n, web in enumerate(webs):
            for i in range(CAPTURES_EACH):
                response = httpx.post(f"{web.base_url}/api/{project.id}/store/?sentry_key={project.public_key}",
                                      content=json.dumps({"message": f"web {n} failure {i}", "level": "error"}),
                                      headers={"Content-Type": "application/json"}, timeout=30)
                assert response.status_code == 200, response.text

        stored = dict(db.execute("""SELECT split_part(message, ' ', 1) || ' ' || split_part(message, ' ', 2), count(*)
                                      FROM app.error_events WHERE organization_id = %s GROUP BY 1""",
                                 [project.organization_id]).fetchall())
        assert stored == dict.fromkeys(["api 0", "api 1", "web 0", "web 1"], CAPTURES_EACH)

        wait_until(lambda: db.execute("""SELECT count(*) = 2 FROM pg_stat_activity WHERE datname = current_database()
                                           AND usename = 'pgwarden_worker' AND query = 'LISTEN "jobs:insert"'""")
                   .fetchone()[0], what="both workers listening")
        db.execute("SELECT app.job_enqueue('builtin.echo', jsonb_build_object('n', n)) FROM generate_series(1, %s) n",
                   [JOBS])
        wait_until(lambda: db.execute("SELECT NOT EXISTS (SELECT FROM app.job WHERE kind = 'builtin.echo')")
                   .fetchone()[0], timeout=120, what="the queue to drain")
        finished, distinct, once = db.execute("""
            SELECT count(*), count(DISTINCT payload), count(*) FILTER (WHERE state = 'succeeded' AND attempts = 1
                                                                       AND result = payload)
              FROM app.job_history WHERE kind = 'builtin.echo'""").fetchone()
        assert finished == distinct == once == JOBS, "every job ran, once"
        takers = {row[0] for row in db.execute(
            "SELECT DISTINCT split_part(worker, ':', 2)::int FROM app.job_history WHERE kind = 'builtin.echo'")}
        assert takers == {worker.pid for worker in workers}, "both workers took part"
