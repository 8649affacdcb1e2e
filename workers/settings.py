"""Where things are and which ports they use, from the environment (DESIGN.md section 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DB_DIR = REPO_ROOT / "db"
TOOLS_DIR = REPO_ROOT / ".tools"
PG_BIN = Path(os.environ.get("PGWARDEN_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE_NAME = "pgwarden"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    pg_port: int
    api_port: int
    web_port: int
    external_database_url: str | None
    ingest_sync: str | None = None  # PGWARDEN_INGEST_SYNC as given; SQL checks it (app.set_ingest_sync)
    ai: dict = field(default_factory=dict)  # app.ai_configure's argument (ai_configuration)
    demo_port: int = 8010  # `make demo`'s local services (workers/demo/services.py)
    replica_port: int = 0           # the streaming replica's (pgwarden db replica); default pg_port + 1

    @property
    def run_dir(self) -> Path:
        """PID files and generated configs."""
        return self.data_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @property
    def embedded(self) -> bool:
        return self.external_database_url is None


def load() -> Settings:
    env = os.environ
    return Settings(
        data_dir=Path(env.get("PGWARDEN_DATA_DIR", ".data")).resolve(),
        pg_port=int(env.get("PGWARDEN_PG_PORT", "54329")),
        api_port=int(env.get("PGWARDEN_API_PORT", "3000")),
        web_port=int(env.get("PGWARDEN_WEB_PORT", "8000")),
        external_database_url=env.get("PGWARDEN_DATABASE_URL") or None,
        ingest_sync=env.get("PGWARDEN_INGEST_SYNC"),
        ai=ai_configuration(env),
        demo_port=int(env.get("PGWARDEN_DEMO_PORT", "8010")),
        replica_port=int(env.get("PGWARDEN_REPLICA_PORT") or int(env.get("PGWARDEN_PG_PORT", "54329")) + 1),
    )


def ai_configuration(env: Mapping[str, str]) -> dict:
    """PGWARDEN_AI_PROVIDER (SQL checks it), whether the workers hold a key for each provider (the
    SDKs' own variables) and PGWARDEN_ANTHROPIC_MODEL / PGWARDEN_OPENAI_MODEL (unset: keep the model)."""
    return {"default_provider": env.get("PGWARDEN_AI_PROVIDER") or None,
            "providers": {
                "anthropic": {"configured": bool(env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN")),
                              "model": env.get("PGWARDEN_ANTHROPIC_MODEL") or None},
                "openai": {"configured": bool(env.get("OPENAI_API_KEY")),
                           "model": env.get("PGWARDEN_OPENAI_MODEL") or None}}}
