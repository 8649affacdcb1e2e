"""The web process's connection pools, all made one way: autocommit, opened without waiting (a
database that is down at start gives 503s, not a dead process), and quick to come back after an
outage."""

from __future__ import annotations

from typing import Any

import psycopg_pool

# psycopg_pool retries a lost connection with a doubling delay (1, 2, 4 … s) for reconnect_timeout,
# 5 minutes by default, and a request can start a fresh attempt only once that one has given up:
# after PostgreSQL had been down for some minutes, the web answered 503 for minutes after it was
# back. Giving up after 10 s keeps the gap between attempts at most 4 s, and the next request after
# that starts a new attempt at once.
RECONNECT_SECONDS = 10.0


async def open_pool(conninfo: str, name: str, *, max_size: int, timeout: float = 30.0,
                    **connection_options: Any) -> psycopg_pool.AsyncConnectionPool:
    """An open pool of 1 to max_size autocommit connections; `timeout`: how long a request waits
    for one; connection_options: psycopg's (prepare_threshold …)."""
    pool = psycopg_pool.AsyncConnectionPool(conninfo, min_size=1, max_size=max_size, timeout=timeout, open=False,
                                            kwargs={"autocommit": True, **connection_options}, name=name,
                                            reconnect_timeout=RECONNECT_SECONDS)
    await pool.open(wait=False)
    return pool
