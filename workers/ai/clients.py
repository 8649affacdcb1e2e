"""One SDK client per process and environment: building one costs milliseconds, and a test (or an
operator) that changes the key or base URL between jobs gets a client for the new values."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

_clients: dict[tuple, Any] = {}
_lock = threading.Lock()


def cached(variables: tuple[str, ...], build: Callable[[], Any]) -> Any:
    """The client `build` made for the current values of these environment variables."""
    key = (build, *(os.environ.get(name) for name in variables))
    with _lock:
        if key not in _clients:
            _clients[key] = build()
        return _clients[key]
