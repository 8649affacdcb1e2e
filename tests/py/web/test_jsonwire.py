"""The JSON text pgwarden web hands to PostgreSQL."""

import json

import pytest

from workers.web import jsonwire


def test_characters_are_written_as_they_are_so_the_database_has_no_escape_to_look_at():
    assert jsonwire.dumps({"m": "café 😀"}) == '{"m": "café 😀"}'


def test_a_lone_surrogate_is_written_as_an_escape_for_the_database_to_replace():
    text = jsonwire.dumps({"m": json.loads('"half \\ud83d"'), "e": "😀"})
    assert text == '{"m": "half \\ud83d", "e": "\\ud83d\\ude00"}'
    assert text.encode()  # (UTF-8 can carry it now)


def test_nan_and_infinity_are_refused_by_dumps():
    with pytest.raises(ValueError):
        jsonwire.dumps({"x": float("nan")})


def test_non_finite_numbers_are_counted_per_value_and_become_strings_at_any_depth():
    values = [{"a": 1.5}, {"a": [float("nan"), {"b": float("-inf")}]}, float("inf")]
    text, counts = jsonwire.dumps_counting(values)
    assert counts == [0, 2, 1]
    assert json.loads(text) == [{"a": 1.5}, {"a": ["NaN", {"b": "-Infinity"}]}, "Infinity"]


def test_clean_values_are_not_walked():
    assert jsonwire.dumps_counting([{"a": 1}]) == ('[{"a": 1}]', None)


def test_deep_values_are_walked_without_recursion():
    deep = current = []
    for _ in range(5000):
        current.append([])
        current = current[0]
    current.append(float("nan"))
    assert jsonwire.replace_non_finite(deep) == 1
