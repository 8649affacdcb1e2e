"""The web app's resources, opened with the web process: its own small connection pool (pages
never take the ingest pool's connections), the live feed and the cookie signer."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg_pool

from workers import sql
from workers.web.notifications import Notifications
from workers.web.pools import open_pool
from workers.web.ui.security import CookieSigner


@dataclass(frozen=True)
class UiState:
    pool: psycopg_pool.AsyncConnectionPool
    live: Notifications  # errors:live: the ids of new and changed groups (pages_overview.live_errors)
    signer: CookieSigner


@contextlib.asynccontextmanager
async def ui_resources(database_url: str, secret: str | None, pool_size: int = 4) -> AsyncIterator[UiState]:
    # prepare_threshold=None: nothing is prepared, so every list query is planned for the filters it has
    pool = await open_pool(database_url, "pgwarden-web-ui", max_size=pool_size, prepare_threshold=None)
    live = Notifications(database_url, sql.WEB_LIVE_LISTEN)
    await live.start()
    try:
        # without the stack's secret (a bare `pgwarden web`), sessions last as long as the process
        yield UiState(pool=pool, live=live, signer=CookieSigner(secret or secrets.token_hex(32)))
    finally:
        await live.stop()
        await pool.close()
