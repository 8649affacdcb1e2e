"""The web process opens every connection pool through workers/web/pools.open_pool, the one place
that says how a pool comes back after an outage (a pool made otherwise kept psycopg_pool's 5-minute
reconnection cycle: the web answered 503 for 48 s after PostgreSQL had been back, following a 70 s
outage; through open_pool it answered at once)."""

from __future__ import annotations

import re

from workers.settings import REPO_ROOT

POOL_MADE = re.compile(r"\bAsyncConnectionPool\(|\bConnectionPool\(")


def test_every_web_pool_is_made_by_open_pool():
    made_elsewhere = [str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "workers" / "web").rglob("*.py")
                      if path.name != "pools.py" and POOL_MADE.search(path.read_text())]
    assert made_elsewhere == []
