"""The live feed: one LISTEN "errors:live" connection for the whole web process, fanned out to
every open Overview (Server-Sent Events). A notification carries only group ids; each stream reads
those groups as its own person, so row-level security decides who sees which."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator

import psycopg

from workers import sql

log = logging.getLogger("pgwarden.web")

QUEUE_SIZE = 100  # notifications a slow reader may fall behind by before it loses some
RECONNECT_SECONDS = (0.5, 1, 2, 5)


class LiveFeed:
    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self._subscribers: set[asyncio.Queue[list[str]]] = set()
        self._task: asyncio.Task | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="pgwarden-web-live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @contextlib.contextmanager
    def subscription(self) -> Iterator[asyncio.Queue[list[str]]]:
        """A queue receiving the group ids of every notification from now until the block ends."""
        queue: asyncio.Queue[list[str]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    def _publish(self, ids: list[str]) -> None:
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(ids)

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
                    await conn.execute(sql.WEB_LIVE_LISTEN)
                    self.listening.set()
                    failures = 0
                    async for notification in conn.notifies():
                        try:
                            ids = [str(value) for value in json.loads(notification.payload)["ids"]]
                        except (ValueError, KeyError, TypeError):
                            log.warning("live feed: unreadable notification %r", notification.payload[:200])
                            continue
                        self._publish(ids)
            except psycopg.Error as exc:
                if failures == 0:
                    log.warning("live feed lost the database (%s); reconnecting", str(exc).splitlines()[0])
            finally:
                self.listening.clear()
            await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
            failures += 1
