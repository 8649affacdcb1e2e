"""parse_timestamp: RFC 3339 strings and Unix seconds become aware UTC datetimes; garbage becomes None."""

import math
from datetime import UTC, datetime

import pytest

from workers.web.timestamps import parse_timestamp


def test_python_sdk_rfc3339_string_with_z():
    assert parse_timestamp("2026-11-28T13:57:14.594176Z") == datetime(2026, 11, 28, 13, 57, 14, 594176, UTC)


def test_browser_sdk_float_unix_seconds():
    assert parse_timestamp(1795874289.98) == datetime(2026, 11, 28, 13, 58, 9, 980000, UTC)


@pytest.mark.parametrize("value", [1795874289, "1795874289", " 1795874289.0 ", "1.795874289e9"])
def test_integer_and_numeric_string_seconds(value):
    assert parse_timestamp(value) == datetime(2026, 11, 28, 13, 58, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-28T13:57:14Z",
        "2026-11-28T13:57:14z",
        "2026-11-28t13:57:14Z",
        "2026-11-28 13:57:14Z",
        "2026-11-28T13:57:14+00:00",
        "2026-11-28T15:57:14+02:00",
        "2026-11-28T08:27:14-0530",
        "2026-11-28T13:57:14",  # no offset: read as UTC, as Sentry does
    ],
)
def test_rfc3339_offsets_are_converted_to_utc(value):
    assert parse_timestamp(value) == datetime(2026, 11, 28, 13, 57, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fraction", "microseconds"), [("5", 500000), ("594", 594000), ("594176", 594176), ("594176123", 594176)]
)
def test_fractions_of_any_precision_keep_microseconds(fraction, microseconds):
    parsed = parse_timestamp(f"2026-11-28T13:57:14.{fraction}Z")
    assert parsed == datetime(2026, 11, 28, 13, 57, 14, microseconds, UTC)


@pytest.mark.parametrize("value", ["2026-11-28T13:57:14.594176Z", 1795874289.98, "2026-11-28T15:57:14+02:00"])
def test_result_is_aware_and_in_utc(value):
    assert parse_timestamp(value).utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "",
        "yesterday",
        "2026-11-28",
        "2026-13-01T00:00:00Z",
        "2026-11-28T25:00:00Z",
        "2026-11-28T13:57:14+24:00",
        "nan",
        "inf",
        "1_000",
        math.nan,
        math.inf,
        1e20,
        -1e20,
        [1795874289],
        {"seconds": 1795874289},
    ],
)
def test_unusable_values_give_none_instead_of_raising(value):
    assert parse_timestamp(value) is None
