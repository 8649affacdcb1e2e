"""`pgwarden db`: the stack's database."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from workers import backup, migrate
from workers.cli.context import stack
from workers.db import with_login
from workers.settings import PG_BIN
from workers.stack import replica
from workers.stack.runtime import say


@click.group("db")
def db_group() -> None:
    """The stack's database (named pgwarden)."""


@db_group.command("url")
@click.option("--reader", is_flag=True,
              help="pgwarden_reader's URL instead: the reporting schema, read-only (Grafana's login).")
def url(reader: bool) -> None:
    """Print the database URL (superuser on the embedded cluster)."""
    current = stack()
    if not reader:
        say(current.public_database_url)
    elif current.cluster is None:
        say(with_login(current.database_url, "pgwarden_reader", current.secrets.reader_password))
    else:
        say(replica.reader_url(current, current.settings.pg_port))


@db_group.command("psql", context_settings={"ignore_unknown_options": True})
@click.argument("psql_args", nargs=-1, type=click.UNPROCESSED)
def psql(psql_args: tuple[str, ...]) -> None:
    """Open psql on the stack's database; arguments go to psql.

    \b
    Example:
      pgwarden db psql -c 'SELECT count(*) FROM app.system_errors'
    """
    binary = shutil.which("psql") or str(PG_BIN / "psql")
    os.execvp(binary, [binary, *psql_args, stack().database_url])


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


@db_group.group("replica")
def replica_group() -> None:
    """A streaming read replica on this machine (a hot standby) that serves the reporting reads.

    Its port is PGWARDEN_REPLICA_PORT (default: the database's port + 1). Writes always go to the
    primary; a replica answers reads a moment behind it (docs/scaling.md: the lag budget)."""


@replica_group.command("create")
def replica_create() -> None:
    """Copy the running database with pg_basebackup -R into a new standby, and start it."""
    current = stack()
    made = replica.create(current)
    say(f"replica streaming from the primary, data in {made.pgdata}, port {made.port}")
    say(f"  reader URL  {replica.reader_url(current, made.port)}")


@replica_group.command("start")
def replica_start() -> None:
    """Start the replica; it catches up from where it stopped."""
    started = replica.start(stack())
    say(f"replica running on port {started.port}")


@replica_group.command("stop")
def replica_stop() -> None:
    """Stop the replica (a fast shutdown); the primary keeps WAL for it, up to 2 GB."""
    say("replica stopped" if replica.stop(stack()) else "replica was not running")


@replica_group.command("status")
def replica_status() -> None:
    """Whether the replica runs and streams, and how far behind the primary it is."""
    state = replica.state(stack())
    say(f"running         {'yes' if state.running else 'no'}")
    say(f"streaming       {state.streaming or 'no'}")
    say(f"bytes behind    {'-' if state.bytes_behind is None else state.bytes_behind}")
    say(f"replay lag      {'-' if state.replay_lag_seconds is None else f'{state.replay_lag_seconds:.3f} s'}"
        "   (the primary's measure; empty while no writes)")
    say(f"last replayed   {'-' if state.replayed_age_seconds is None else f'{state.replayed_age_seconds:.1f} s'}"
        " ago   (the commit time of the newest transaction it shows)")


@replica_group.command("drop")
def replica_drop() -> None:
    """Stop the replica and delete it (its directory and the primary's replication slot)."""
    replica.drop(stack())
    say("replica dropped")


@replica_group.command("url")
def replica_url() -> None:
    """Print pgwarden_reader's URL on the replica (the reporting schema, read-only)."""
    current = stack()
    say(replica.reader_url(current, current.settings.replica_port))


COMMANDS = (db_group,)
