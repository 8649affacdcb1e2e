"""`pgwarden web`: the HTTP process (Sentry-SDK ingest, /functions/v1/*, /health)."""

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
def web(port: int | None, host: str, database_url: str | None, access_log: bool) -> None:
    """Serve Sentry-SDK ingest, the error webhook, report screenshots and widgets, AI analysis, /health."""
    import uvicorn

    from workers.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # the secret PostgREST verifies tokens with (PGWARDEN_JWT_SECRET when the stack's data dir is not at hand)
    app = create_app(database_url or web_database_url(),
                     jwt_secret=os.environ.get("PGWARDEN_JWT_SECRET") or stack().secrets.jwt_secret)
    uvicorn.run(app, host=host, port=port or stack().settings.web_port,
                log_level="info" if access_log else "warning",
                access_log=access_log, lifespan="on", server_header=False,
                timeout_graceful_shutdown=int(os.environ.get("PGWARDEN_WEB_GRACE_SECONDS", "5")))


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
