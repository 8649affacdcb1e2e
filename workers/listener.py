"""Waking the runner: a dedicated connection LISTENs on "jobs:insert" and, on every notification
(and after every reconnect, since notifications sent meanwhile are lost), calls `wake()`.
A notification carries no work; the runner claims through SQL and polls as a fallback."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

import psycopg

from workers import sql
from workers.db import connect
from workers.errors import first_line

log = logging.getLogger("pgwarden.worker")

# libpq keepalives notice a vanished server over TCP (a Unix socket reports it at once)
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


class ReconnectBackoff:
    """Exponential delays with jitter between reconnect attempts: 0.1 s doubling up to 5 s."""

    def __init__(self, first: float = 0.1, cap: float = 5.0):
        self.first, self.cap, self.failures = first, cap, 0

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt (counts one more failure)."""
        delay = min(self.cap, self.first * 2 ** self.failures) * random.uniform(0.5, 1.0)
        self.failures += 1
        return delay

    def wait(self, interrupt: threading.Event | None = None) -> None:
        delay = self.next_delay()
        if interrupt is None:
            threading.Event().wait(delay)
        else:
            interrupt.wait(delay)


def open_connection(database_url: str) -> psycopg.Connection:
    return connect(database_url, **KEEPALIVES)


class Listener(threading.Thread):
    def __init__(self, database_url: str, wake: Callable[[], None], stopping: threading.Event):
        super().__init__(name="listener", daemon=True)
        self.database_url, self.wake, self.stopping = database_url, wake, stopping
        self.listening = threading.Event()

    def run(self) -> None:
        backoff = ReconnectBackoff()
        while not self.stopping.is_set():
            try:
                with open_connection(self.database_url) as conn:
                    conn.execute(sql.JOB_LISTEN)
                    self.listening.set()
                    if backoff.failures:
                        log.info("listener reconnected")
                    backoff.reset()
                    self.wake()
                    while not self.stopping.is_set():
                        # the timeout only lets us notice stopping; a dead server raises here
                        for _ in conn.notifies(timeout=0.25, stop_after=1):
                            self.wake()
            except psycopg.Error as exc:
                self.listening.clear()
                level = logging.WARNING if backoff.failures == 0 else logging.DEBUG  # once per outage
                log.log(level, "listener lost the database (%s); reconnecting", first_line(exc))
                backoff.wait(self.stopping)
        self.listening.clear()
