"""`pgwarden web`: the HTTP process (the web app and status page, Sentry-SDK ingest, /functions/v1/*, /health)."""

from __future__ import annotations

import logging
import os

import click
import psycopg.conninfo

from workers import sql
from workers.cli.context import stack
from workers.db import connect
from workers.settings import DATABASE_NAME
from workers.stack.runtime import say

WEB_ROLE = "pgwarden_web"


def web_database_url() -> str:
    """The web process's login: its own role over the embedded cluster's socket; on an external
    database the configured login, switched to that role at connect time."""
    current = stack()
    if current.cluster is not None:
        return current.cluster.url(DATABASE_NAME, user=WEB_ROLE)
    return psycopg.conninfo.make_conninfo(current.database_url, options=f"-c role={WEB_ROLE}")


@click.command("web")
@click.option("--port", type=int, help="Port (default $PGWARDEN_WEB_PORT, 8000).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--database-url", envvar="PGWARDEN_WEB_DATABASE_URL", help="Connect with this URL instead.")
@click.option("--access-log/--no-access-log", default=False, show_default=True)
@click.option("--workers", "processes", type=click.IntRange(1, 64), default=1, show_default=True,
              envvar="PGWARDEN_WEB_WORKERS",
              help="Processes sharing the port (uvicorn workers; $PGWARDEN_WEB_WORKERS). They keep no state.")
def web(port: int | None, host: str, database_url: str | None, access_log: bool, processes: int) -> None:
    """Serve the web app and status page, Sentry-SDK ingest, the error webhook, report screenshots and
    widgets, AI analysis, /metrics."""
    import uvicorn

    # every process (uvicorn's workers are new interpreters) builds the app from the environment:
    # the database, and the secret PostgREST verifies tokens with (PGWARDEN_JWT_SECRET when given;
    # the web app signs its cookies with it too, so sessions survive restarts)
    os.environ[APP_DATABASE_URL] = database_url or web_database_url()
    os.environ[APP_JWT_SECRET] = os.environ.get(APP_JWT_SECRET) or stack().secrets.jwt_secret
    uvicorn.run(f"{app_from_environment.__module__}:{app_from_environment.__name__}", factory=True,
                workers=processes, host=host, port=port or stack().settings.web_port,
                log_level="info" if access_log else "warning",
                access_log=access_log, lifespan="on", server_header=False,
                timeout_graceful_shutdown=int(os.environ.get("PGWARDEN_WEB_GRACE_SECONDS", "5")))


APP_DATABASE_URL = "PGWARDEN_WEB_DATABASE_URL"
APP_JWT_SECRET = "PGWARDEN_JWT_SECRET"


def app_from_environment():
    """The ASGI app of one web process, over the database named in $PGWARDEN_WEB_DATABASE_URL."""
    from workers.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return create_app(os.environ[APP_DATABASE_URL], jwt_secret=os.environ[APP_JWT_SECRET])


@click.command("webhook-secret")
@click.argument("project_id", type=int)
def webhook_secret(project_id: int) -> None:
    """Create or replace a project's error-webhook secret; prints it (shown once)."""
    with connect(stack().database_url) as conn:
        (secret,) = conn.execute(sql.CREATE_WEBHOOK_SECRET, [project_id]).fetchone()
    say(secret)
    say(f"send errors: POST {stack().urls(dsn='').web}functions/v1/error-webhook "
        f"with 'Authorization: Bearer {secret}'")


COMMANDS = (web, webhook_secret)
