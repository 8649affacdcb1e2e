"""`pgwarden db backup` and `pgwarden db restore`: the stack's database as one pg_dump archive (custom
format).

An archive holds the pgwarden database whole: schema, rows, every object's grants, pg_cron's jobs
and the list of applied migrations. Roles and their settings belong to the cluster, not to a
database, so pg_dump leaves them out: a restore first makes them from this checkout's migrations
(applied to a scratch database, dropped again), so that the archive's grants find their roles even in
a brand-new cluster. The archive is restored into a new database that takes the old one's place only
once it is complete (on failure the old one is put back), then what this checkout has beyond the
archive is applied, as `make migrate` would. An archive made by newer code (a migration this checkout
does not have) is refused before anything changes."""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from workers import migrate, sql
from workers.settings import PG_BIN
from workers.stack.runtime import Stack

SERVING = ("postgrest", "worker", "web")  # what holds sessions on the database while the stack runs
MIGRATION_TABLE = "_yoyo_migration"


class BackupError(RuntimeError):
    """A backup or restore that cannot proceed; the message says why and what to do."""


def default_path(stack: Stack) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return stack.settings.data_dir / "backups" / f"pgwarden-{stamp}.dump"


def backup(stack: Stack, path: Path) -> Path:
    """Write the archive to path (created readable by its owner only: it holds secrets such as the
    webhook secrets and personal-data keys). A running stack keeps running: pg_dump reads one
    consistent snapshot."""
    stack.start_database()
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.touch(mode=0o600)
    partial.chmod(0o600)
    _run([str(PG_BIN / "pg_dump"), "--format=custom", f"--file={partial}", stack.database_url], "pg_dump")
    partial.replace(path)
    return path


def archive_migrations(path: Path) -> list[str]:
    """The ids of the migrations applied to the database an archive was made of (its yoyo table)."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    listing = _run([str(PG_BIN / "pg_restore"), "--data-only", f"--table={MIGRATION_TABLE}", "--file=-", str(path)],
                   "pg_restore")
    lines = iter(listing.splitlines())
    for line in lines:
        if line.startswith("COPY ") and f"{MIGRATION_TABLE} (" in line:
            columns = [column.strip().strip('"') for column in line.split("(", 1)[1].split(")", 1)[0].split(",")]
            position = columns.index("migration_id")
            ids = []
            for row in lines:
                if row == "\\.":
                    return ids
                ids.append(row.split("\t")[position])
    raise BackupError(f"{path} is not a pgwarden backup: it records no migrations")


def restore(stack: Stack, path: Path) -> list[str]:
    """Replace the stack's database by the archive's; returns the migrations applied on top of it."""
    newer = sorted(set(archive_migrations(path)) - set(migrate.migration_ids()))
    if newer:
        raise BackupError(f"{path} was made by a newer pgwarden (its schema has {', '.join(newer)}, which this "
                          f"checkout does not): restore it with that version or a later one")
    stack.start_database()
    stopped = stack.supervisor.stop(list(SERVING)) if stack.cluster is not None else []
    try:
        _make_roles(stack)
        _replace_database(stack, path)
        if stack.cluster is not None:
            # pg_cron's scheduler ended with the old database's sessions and comes back only with
            # the server
            stack.restart_database()
        applied = stack.ensure_database()
    finally:
        if stopped:
            stack.start_processes()
    return applied


def _make_roles(stack: Stack) -> None:
    """The roles, their memberships and settings, from this checkout's migrations (idempotent)."""
    scratch = f"pgwarden_roles_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(stack.server_url, autocommit=True) as conn:
        conn.execute(pgsql.SQL(sql.CREATE_DATABASE).format(name=pgsql.Identifier(scratch)))
    try:
        migrate.apply_migrations(stack.url_of(scratch))
    finally:
        with psycopg.connect(stack.server_url, autocommit=True) as conn:
            conn.execute(pgsql.SQL(sql.DROP_DATABASE).format(name=pgsql.Identifier(scratch)))


def _replace_database(stack: Stack, path: Path) -> None:
    name = stack.database_name
    previous = f"{name}_before_restore"
    with psycopg.connect(stack.server_url, autocommit=True) as conn:
        if conn.execute(sql.DATABASE_EXISTS, [previous]).fetchone():
            raise BackupError(f"a database {previous} is left from an interrupted restore: rename it back to {name} "
                              f"or drop it, then restore again")
        existed = conn.execute(sql.DATABASE_EXISTS, [name]).fetchone() is not None
        if existed:
            _rename(conn, name, previous)
        conn.execute(pgsql.SQL(sql.CREATE_DATABASE).format(name=pgsql.Identifier(name)))
        try:
            _run([str(PG_BIN / "pg_restore"), "--exit-on-error", "--single-transaction",
                  f"--dbname={stack.database_url}", str(path)], "pg_restore")
        except BaseException:
            conn.execute(pgsql.SQL(sql.DROP_DATABASE).format(name=pgsql.Identifier(name)))
            if existed:
                _rename(conn, previous, name)
            raise
        if existed:
            conn.execute(pgsql.SQL(sql.DROP_DATABASE).format(name=pgsql.Identifier(previous)))


def _rename(conn: psycopg.Connection, name: str, new_name: str, attempts: int = 50) -> None:
    """Rename a database, ending its sessions first; pg_cron's scheduler reconnects to its database
    within a second or so, so the two race: try again."""
    statement = pgsql.SQL(sql.RENAME_DATABASE).format(name=pgsql.Identifier(name), new_name=pgsql.Identifier(new_name))
    for attempt in range(attempts):
        conn.execute(sql.END_DATABASE_SESSIONS, [name])
        try:
            conn.execute(statement)
            return
        except psycopg.errors.ObjectInUse:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _run(argv: list[str], tool: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")
    return done.stdout
