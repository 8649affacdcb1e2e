"""JWTs for PostgREST: HS256 with the stack's secret. Every token expires."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import jwt

ROLES_WITH_ORGANIZATION = ("staff", "org_owner")
ROLES = ("system_admin", *ROLES_WITH_ORGANIZATION)
_TTL = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_ttl(text: str) -> timedelta:
    match = _TTL.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"invalid ttl {text!r}: use a positive number with s, m, h, d or w (e.g. 1h)")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def mint(secret: str, role: str, ttl: timedelta, org_id: str | None = None, user_id: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if role in ROLES_WITH_ORGANIZATION and not org_id:
        raise ValueError(f"role {role} needs an organization (--org)")
    claims: dict = {"role": role, "iat": int(time.time()), "exp": int(time.time() + ttl.total_seconds())}
    if org_id:
        claims["org_id"] = str(uuid.UUID(org_id))
    if user_id:
        claims["sub"] = str(uuid.UUID(user_id))
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(secret: str, token: str) -> dict:
    """The claims of a token this stack signed (HS256, not expired); jwt.InvalidTokenError otherwise."""
    return jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
