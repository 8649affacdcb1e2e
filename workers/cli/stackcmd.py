"""Starting and stopping the stack: `make run` (foreground), `make up`, `make down`, status."""

from __future__ import annotations

import signal
import time

import click

from workers import tokens
from workers.cli.context import stack
from workers.stack.runtime import say


def _bring_up() -> None:
    current = stack()
    applied = current.ensure_database()
    if applied:
        say(f"applied migrations: {', '.join(applied)}")
    current.start_processes()
    project_id, public_key = current.default_project()
    urls = current.urls(current.dsn(project_id, public_key))
    admin_token = tokens.mint(current.secrets.jwt_secret, "system_admin", tokens.parse_ttl("12h"))
    say(f"pgwarden is running (data in {current.settings.data_dir})")
    say(f"  PostgREST API   {urls.api}   (OpenAPI document at /)")
    say(f"  Web and ingest  {urls.web}")
    say(f"  Sentry DSN      {urls.dsn}   (project {project_id})")
    say(f"  Database        {urls.database}")
    say(f"  Admin token     {admin_token}")
    say("                  (system_admin, valid 12h; `pgwarden token --role system_admin` makes another)")


@click.group("stack")
def stack_group() -> None:
    """Start and stop the embedded stack."""


@stack_group.command("up")
def up() -> None:
    """Start everything in the background; returns once PostgREST answers."""
    _bring_up()


@stack_group.command("run")
def run() -> None:
    """Start everything in the foreground; Ctrl-C stops it all."""
    # Ctrl-C and SIGTERM both stop everything in order (explicit: a shell may start us with
    # SIGINT ignored, and then Python installs no handler of its own)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _bring_up()
        say("press Ctrl-C to stop")
        processes = stack().processes()
        while True:
            for process in processes:
                if process.pid() is None:
                    raise click.ClickException(f"{process.name} exited; see {process.log_file}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("\nstopping")
    finally:
        stopped = stack().stop()
        say(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@stack_group.command("down")
def down() -> None:
    """Stop the processes recorded in the PID files, then the embedded PostgreSQL."""
    stopped = stack().stop()
    say(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@click.command("status")
def status() -> None:
    """What is running, and where."""
    current = stack()
    if current.cluster is not None:
        running = current.cluster.initialized() and current.cluster.running()
        say(f"postgres   {'running' if running else 'stopped'}  127.0.0.1:{current.settings.pg_port}")
    else:
        say("postgres   external (PGWARDEN_DATABASE_URL)")
    for process in current.processes():
        pid = process.pid()
        say(f"{process.name:<10} {'running pid ' + str(pid) if pid else 'stopped'}")
    urls = current.urls(dsn="")
    say(f"api        {urls.api}")
    say(f"web        {urls.web}")


COMMANDS = (stack_group, status)
