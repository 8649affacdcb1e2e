"""PostgREST 12 with a generated config: schema api, anon role anon, our JWT secret."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from workers.settings import TOOLS_DIR

POSTGREST_BIN = TOOLS_DIR / "postgrest"


def authenticator_uri(database_url: str, password: str) -> str:
    """The stack's database URL with PostgREST's login role in place of the superuser."""
    parts = urlsplit(database_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(("postgres", f"authenticator:{password}@{host}", parts.path, parts.query, ""))


def write_config(path: Path, *, db_uri: str, jwt_secret: str, port: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(
            [
                f'db-uri = "{db_uri}"',
                'db-schemas = "api"',
                'db-anon-role = "anon"',
                f'jwt-secret = "{jwt_secret}"',
                'server-host = "127.0.0.1"',
                f"server-port = {port}",
                # the OpenAPI document describes the whole API, not only what anon may call
                'openapi-mode = "ignore-privileges"',
                "db-pool = 10",
                'log-level = "warn"',
            ]
        )
        + "\n"
    )
    path.chmod(0o600)
    return path
