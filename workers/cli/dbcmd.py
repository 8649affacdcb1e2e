"""`pgwarden db`: the stack's database."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from workers import backup, migrate
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


@db_group.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path | None) -> None:
    """Write the database to PATH as a pg_dump archive (default: DATA_DIR/backups/pgwarden-<time>.dump).

    The stack may keep running. The archive holds secrets (webhook secrets, personal-data keys): it
    is created readable by its owner only; keep it as safe as the data dir."""
    current = stack()
    written = backup.backup(current, path or backup.default_path(current))
    say(f"backup written to {written} ({written.stat().st_size / 1e6:.1f} MB); `pgwarden db restore {written}` "
        "restores it")


@db_group.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(path: Path) -> None:
    """Replace the database by the archive PATH (from `pgwarden db backup`), then apply what is newer.

    Refuses an archive made by a newer pgwarden. On the embedded cluster, PostgREST, the worker and
    the web process are stopped meanwhile and PostgreSQL is restarted. With PGWARDEN_DATABASE_URL, stop
    your own processes first, and restart PostgreSQL afterwards when pg_cron runs in this database
    (its scheduler ends with the old database's sessions)."""
    current = stack()
    applied = backup.restore(current, path)
    say(f"restored {path} into the database {current.database_name}"
        + (f"; migrations applied on top: {', '.join(applied)}" if applied else ""))


COMMANDS = (db_group,)
