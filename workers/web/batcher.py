"""Micro-batching: requests that arrive while the database is busy with earlier ones are sent to
it as ONE call of app.web_ingest, and each request gets back its own outcome once that call has
committed. The database then sees batches (one transaction, rows locked in order) while every HTTP
client still gets an answer about its own events.

A request that finds no call in flight is sent at once: a lone client (a Sentry SDK sends one
envelope at a time) waits for nothing but the database. While calls are in flight, requests gather
until one of them ends or the window passes, and go together; while every call slot is busy they
keep gathering, so batches grow exactly when the database is the bottleneck.

A batch holds at most max_requests requests and, past its first request, at most max_bytes of
bodies: the database's work grows with the bytes it parses, so a client sending large envelopes
gets batches of its own and cannot make a batch of its neighbours' small ones run long."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
import psycopg_pool

from workers import sql
from workers.web import jsonwire
from workers.web.errors import log_failure

log = logging.getLogger("pgwarden.web")


class DatabaseUnavailable(Exception):
    """The database could not be reached (or not in time): answer 503 with Retry-After."""


@dataclass
class _Pending:
    request: dict[str, Any]
    size: int
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Batcher:
    def __init__(self, pool: psycopg_pool.AsyncConnectionPool, *, window: float = 0.002, max_requests: int = 200,
                 max_bytes: int = 1024 * 1024, max_concurrent_calls: int = 3, connection_timeout: float = 5.0):
        self.pool = pool
        self.window = window
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self._held: _Pending | None = None  # taken from the queue, over the last batch's byte budget
        self.connection_timeout = connection_timeout
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._calls = asyncio.Semaphore(max_concurrent_calls)
        self._collector: asyncio.Task | None = None
        self._flushes: set[asyncio.Task] = set()
        self._flush_ended = asyncio.Event()  # set whenever a call ends (the time to send what gathered)

    async def start(self) -> None:
        self._collector = asyncio.create_task(self._collect(), name="pgwarden-batcher")

    async def stop(self) -> None:
        if self._collector is not None:
            self._collector.cancel()
            await asyncio.gather(self._collector, return_exceptions=True)
        await asyncio.gather(*self._flushes, return_exceptions=True)

    async def submit(self, request: dict[str, Any], size: int = 0) -> dict[str, Any]:
        """The request's outcome: {"id": ...} or {"error": {...}}; DatabaseUnavailable if unreachable.
        `size`: the bytes of its body, which the batch budget counts."""
        pending = _Pending(request, size)
        await self._queue.put(pending)
        return await pending.future

    async def _collect(self) -> None:
        while True:
            first = self._held or await self._queue.get()
            self._held = None
            if self._flushes:
                # the database is busy: what arrives until a call ends (or the window passes) goes along
                self._flush_ended.clear()
                try:
                    await asyncio.wait_for(self._flush_ended.wait(), self.window)
                except TimeoutError:
                    pass
            await self._calls.acquire()
            batch, size = [first], first.size
            while len(batch) < self.max_requests and self._held is None and not self._queue.empty():
                size = self._add(batch, self._queue.get_nowait(), size)
            task = asyncio.create_task(self._flush(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flush_done)

    def _flush_done(self, task: asyncio.Task) -> None:
        self._flushes.discard(task)
        self._flush_ended.set()

    def _add(self, batch: list[_Pending], pending: _Pending, size: int) -> int:
        """Put a request into the batch, or hold it for the next one when it would pass max_bytes."""
        if size + pending.size > self.max_bytes:
            self._held = pending
            return size
        batch.append(pending)
        return size + pending.size

    async def _flush(self, batch: list[_Pending]) -> None:
        try:
            try:
                outcomes = await self._call([pending.request for pending in batch])
            except DatabaseUnavailable as exc:
                for pending in batch:
                    _settle(pending, exception=exc)
                return
            except psycopg.Error as exc:
                # one request the database could not digest must not fail its neighbours
                log.warning("ingest batch of %d failed (%s); retrying request by request", len(batch), exc.sqlstate)
                await self._flush_one_by_one(batch)
                return
            for pending, outcome in zip(batch, outcomes, strict=True):
                _settle(pending, result=outcome)
        except Exception as exc:  # never leave a request waiting forever
            log_failure(log, "ingest batch failed", exc)
            for pending in batch:
                _settle(pending, exception=exc)
        finally:
            self._calls.release()

    async def _flush_one_by_one(self, batch: list[_Pending]) -> None:
        for pending in batch:
            try:
                [outcome] = await self._call([pending.request])
            except DatabaseUnavailable as exc:
                _settle(pending, exception=exc)
                continue
            except psycopg.Error as exc:
                # the code only: the server's message and context may quote the payload
                log.warning("ingest request refused by the database: SQLSTATE %s", exc.sqlstate)
                outcome = {"error": {"code": "QV692", "http_status": 400,
                                     "message": "the database could not store this request's items",
                                     "details": f"SQLSTATE {exc.sqlstate}."}}
            _settle(pending, result=outcome)

    async def _call(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        body, non_finite = jsonwire.dumps_counting(requests)
        for request, count in zip(requests, non_finite or [], strict=False):
            if count:  # (app.web_requests_clean turns it into the request's repairs)
                request["non_finite"] = count
        if non_finite:
            body = jsonwire.dumps(requests)
        for attempt in (1, 2):
            try:
                async with self.pool.connection(timeout=self.connection_timeout) as conn:
                    cursor = await conn.execute(sql.WEB_INGEST, [body])
                    rows = await cursor.fetchall()
                break
            except psycopg.errors.TransactionRollback:
                if attempt == 2:  # a deadlock or serialization failure twice in a row: let the caller split
                    raise
            except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
                raise DatabaseUnavailable(str(exc)) from exc
        by_ordinal = {ordinal: outcome for ordinal, outcome in rows}
        return [by_ordinal.get(ordinal, {"id": None}) for ordinal in range(1, len(requests) + 1)]


def _settle(pending: _Pending, *, result: dict | None = None, exception: BaseException | None = None) -> None:
    if pending.future.done():  # the client went away and the handler was cancelled
        return
    if exception is not None:
        pending.future.set_exception(exception)
    else:
        pending.future.set_result(result)
