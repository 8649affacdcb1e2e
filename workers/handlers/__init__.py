"""Job handlers by kind. A handler receives the job's payload (a dict) and returns a JSON-able
result; it talks to one external service and never to the database (the runner records the
outcome through SQL). Raise `workers.errors.Retryable` / `Permanent` to steer retries.

Register with:

    @handler("health.probe")
    def probe(payload: dict) -> dict: ...
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

Handler = Callable[[dict], dict]
REGISTRY: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        if kind in REGISTRY:
            raise ValueError(f"two handlers for job kind {kind!r}")
        REGISTRY[kind] = function
        return function

    return register


def load_all() -> dict[str, Handler]:
    """Import every handler module in this package so their decorators run."""
    for module_info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module_info.name}")
    return REGISTRY
