"""`pgwarden db`: the stack's database."""

from __future__ import annotations

import os
import shutil

import click

from workers import migrate
from workers.cli.context import stack
from workers.settings import PG_BIN
from workers.stack.runtime import say


@click.group("db")
def db_group() -> None:
    """The stack's database (named pgwarden)."""


@db_group.command("url")
def url() -> None:
    """Print the database URL (superuser on the embedded cluster)."""
    say(stack().public_database_url)


@db_group.command("psql")
def psql() -> None:
    """Open psql on the stack's database."""
    binary = shutil.which("psql") or str(PG_BIN / "psql")
    os.execvp(binary, [binary, stack().database_url])


@db_group.command("apply")
def apply() -> None:
    """Apply pending migrations and re-apply functions, triggers and the api schema."""
    current = stack()
    applied = current.ensure_database()
    say(f"migrations applied: {', '.join(applied) or 'none pending'}")
    say(f"code layer applied: {len(migrate.code_layer_files())} files; PostgREST told to reload")


COMMANDS = (db_group,)
