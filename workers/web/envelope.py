"""Parsing of Sentry envelopes and of legacy /store/ bodies (develop.sentry.dev envelopes spec).

Grammar: Envelope = Headers { "\\n" Item } [ "\\n" ];  Item = Headers "\\n" Payload.
Only "\\n" separates; a "\\r" before it stays part of the payload (attachments keep their bytes).
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from workers.web.decoding import inflate_zlib_or_gzip
from workers.web.errors import BadPayload, PayloadTooLarge

KIB = 1024
MIB = 1024 * KIB

# Documented per-item limits (develop.sentry.dev envelopes, "Size Limits"); other types are
# bounded only by the whole-body limit applied while decoding.
DEFAULT_MAX_ITEM_SIZE: dict[str, int] = {
    "event": MIB,
    "transaction": MIB,
    "feedback": MIB,
    "user_report": MIB,
    "span": MIB,
    "log": MIB,
    "check_in": 100 * KIB,
    "client_report": 4 * KIB,
}

DEFAULT_STORE_BODY_LIMIT = MIB

# How many items an envelope may hold, checked while it is split, before any database work. SDKs
# send one event with a few attachments, a session or a client report; Relay takes 100 sessions per
# envelope. An envelope of 5,000 items used to cost 8-12 s of database time before its 400.
MAX_ITEMS = 100
# Items the envelope spec allows at most once per envelope (develop.sentry.dev, envelopes): one
# event per request also keeps a micro-batch of requests within app.capture_batch's 1000 events.
AT_MOST_ONCE = ("event", "transaction")


@dataclass(frozen=True)
class Item:
    type: str
    headers: dict[str, Any]
    payload: bytes

    def json(self) -> Any:
        """The payload parsed as JSON; BadPayload if it is not valid JSON."""
        return _loads(self.payload, f"{self.type} item payload")


@dataclass(frozen=True)
class Envelope:
    headers: dict[str, Any]
    items: list[Item]


def parse_envelope(data: bytes, *, max_item_size: dict[str, int] | None = None) -> Envelope:
    """Split an uncompressed envelope into its headers and items.

    `max_item_size` overrides DEFAULT_MAX_ITEM_SIZE per item type.
    """
    limits = {**DEFAULT_MAX_ITEM_SIZE, **(max_item_size or {})}
    header_line, position = _read_line(data, 0)
    if not header_line.strip():
        raise BadPayload("empty envelope")
    headers = _parse_headers(header_line, "envelope header", reject_duplicate_keys=True)
    items = []
    while position < len(data):
        header_line, position = _read_line(data, position)
        # Blank lines between items carry nothing; Relay's JSON reader skips them too.
        if not header_line.strip():
            continue
        if len(items) == MAX_ITEMS:
            raise PayloadTooLarge(f"envelope holds more than {MAX_ITEMS} items")
        item, position = _parse_item(data, header_line, position)
        _check_item_size(item, limits)
        if item.type in AT_MOST_ONCE and any(earlier.type == item.type for earlier in items):
            raise BadPayload(f"envelope holds more than one {item.type} item")
        items.append(item)
    return Envelope(headers=headers, items=items)


def parse_store_body(data: bytes, *, limit: int = DEFAULT_STORE_BODY_LIMIT) -> dict[str, Any]:
    """Parse a legacy /store/ body: raw JSON, base64(JSON) or base64(zlib(JSON)).

    Old raven/sentry-python clients may write NaN/Infinity; the json module accepts them.
    """
    stripped = data.strip()
    if not stripped:
        raise BadPayload("empty store body")
    if stripped.startswith(b"{"):
        return _parse_store_json(stripped, limit)
    try:
        decoded = base64.b64decode(b"".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadPayload("store body is neither JSON nor base64") from None
    if not decoded.lstrip().startswith(b"{"):
        decoded = inflate_zlib_or_gzip(decoded, limit)
    return _parse_store_json(decoded, limit)


def _parse_store_json(raw: bytes, limit: int) -> dict[str, Any]:
    if len(raw) > limit:
        raise PayloadTooLarge(f"store body exceeds {limit} bytes")
    return _expect_object(_loads(raw, "store body"), "store body")


def _read_line(data: bytes, start: int) -> tuple[bytes, int]:
    """The bytes from `start` up to the next newline (or EOF), and the offset after that newline."""
    end = data.find(b"\n", start)
    if end == -1:
        return data[start:], len(data)
    return data[start:end], end + 1


def _parse_item(data: bytes, header_line: bytes, payload_start: int) -> tuple[Item, int]:
    headers = _parse_headers(header_line, "item header")
    item_type = headers.get("type")
    if not isinstance(item_type, str) or not item_type:
        raise BadPayload("item header has no type")
    length = headers.get("length")
    if length is None:
        # No explicit length (the browser SDK never writes one): the payload is one line.
        payload, position = _read_line(data, payload_start)
        return Item(type=item_type, headers=headers, payload=payload), position
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise BadPayload(f"{item_type} item has an invalid length {length!r}")
    payload_end = payload_start + length
    if payload_end > len(data):
        raise BadPayload(f"envelope is truncated: {item_type} item declares {length} bytes")
    if payload_end < len(data) and data[payload_end : payload_end + 1] != b"\n":
        raise BadPayload(f"{item_type} item payload is not followed by a newline")
    payload = data[payload_start:payload_end]
    return Item(type=item_type, headers=headers, payload=payload), payload_end + 1


def _check_item_size(item: Item, limits: dict[str, int]) -> None:
    limit = limits.get(item.type)
    if limit is not None and len(item.payload) > limit:
        raise PayloadTooLarge(f"{item.type} item exceeds {limit} bytes")


def _parse_headers(line: bytes, what: str, *, reject_duplicate_keys: bool = False) -> dict[str, Any]:
    hook = _object_without_duplicate_keys if reject_duplicate_keys else None
    return _expect_object(_loads(line, what, object_pairs_hook=hook), what)


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The spec rejects e.g. a duplicate sent_at: which value wins would be arbitrary.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise BadPayload("envelope header has duplicate keys")
    return result


def _loads(raw: bytes, what: str, **options: Any) -> Any:
    try:
        return json.loads(raw, **options)
    # ValueError covers bad JSON and bad UTF-8; RecursionError a hostile nesting depth.
    except (ValueError, RecursionError):
        raise BadPayload(f"{what} is not valid JSON") from None


def _expect_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{what} must be a JSON object")
    return value
