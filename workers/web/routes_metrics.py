"""GET /metrics: Prometheus's text format. PostgreSQL computes every sample (app.metrics_snapshot,
one call per scrape); this module only renders them with prometheus-client.

Who may scrape: with PGWARDEN_METRICS_TOKEN set, any client that sends `Authorization: Bearer
<token>` (Prometheus's `authorization: {credentials_file: ...}`); without it, clients on this
machine only (loopback, not relayed by a proxy: a proxy on this machine would make every client
look local), as node_exporter and most exporters are meant to sit behind a firewall."""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import psycopg_pool
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workers import sql
from workers.web.auth import bearer_token
from workers.web.errors import database_unavailable_json, error_json

TOKEN_VARIABLE = "PGWARDEN_METRICS_TOKEN"
LOOPBACK = {"127.0.0.1", "::1"}
RELAY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
SNAPSHOT_TIMEOUT_SECONDS = 10.0


class SnapshotCollector(Collector):
    """The samples of one app.metrics_snapshot() call, rows ordered by family, as metric families."""

    def __init__(self, rows: Sequence[tuple[str, str, str, str, dict[str, Any], float]]):
        self.rows = rows

    def collect(self) -> Iterator[Metric]:
        family: Metric | None = None
        for name, kind, help_text, sample, labels, value in self.rows:
            if family is None or family.name != name:
                if family is not None:
                    yield family
                family = Metric(name, help_text, kind)
            family.add_sample(sample, {key: str(label) for key, label in labels.items()}, value)
        if family is not None:
            yield family


def refusal(request: Request) -> Response | None:
    """Why this client may not scrape, or None."""
    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is not None:
        credentials = bearer_token(request.headers)
        if credentials is not None and hmac.compare_digest(credentials.encode(), token.encode()):
            return None
        return error_json(401, "QA811", "metrics token missing or not accepted",
                          hint="Send 'Authorization: Bearer <PGWARDEN_METRICS_TOKEN>'.",
                          headers={"WWW-Authenticate": 'Bearer realm="pgwarden metrics"'})
    client = request.client.host if request.client else None
    if client in LOOPBACK and not any(header in request.headers for header in RELAY_HEADERS):
        return None
    return error_json(403, "QA810", "metrics are served to this machine only",
                      details="PGWARDEN_METRICS_TOKEN is not set, and the request came from another machine "
                              "or through a proxy.",
                      hint="Set PGWARDEN_METRICS_TOKEN for pgwarden web and scrape with that bearer token.")


async def metrics(request: Request) -> Response:
    refused = refusal(request)
    if refused is not None:
        return refused
    try:
        async with request.app.state.db.connection(timeout=SNAPSHOT_TIMEOUT_SECONDS) as conn:
            rows = await (await conn.execute(sql.METRICS_SNAPSHOT)).fetchall()
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
        return database_unavailable_json()
    return Response(generate_latest(SnapshotCollector(rows)), media_type=CONTENT_TYPE_LATEST)


ROUTES = [Route("/metrics", metrics, methods=["GET"])]
