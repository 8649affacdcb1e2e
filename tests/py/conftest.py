"""Fixtures of the Python tests that run a real stack as `make up` does."""

from __future__ import annotations

import pytest

from tests.py.stack_support import Instance


@pytest.fixture
def instance():
    """A stack on its own data dir and ports, not started yet; stopped and removed afterwards."""
    instance = Instance()
    yield instance
    instance.remove()
