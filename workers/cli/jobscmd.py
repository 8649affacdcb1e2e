"""`pgwarden worker` (the job runner) and `pgwarden jobs list | retry | stats`."""

from __future__ import annotations

import logging
import signal

import click

from workers import sql
from workers.cli.context import stack
from workers.cli.output import json_option, print_rows, when
from workers.db import connect
from workers.handlers import load_all
from workers.runner import Runner, RunnerConfig
from workers.stack.runtime import say

STATES = ("queued", "running", "succeeded", "dead")


@click.command("worker")
@click.option("--kinds", help="Comma-separated job kinds to run (default: every kind with a handler).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              envvar="PGWARDEN_WORKER_CONCURRENCY", help="Jobs run at once (threads).")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="Jobs a thread claims at once and runs one after another (raise it for tiny jobs).")
@click.option("--lease-seconds", type=click.FloatRange(0.5, 86400), default=60.0, show_default=True,
              help="Lease per claim, renewed while the job runs; a crashed worker's jobs return after it.")
@click.option("--poll-seconds", type=click.FloatRange(0.05, 3600), default=2.0, show_default=True,
              envvar="PGWARDEN_WORKER_POLL_SECONDS", help="Fallback polling when no NOTIFY wakes the worker.")
@click.option("--reap-seconds", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True,
              help="How often this worker returns expired leases to the queue (pg_cron also does, each minute).")
@click.option("--database-url", envvar="PGWARDEN_WORKER_DATABASE_URL",
              help="Connect as this (default: the stack's database as pgwarden_worker).")
def worker(kinds: str | None, concurrency: int, batch_size: int, lease_seconds: float, poll_seconds: float,
           reap_seconds: float, database_url: str | None) -> None:
    """Run jobs until SIGTERM or Ctrl-C (jobs in hand are finished first)."""
    handlers = load_all()
    selected = sorted({kind.strip() for kind in kinds.split(",") if kind.strip()}) if kinds else sorted(handlers)
    unknown = [kind for kind in selected if kind not in handlers]
    if unknown or not selected:
        known = ", ".join(sorted(handlers))
        raise click.UsageError(f"no handler for {', '.join(unknown) or 'any kind'}; known: {known}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(threadName)s: %(message)s")
    config = RunnerConfig(database_url=database_url or stack().worker_database_url, kinds=tuple(selected),
                          concurrency=concurrency, batch_size=batch_size, lease_seconds=lease_seconds,
                          poll_seconds=poll_seconds, reap_seconds=reap_seconds)
    runner = Runner(config, {kind: handlers[kind] for kind in selected})
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: runner.stop())
    runner.run()
    if runner.crashed:
        raise click.ClickException("a worker thread crashed (see the log above)")


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: list, retry dead ones, counts per kind."""


@jobs_group.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only jobs in this state.")
@click.option("--kind", help="Only jobs of this kind.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@json_option
def list_jobs(state: str | None, kind: str | None, limit: int, as_json: bool) -> None:
    """Newest jobs first (finished ones while their retention lasts)."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.JOB_LIST, [state, kind, limit]).fetchall()
    if as_json:
        print_rows(("id", "kind", "state", "attempts", "max_attempts", "run_at", "worker", "last_error", "created_at",
                    "finished_at"), rows)
        return
    say(f"{'id':>10}  {'kind':<20} {'state':<9} {'tries':>5}  {'run at':<19}  {'finished':<19}  last error")
    for job_id, job_kind, job_state, attempts, max_attempts, run_at, _worker, last_error, _created, finished in rows:
        error = (last_error or "").replace("\n", " ")[:60]
        say(f"{job_id:>10}  {job_kind:<20} {job_state:<9} {attempts:>2}/{max_attempts:<2}  {when(run_at):<19}  "
            f"{when(finished):<19}  {error}")


@jobs_group.command("retry")
@click.argument("job_id", type=int)
def retry(job_id: int) -> None:
    """Queue a dead job again with fresh attempts."""
    with connect(stack().database_url) as conn:
        conn.execute(sql.JOB_RETRY, [job_id])
    say(f"job {job_id} queued again")


@jobs_group.command("stats")
@json_option
def stats(as_json: bool) -> None:
    """Per kind: ready, scheduled for later, running, succeeded in the last hour, dead."""
    with connect(stack().database_url) as conn:
        rows = conn.execute(sql.JOB_STATS).fetchall()
    if as_json:
        print_rows(("kind", "ready", "scheduled", "running", "succeeded_last_hour", "dead", "oldest_ready_seconds"),
                   rows)
        return
    say(f"{'kind':<24} {'ready':>7} {'later':>7} {'running':>7} {'ok/1h':>7} {'dead':>7}  oldest ready")
    for kind, ready, scheduled, running, succeeded, dead, oldest in rows:
        wait = f"{oldest:.1f} s" if oldest is not None else "-"
        say(f"{kind:<24} {ready:>7} {scheduled:>7} {running:>7} {succeeded:>7} {dead:>7}  {wait}")


COMMANDS = (worker, jobs_group)
