"""Schema deployment in two layers (conventions R4):

1. the stateful layer: numbered yoyo migrations in db/migrations (immutable once merged);
2. the code layer: db/functions/app, db/triggers, db/functions/api and db/functions/reporting,
   re-applied in full in one transaction, then PostgREST is told to reload its schema cache.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from yoyo import get_backend, read_migrations

from workers import sql
from workers.settings import DB_DIR

MIGRATIONS_DIR = DB_DIR / "migrations"
SCHEMA_DIR = DB_DIR / "schema"


def code_layer_files() -> list[Path]:
    """In dependency order: app functions, then triggers, then the api and reporting schemas (rebuilt)."""
    layers = [DB_DIR / "functions" / "app", DB_DIR / "triggers", DB_DIR / "functions" / "api",
              DB_DIR / "functions" / "reporting"]
    return [path for layer in layers for path in sorted(layer.glob("*.sql"))]


def migration_ids() -> list[str]:
    """This checkout's migrations, as yoyo records them once applied (the file name without .sql)."""
    return sorted(path.stem for path in MIGRATIONS_DIR.glob("*.sql"))


def yoyo_url(database_url: str) -> str:
    scheme, rest = database_url.split("://", 1)
    if scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError(f"not a PostgreSQL URL: {database_url}")
    return f"postgresql+psycopg://{rest}"


def apply_migrations(database_url: str) -> list[str]:
    backend = get_backend(yoyo_url(database_url))
    try:
        with backend.lock():
            pending = backend.to_apply(read_migrations(str(MIGRATIONS_DIR)))
            backend.apply_migrations(pending)
    finally:
        backend.connection.close()  # yoyo keeps it open otherwise (and blocks template cloning)
    return [migration.id for migration in pending]


def apply_code_layer(database_url: str) -> int:
    files = code_layer_files()
    with psycopg.connect(database_url) as conn, conn.transaction():
        conn.execute(sql.CODE_LAYER_LOCK)  # two deploys at once must not interleave
        for path in files:
            try:
                conn.execute(path.read_text())
            except psycopg.Error as exc:
                raise RuntimeError(f"{path.relative_to(DB_DIR.parent)}: {exc}") from exc
        conn.execute(sql.RELOAD_POSTGREST_SCHEMA)  # delivered at commit
        conn.execute(sql.RELOAD_POSTGREST_CONFIG)
    return len(files)


def apply(database_url: str) -> list[str]:
    """Both layers; returns the ids of the migrations that were pending."""
    applied = apply_migrations(database_url)
    apply_code_layer(database_url)
    return applied


def apply_declarative_schema(database_url: str) -> None:
    """Build from db/schema instead of the migrations (the drift test compares both)."""
    with psycopg.connect(database_url) as conn, conn.transaction():
        for path in sorted(SCHEMA_DIR.glob("*.sql")):
            conn.execute(path.read_text())
    apply_code_layer(database_url)
