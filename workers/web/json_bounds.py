"""What a parsed JSON body may cost the database: bounds applied in the web process before the
database parses anything.

The database cuts every field it keeps to its own limit (app.capture_limit), but it first parses,
maps and copies whatever it is handed, in time proportional to its size: one 20 MiB string in a
webhook body took 6 s. So every string is cut here to MAX_STRING_CHARS, twice the longest field
pgwarden keeps (a stack trace, 65,536 characters), which is also how far app.capture_item_of reads
free text: the database never sees less than it would use.
"""

from __future__ import annotations

from typing import Any

MAX_STRING_CHARS = 2 * 65536


def bound_json(value: Any, *, max_string: int = MAX_STRING_CHARS, max_array: int | None = None,
               text_length: int | None = None) -> Any:
    """`value` (as json.loads returned it) with every string, object key included, cut to
    `max_string` characters and, when `max_array` is given, every array cut to its first
    `max_array` elements. Containers are changed in place; walked without recursion, so any
    depth json.loads accepted is fine.

    `text_length`: the bytes of the JSON text `value` was read from. A string read from JSON has
    at most as many characters as its text has bytes, so a text no longer than `max_string` holds
    nothing to cut, and is not walked (a single-event envelope's, the usual case)."""
    if max_array is None and text_length is not None and text_length <= max_string:
        return value
    if isinstance(value, str):
        return value[:max_string]
    pending = [value]
    while pending:
        container = pending.pop()
        if isinstance(container, dict):
            if any(len(key) > max_string for key in container):
                items = list(container.items())
                container.clear()
                container.update((key[:max_string], item) for key, item in items)
            for key, item in container.items():
                if isinstance(item, str):
                    if len(item) > max_string:
                        container[key] = item[:max_string]
                elif isinstance(item, (dict, list)):
                    pending.append(item)
        elif isinstance(container, list):
            if max_array is not None and len(container) > max_array:
                del container[max_array:]
            for index, item in enumerate(container):
                if isinstance(item, str):
                    if len(item) > max_string:
                        container[index] = item[:max_string]
                elif isinstance(item, (dict, list)):
                    pending.append(item)
    return value
