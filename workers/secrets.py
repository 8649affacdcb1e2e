"""Secrets generated on first start into the data dir (never committed): the JWT secret and the
passwords of the roles that log in."""

from __future__ import annotations

import json
import os
import secrets as random_source
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Secrets:
    jwt_secret: str
    postgres_password: str
    authenticator_password: str
    worker_password: str


def load_or_create(data_dir: Path) -> Secrets:
    path = data_dir / "secrets.json"
    if path.exists():
        return Secrets(**json.loads(path.read_text()))
    created = Secrets(*(random_source.token_hex(32) for _ in range(4)))
    data_dir.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two instances starting at once cannot both write different secrets
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create(data_dir)
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(created), out)
    return created
