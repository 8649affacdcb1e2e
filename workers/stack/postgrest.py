"""PostgREST 12 with a generated config: schema api, anon role anon, our JWT secret."""

from __future__ import annotations

import os
from pathlib import Path

from workers.db import with_login
from workers.settings import TOOLS_DIR

POSTGREST_BIN = TOOLS_DIR / "postgrest"


def pool_size() -> int:
    """Connections PostgREST keeps: one per core, at least two. The work is CPU-bound (commits do not
    wait for the disk), so more only queue for the same cores, and each extra backend costs CPU in
    context switches and lock waits (single captures on 2 cores, 16 clients: 10 connections cost
    1.7 ms of backend CPU a request, 4 connections 1.0-1.2 ms and 2 connections 0.8-0.9 ms, with
    ~15 % more captures a second at 2 than at 4 over four alternating runs)."""
    return max(2, os.cpu_count() or 1)


def rts_options() -> list[str]:
    """GHC runtime options, appended to the command line:
    - half the cores for PostgREST's Haskell threads, the rest is left to PostgreSQL (with one
      capability per core PostgREST spent 670 µs of CPU a capture on 2 shared cores, 380 µs with one);
    - a 16 MB allocation area instead of 1 MB, so a request's garbage rarely meets a minor GC
      (single captures: 4-6 % less PostgREST CPU a request and 2-9 % more captures a second in
      three alternating runs; 16 MB more resident memory)."""
    return ["+RTS", f"-N{max(1, (os.cpu_count() or 1) // 2)}", "-A16m", "-RTS"]


def authenticator_uri(database_url: str, password: str) -> str:
    """The stack's database URL with PostgREST's login role in place of the superuser."""
    return with_login(database_url, "authenticator", password, scheme="postgres")


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
                # the OpenAPI document lists what the caller may call (anonymous callers: the public RPCs)
                'openapi-mode = "follow-privileges"',
                f"db-pool = {pool_size()}",
                'log-level = "warn"',
            ]
        )
        + "\n"
    )
    path.chmod(0o600)
    return path
