"""Where things are and which ports they use, from the environment (DESIGN.md section 2)."""

from __future__ import annotations

import os
from dataclasses import dataclass
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
    )
