"""Fixtures of the Python tests that run a real stack as `make up` does."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.py.stack_support import Instance


@pytest.fixture
def instance():
    """A stack on its own data dir and ports, not started yet; stopped and removed afterwards."""
    instance = Instance()
    yield instance
    instance.remove()


@pytest.fixture
def organization(database_url) -> str:
    """An organization of the test's database, without a rate limit."""
    organization_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'test organization')", [organization_id])
        conn.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
    return organization_id
