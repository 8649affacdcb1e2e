"""One LISTEN connection per channel for the whole web process, shared by every request waiting for a
notification (a health check waiting for its probes' results, the web app's live feed). Waiting
then holds no database connection, so any number of slow probes or open pages cannot take the pool
that Sentry ingest needs.

A notification wakes every waiter, which re-reads what it waits for: notifications only cut a wait
short, and waiters poll as well (more often while the connection is down), so a notification lost
in a reconnect delays an answer but never loses it. A stream (the live feed) takes the payloads
instead, each into its own bounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import psycopg

from workers.errors import first_line
from workers.listener import KEEPALIVES, ReconnectBackoff

log = logging.getLogger("pgwarden.web")

PAYLOAD_BACKLOG = 100  # notifications a slow stream may fall behind by


class Notifications:
    def __init__(self, conninfo: str, listen_sql: str):
        self.conninfo, self.listen_sql = conninfo, listen_sql
        self.listening = False
        self._waiters: set[asyncio.Event] = set()
        self._readers: set[asyncio.Queue[str]] = set()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="pgwarden-web-notifications")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @contextlib.contextmanager
    def subscription(self) -> Iterator[asyncio.Event]:
        """An event set by every notification from now until the block ends."""
        event = asyncio.Event()
        self._waiters.add(event)
        try:
            yield event
        finally:
            self._waiters.discard(event)

    @contextlib.contextmanager
    def payloads(self) -> Iterator[asyncio.Queue[str]]:
        """A queue of every notification's payload from now until the block ends; a reader that
        falls PAYLOAD_BACKLOG behind loses the newest until it catches up."""
        queue: asyncio.Queue[str] = asyncio.Queue(PAYLOAD_BACKLOG)
        self._readers.add(queue)
        try:
            yield queue
        finally:
            self._readers.discard(queue)

    def _wake_all(self) -> None:
        for event in self._waiters:
            event.set()

    def _publish(self, payload: str) -> None:
        for queue in self._readers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(payload)

    async def _listen(self) -> None:
        backoff = ReconnectBackoff()
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True, **KEEPALIVES) as conn:
                    await conn.execute(self.listen_sql)
                    self.listening = True
                    if backoff.failures:
                        log.info("notification listener reconnected")
                    backoff.reset()
                    self._wake_all()  # what was sent while we were away is lost: look again
                    async for notification in conn.notifies():
                        self._wake_all()
                        self._publish(notification.payload)
            except psycopg.Error as exc:
                level = logging.WARNING if backoff.failures == 0 else logging.DEBUG  # once per outage
                log.log(level, "notification listener lost the database (%s); reconnecting", first_line(exc))
            finally:
                self.listening = False
            await asyncio.sleep(backoff.next_delay())
