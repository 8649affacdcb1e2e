"""`pgwarden worker`: claims jobs, runs their handlers, records the outcome. Policy (order, leases,
backoff, dead jobs) is SQL's (db/functions/app/200_jobs.sql); this only moves jobs between the
database and the handlers.

Threads: N slots, each with its own connection, loop claim -> run handlers -> report; a listener
wakes idle slots on NOTIFY (they poll as a fallback); a keeper extends the leases of jobs in hand
and reaps expired ones. No transaction is open while a handler runs (every call autocommits).
stop() (SIGTERM) lets running handlers finish and report, gives back claimed jobs not yet
started, then the threads exit. Lost connections are reopened with backoff.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from workers import sql
from workers.errors import Permanent, Retryable, first_line
from workers.handlers import Handler
from workers.listener import Listener, ReconnectBackoff, open_connection

log = logging.getLogger("pgwarden.worker")
REPORT_EVERY_SECONDS = 0.2  # successes of a batch are recorded together, at most this late
LEASE_LOST = "QSJ01"


@dataclass(frozen=True)
class RunnerConfig:
    database_url: str
    kinds: tuple[str, ...]
    concurrency: int = 4
    batch_size: int = 1          # jobs one slot claims at once (run one after another)
    lease_seconds: float = 60.0  # renewed every third of it while a job is in hand
    poll_seconds: float = 2.0    # fallback when no NOTIFY arrives (retries that come due, missed wake-ups)
    reap_seconds: float = 30.0   # pg_cron reaps every minute too; this covers databases without it
    stop_timeout: float = 10.0   # while stopping, how long to keep trying to record outcomes


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict
    attempts: int
    max_attempts: int


@dataclass(frozen=True)
class Failure:
    error: str
    retryable: bool
    retry_after: float | None
    details: dict | None = None


class Session:
    """One slot's connection, opened lazily and reopened after it broke."""

    def __init__(self, database_url: str, stopping: threading.Event):
        self.database_url, self.stopping = database_url, stopping
        self.connection: psycopg.Connection | None = None
        self.backoff = ReconnectBackoff()

    def execute(self, query: str, params: list[Any] | None = None) -> list[tuple]:
        if self.connection is None or self.connection.closed:
            self.connection = open_connection(self.database_url)
            if self.backoff.failures:
                log.info("reconnected to the database")
        rows = self.connection.execute(query, params).fetchall()
        self.backoff.reset()
        return rows

    def broken(self, exc: psycopg.Error, *, interruptible: bool = True) -> None:
        level = logging.WARNING if self.backoff.failures == 0 else logging.DEBUG  # once per outage
        log.log(level, "database unavailable (%s); retrying", first_line(exc))
        self.close()
        self.backoff.wait(self.stopping if interruptible else None)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Runner:
    def __init__(self, config: RunnerConfig, handlers: dict[str, Handler]):
        self.config, self.handlers = config, handlers
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"
        self.stopping = threading.Event()
        self.slots_done = threading.Event()
        self._wake = threading.Condition()
        self._generation = 0  # bumped by every wake-up, so one arriving mid-claim is not lost
        self._held: set[int] = set()
        self._held_lock = threading.Lock()
        self.listener = Listener(config.database_url, self.wake, self.stopping)
        self.crashed = False  # a bug (not the database) killed a thread: stop, exit non-zero

    # -- control

    def run(self) -> None:
        """Block until stop() and every slot has finished its jobs in hand."""
        log.info("worker %s: kinds %s, concurrency %d, batch %d", self.worker_id, ",".join(self.config.kinds),
                 self.config.concurrency, self.config.batch_size)
        keeper = threading.Thread(target=self._guarded(self._keep_leases), name="keeper", daemon=True)
        slots = [threading.Thread(target=self._guarded(self._slot), name=f"slot-{index}", daemon=True)
                 for index in range(self.config.concurrency)]
        for thread in (self.listener, keeper, *slots):
            thread.start()
        while any(slot.is_alive() for slot in slots):
            for slot in slots:
                slot.join(0.2)  # short joins keep the main thread free for signal handlers
        self.slots_done.set()
        keeper.join(self.config.stop_timeout)
        self.listener.join(5)
        log.info("worker %s stopped", self.worker_id)

    def _guarded(self, body: Callable[[], None]) -> Callable[[], None]:
        def guarded() -> None:
            try:
                body()
            except Exception:
                log.exception("worker thread crashed; stopping")
                self.crashed = True
                self.stop()
        return guarded

    def stop(self) -> None:
        self.stopping.set()
        self.wake()

    def wake(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    # -- slots

    def _slot(self) -> None:
        session = Session(self.config.database_url, self.stopping)
        kinds = list(self.config.kinds)
        while not self.stopping.is_set():
            seen = self._generation
            try:
                rows = session.execute(sql.JOB_CLAIM, [self.worker_id, kinds, self.config.batch_size,
                                                       self.config.lease_seconds])
            except psycopg.Error as exc:
                session.broken(exc)
                continue
            if rows:
                self._run_batch(session, [Job(*row) for row in rows])
                continue
            timeout = self.config.poll_seconds
            try:  # a job queued to run a little later (an alert's group wait) is claimed when due
                (next_due,), = session.execute(sql.JOB_NEXT_DUE, [kinds])
            except psycopg.Error as exc:
                session.broken(exc)
                continue
            if next_due is not None:
                timeout = max(0.01, min(timeout, next_due))
            with self._wake:
                self._wake.wait_for(lambda seen=seen: self._generation != seen or self.stopping.is_set(),
                                    timeout=timeout)
        session.close()

    def _run_batch(self, session: Session, jobs: list[Job]) -> None:
        with self._held_lock:
            self._held.update(job.id for job in jobs)
        succeeded: list[tuple[int, str]] = []
        last_report = time.monotonic()
        for position, job in enumerate(jobs):
            if self.stopping.is_set():
                self._report_successes(session, succeeded)
                self._release(session, [unstarted.id for unstarted in jobs[position:]])
                return
            outcome = self._execute(job)
            if isinstance(outcome, Failure):
                self._report_successes(session, succeeded)
                succeeded = []
                self._report_failure(session, job, outcome)
            else:
                succeeded.append((job.id, outcome))
            if succeeded and time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
                self._report_successes(session, succeeded)
                succeeded, last_report = [], time.monotonic()
        self._report_successes(session, succeeded)

    def _execute(self, job: Job) -> str | Failure:
        """Run the handler; returns the result as JSON text, or how it failed."""
        try:
            result = self.handlers[job.kind](job.payload)
        except Retryable as exc:
            log.warning("job %d (%s) attempt %d: %s", job.id, job.kind, job.attempts, exc)
            return Failure(_describe(exc), True, exc.retry_after, exc.details)
        except Permanent as exc:
            log.warning("job %d (%s) failed permanently: %s", job.id, job.kind, exc)
            return Failure(_describe(exc), False, None, exc.details)
        except Exception as exc:
            log.exception("job %d (%s) attempt %d raised", job.id, job.kind, job.attempts)
            return Failure(_describe(exc), True, None)
        try:
            return json.dumps(result)
        except (TypeError, ValueError) as exc:  # a handler bug: running it again returns the same
            return Failure(f"handler result is not JSON: {exc}", False, None)

    # -- recording outcomes (retried across reconnects: the job is still ours in the database)

    def _report_successes(self, session: Session, succeeded: list[tuple[int, str]]) -> None:
        if not succeeded:
            return
        ids = [job_id for job_id, _ in succeeded]
        rows = self._call(session, sql.JOB_COMPLETE_ALL, [self.worker_id, ids, [result for _, result in succeeded]])
        for (lost,) in rows or []:
            log.warning("job %d: lease lost before completion; result dropped", lost)
        self._let_go(ids)

    def _report_failure(self, session: Session, job: Job, failure: Failure) -> None:
        details = _json_or_none(failure.details)
        rows = self._call(session, sql.JOB_FAIL, [job.id, self.worker_id, failure.error, failure.retryable,
                                                  failure.retry_after, details])
        if rows and rows[0][0] == "dead":
            log.warning("job %d (%s) is dead after %d attempt(s)", job.id, job.kind, job.attempts)
        self._let_go([job.id])

    def _release(self, session: Session, ids: list[int]) -> None:
        if ids:
            self._call(session, sql.JOB_RELEASE, [self.worker_id, ids])
            self._let_go(ids)

    def _call(self, session: Session, query: str, params: list[Any]) -> list[tuple] | None:
        deadline = None
        while True:
            try:
                return session.execute(query, params)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if self.stopping.is_set():
                    deadline = deadline or time.monotonic() + self.config.stop_timeout
                    if time.monotonic() > deadline:
                        log.error("gave up recording an outcome while stopping; the lease will expire")
                        return None
                session.broken(exc, interruptible=False)
            except psycopg.Error as exc:
                if exc.sqlstate == LEASE_LOST:
                    log.warning("lease lost: %s", exc.diag.message_detail)
                else:
                    log.error("recording an outcome failed: %s", exc)
                return None

    def _let_go(self, ids: list[int]) -> None:
        with self._held_lock:
            self._held.difference_update(ids)

    # -- leases

    def _keep_leases(self) -> None:
        """Extend the leases of jobs in hand every third of the lease; reap expired ones now and then."""
        session = Session(self.config.database_url, self.stopping)
        heartbeat_every = self.config.lease_seconds / 3
        next_heartbeat = time.monotonic() + heartbeat_every
        next_reap = time.monotonic()
        while not self.slots_done.is_set():
            now = time.monotonic()
            try:
                if now >= next_reap and not self.stopping.is_set():
                    next_reap = now + self.config.reap_seconds
                    (reaped,), = session.execute(sql.JOB_REAP)
                    if reaped:
                        log.info("reaped %d job(s) whose lease expired", reaped)
                if now >= next_heartbeat:
                    next_heartbeat = now + heartbeat_every
                    with self._held_lock:
                        held = sorted(self._held)
                    if held:
                        session.execute(sql.JOB_HEARTBEAT, [self.worker_id, held, self.config.lease_seconds])
            except psycopg.Error as exc:
                session.broken(exc, interruptible=False)
                continue
            self.slots_done.wait(max(0.05, min(next_heartbeat, next_reap) - time.monotonic()))
        session.close()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _json_or_none(details: dict | None) -> str | None:
    """A handler's failure details as JSON text; a handler bug (not JSON-able) loses them, not the job."""
    if details is None:
        return None
    try:
        return json.dumps(details)
    except (TypeError, ValueError):
        log.warning("failure details are not JSON-able; recorded without them")
        return None

