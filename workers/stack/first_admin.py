"""The first system admin of the web app, created on the first `make run` / `make up`: its
password is generated here and shown once. SQL creates it only while no system admin can sign in."""

from __future__ import annotations

import os

import psycopg

from workers import sql
from workers.web.ui.security import generate_password, hash_password

DEFAULT_EMAIL = "admin@pgwarden.localhost"


def ensure_first_admin(database_url: str) -> tuple[str, str] | None:
    """(e-mail, password) when the first admin was created just now, else None."""
    email = os.environ.get("PGWARDEN_ADMIN_EMAIL") or DEFAULT_EMAIL
    password = generate_password()
    with psycopg.connect(database_url, autocommit=True) as conn:
        created = conn.execute(sql.USER_BOOTSTRAP_ADMIN, [email, hash_password(password)]).fetchone()[0]
    return (email, password) if created else None
