"""The two deployment layers stay consistent: migrations == declarative schema, sane names,
enum additions alone in their migration."""

from __future__ import annotations

import re
import subprocess
import uuid
from urllib.parse import parse_qs, urlsplit

import pglast
import psycopg
import pytest

from tests.conftest import create_database, drop_database
from workers import migrate
from workers.settings import DB_DIR, PG_BIN

MIGRATION_NAME = re.compile(r"^(\d{4})\.[a-z0-9]+(-[a-z0-9]+)*\.sql$")


def normalized_schema_dump(database_url: str) -> str:
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    dump = subprocess.run(
        [str(PG_BIN / "pg_dump"), "--schema-only", "--no-owner", "-h", query["host"][0], "-p", query["port"][0],
         "-U", "postgres", "--exclude-table=public._yoyo*", "--exclude-table=public.yoyo_lock",
         parts.path.lstrip("/")],
        capture_output=True, text=True, check=True).stdout
    # pg_dump 15.14+ wraps dumps in \restrict lines carrying a random key
    noise = ("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")
    kept = [line for line in dump.splitlines() if line.strip() and not line.startswith(noise)]
    return "\n".join(kept)


@pytest.fixture
def two_fresh_databases(pg_cluster):
    names = [f"drift_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    urls = [create_database(pg_cluster, name) for name in names]
    yield urls
    for name in names:
        drop_database(pg_cluster, name)


def test_database_built_from_migrations_equals_one_built_from_declarative_schema(two_fresh_databases):
    from_migrations, from_schema = two_fresh_databases
    migrate.apply(from_migrations)
    migrate.apply_declarative_schema(from_schema)
    assert normalized_schema_dump(from_migrations) == normalized_schema_dump(from_schema)


def test_applying_twice_changes_nothing(two_fresh_databases):
    url = two_fresh_databases[0]
    assert migrate.apply(url) != []
    before = normalized_schema_dump(url)
    assert migrate.apply(url) == []
    assert normalized_schema_dump(url) == before


def test_sessions_of_a_deployed_database_run_without_jit(two_fresh_databases):
    url = two_fresh_databases[0]
    migrate.apply(url)
    with psycopg.connect(url) as conn:  # a new session reads the database's settings
        assert conn.execute("SHOW jit").fetchone()[0] == "off"


def test_migration_files_are_numbered_without_gaps_and_named_plainly():
    names = sorted(path.name for path in (DB_DIR / "migrations").glob("*.sql") if ".rollback." not in path.name)
    assert names, "no migrations found"
    for name in names:
        assert MIGRATION_NAME.match(name), f"{name}: expected NNNN.lowercase-words.sql"
    numbers = [int(MIGRATION_NAME.match(name).group(1)) for name in names]
    assert numbers == list(range(1, len(numbers) + 1)), f"gap or duplicate in {numbers}"


def test_enum_additions_stand_alone_in_their_migration():
    # a value added by ALTER TYPE ... ADD VALUE cannot be used before commit
    for path in sorted((DB_DIR / "migrations").glob("*.sql")):
        statements = [raw.stmt for raw in pglast.parse_sql(path.read_text())]
        kinds = {type(statement).__name__ for statement in statements}
        if "AlterEnumStmt" in kinds:
            assert kinds == {"AlterEnumStmt"}, f"{path.name} mixes ALTER TYPE ... ADD VALUE with {kinds}"


def test_every_raise_names_a_code_detail_and_hint():
    for path in list((DB_DIR / "functions").rglob("*.sql")) + list((DB_DIR / "triggers").glob("*.sql")):
        for raise_statement in re.findall(r"RAISE EXCEPTION '.*?;", path.read_text(), flags=re.S):
            for part in ("ERRCODE", "DETAIL", "HINT"):
                assert part in raise_statement, f"{path.name}: RAISE without {part}: {raise_statement[:80]}"


def test_role_creation_is_idempotent_across_databases(pg_cluster, two_fresh_databases):
    # roles are cluster-wide: a second database must apply cleanly on top of existing roles
    for url in two_fresh_databases:
        migrate.apply(url)
    with psycopg.connect(pg_cluster.url("postgres")) as conn:
        roles = {name for (name,) in conn.execute("SELECT rolname FROM pg_roles")}
    assert {"anon", "staff", "org_owner", "system_admin", "authenticator", "pgwarden_worker", "pgwarden_web"} <= roles
