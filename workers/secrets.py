"""Secrets generated on first start into the data dir (never committed): the JWT secret and the
passwords of the roles that log in. A data dir from an older pgwarden gets the ones it lacks."""

from __future__ import annotations

import fcntl
import json
import os
import secrets as random_source
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Secrets:
    jwt_secret: str
    postgres_password: str
    authenticator_password: str
    worker_password: str
    reader_password: str  # pgwarden_reader: dashboards reading the reporting schema


def load_or_create(data_dir: Path) -> Secrets:
    path = data_dir / "secrets.json"
    if path.exists():
        stored = json.loads(path.read_text())
        missing = [field.name for field in fields(Secrets) if field.name not in stored]
        if not missing:
            return Secrets(**{field.name: stored[field.name] for field in fields(Secrets)})
        with open(data_dir / ".secrets.lock", "a") as lock:  # processes completing at once: one writes
            fcntl.flock(lock, fcntl.LOCK_EX)
            stored = json.loads(path.read_text())
            completed = Secrets(**{**{field.name: random_source.token_hex(32) for field in fields(Secrets)},
                                   **stored})
            replacement = path.with_name(f".secrets.json.{os.getpid()}")
            replacement.unlink(missing_ok=True)
            _write_private(replacement, completed)
            os.replace(replacement, path)
        return completed
    created = Secrets(*(random_source.token_hex(32) for _ in fields(Secrets)))
    data_dir.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two instances starting at once cannot both write different secrets
    try:
        _write_private(path, created)
    except FileExistsError:
        return load_or_create(data_dir)
    return created


def _write_private(path: Path, values: Secrets) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(values), out)
