"""The `pgwarden web` ASGI application: every `ROUTES` list of the workers/web/routes_*.py modules,
a database pool at `app.state.db`, the ingest micro-batcher at `app.state.batcher`, the health
endpoints' own small pool and shared LISTEN connection at `app.state.health` (routes_health),
the AI analysis endpoint's, with the JWT secret it verifies tokens with, at `app.state.ai` (routes_ai),
and the web app's own pool, live feed and cookie signer (keyed by that secret) at `app.state.ui`
(workers/web/ui)."""

from __future__ import annotations

import contextlib
import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator

import psycopg
import psycopg_pool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import workers.web
from workers import sql
from workers.web.batcher import Batcher
from workers.web.errors import RETRY_AFTER_SECONDS, UNEXPECTED, WireError, error_json, log_failure, wire_error_json
from workers.web.pools import open_pool
from workers.web.routes_ai import ai_resources
from workers.web.routes_health import health_resources
from workers.web.ui.pages import no_such_page
from workers.web.ui.state import ui_resources

log = logging.getLogger("pgwarden.web")

HEALTH_TIMEOUT_SECONDS = 2.0


def mounted_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/health", health, methods=["GET"])]
    # Sentry ingest first: Starlette tries routes in order, and an SDK's envelope is the request
    # that comes by far most often (no other module's pattern matches an ingest path)
    for module_info in sorted(pkgutil.iter_modules(workers.web.__path__),
                              key=lambda info: (info.name != "routes_sentry", info.name)):
        if module_info.name.startswith("routes_"):
            module = importlib.import_module(f"workers.web.{module_info.name}")
            routes.extend(getattr(module, "ROUTES", []))
    return routes


def create_app(database_url: str, *, pool_size: int = 4, batch_window: float = 0.002,
               jwt_secret: str | None = None) -> Starlette:
    """`jwt_secret` verifies the bearer tokens of people (the ones PostgREST takes); without it
    routes that need one refuse every token."""
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # open without waiting: a database that is down at start gives 503s, not a dead process
        pool = await open_pool(database_url, "pgwarden-web", max_size=pool_size)
        app.state.db = pool
        app.state.jwt_secret = jwt_secret
        app.state.batcher = Batcher(pool, window=batch_window, max_concurrent_calls=max(1, pool_size - 1))
        await app.state.batcher.start()
        try:
            async with health_resources(database_url) as app.state.health, \
                    ai_resources(database_url, jwt_secret) as app.state.ai, \
                    ui_resources(database_url, jwt_secret) as app.state.ui:
                yield
        finally:
            await app.state.batcher.stop()
            await pool.close()

    return Starlette(routes=mounted_routes(), lifespan=lifespan, middleware=[Middleware(RefuseSafely)],
                     exception_handlers={WireError: wire_error, 404: no_such_page})


async def health(request: Request) -> Response:
    """Liveness of the process, and whether the database answers."""
    try:
        async with request.app.state.db.connection(timeout=HEALTH_TIMEOUT_SECONDS) as conn:
            await conn.execute(sql.WEB_DATABASE_PING)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        log.warning("health: database unreachable: %s", exc)
        return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return JSONResponse({"status": "ok", "database": "ok"})


async def wire_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WireError)
    return wire_error_json(exc)


class RefuseSafely:
    """No input may produce a 5xx or a dropped connection. A URL holding a NUL character (%00: no
    path, key, token or secret of ours contains one, and PostgreSQL text cannot) is refused before
    routing; an exception that escaped a route is logged without the data that caused it and
    answered as a refusal in the error shape (Starlette's own handler would re-raise it, and the
    server would log its message and close the connection)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            await error_json(400, "QV690", "the URL contains a NUL character", hint="Remove %00 from the URL.")(
                scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            # the route's pattern, not the path: a path may carry a heartbeat token
            route = getattr(scope.get("route"), "path", "?")
            log_failure(log, f"unexpected error on {scope['method']} {route}", exc)
            if started:  # too late to answer: end the response that was begun
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await error_json(400, UNEXPECTED, "request could not be processed")(scope, receive, send)
