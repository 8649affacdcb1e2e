"""Lenient reading of event timestamps: RFC 3339 strings (Python SDK) or Unix seconds (browser SDK)."""

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_RFC3339 = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt ]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?"
)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime, or None when `value` is not a usable timestamp.

    Never raises: the caller falls back to the time the event was received.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_unix_seconds(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            return _from_unix_seconds(float(text))
        return _from_rfc3339(text)
    return None


def _from_unix_seconds(seconds: float) -> datetime | None:
    if not math.isfinite(seconds):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_rfc3339(text: str) -> datetime | None:
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    # Python keeps microseconds; SDKs in other languages may send nanoseconds.
    microseconds = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    try:
        parsed = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            microseconds,
            tzinfo=_offset(match["offset"]),
        )
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _offset(text: str | None) -> timezone:
    # A missing offset is read as UTC, as Sentry does for naive timestamps.
    if text is None or text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
