"""JSON text for PostgreSQL from what Python's json module read.

Python's json reads NaN, Infinity and -Infinity (sentry-python and raven send them, Relay accepts
them), and a number too large for a float reads as infinite; none of them is JSON, so PostgreSQL
would refuse the whole text. They are stored as the strings "NaN", "Infinity" and "-Infinity" (the
value stays visible, and a field that needs a number treats it as absent), and counted so that
SQL can record the repair (app.ingest_repairs, an event's metadata._repaired). Everything else
PostgreSQL cannot store (\\u0000, lone surrogates) stays escaped in the text: app.json_repair
replaces it.
"""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(value: Any) -> str:
    """`value` as JSON text; raises ValueError if it holds a NaN or an infinite float.

    Characters are written as they are, not as \\u escapes: app.json_repair then finds an escape
    to look at only where there is something to repair (a character outside the BMP would be a
    surrogate-pair escape, and send the whole batch down its slow path). A lone surrogate, which
    json reads from an escape but UTF-8 cannot carry, makes it write escapes after all."""
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(value, allow_nan=False)
    return text


def replace_non_finite(value: Any) -> int:
    """Replace, in place, every NaN or infinite float inside `value` (dicts and lists, any depth)
    by its name as a string; returns how many there were."""
    replaced = 0
    pending = [value]
    while pending:  # (no recursion: the JSON may be as deep as the parser allowed)
        container = pending.pop()
        entries = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in entries:
            if isinstance(item, float) and not math.isfinite(item):
                container[key] = "NaN" if math.isnan(item) else ("Infinity" if item > 0 else "-Infinity")
                replaced += 1
            elif isinstance(item, (dict, list)):
                pending.append(item)
    return replaced


def dumps_counting(values: list[Any]) -> tuple[str, list[int] | None]:
    """`values` as one JSON array text, and per value how many non-finite numbers were replaced
    in it (None when there were none, the usual case: then nothing was walked)."""
    try:
        return dumps(values), None
    except ValueError:
        counts = []
        for index, value in enumerate(values):
            holder = [value]  # (a bare NaN document is replaced in its holder)
            counts.append(replace_non_finite(holder))
            values[index] = holder[0]
        return dumps(values), counts
