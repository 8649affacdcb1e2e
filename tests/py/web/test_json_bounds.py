"""bound_json: what a parsed body may cost the database, applied before it is sent."""

import json

from workers.web.json_bounds import MAX_STRING_CHARS, bound_json


def test_every_string_is_cut_to_the_limit_at_any_depth_and_keys_too():
    long = "x" * (MAX_STRING_CHARS + 10)
    value = {"a": long, "b": [long, {"c": long}], long: 1, "n": 5, "ok": "short"}

    bounded = bound_json(value)

    assert bounded["a"] == long[:MAX_STRING_CHARS]
    assert bounded["b"][0] == long[:MAX_STRING_CHARS] and bounded["b"][1]["c"] == long[:MAX_STRING_CHARS]
    assert bounded[long[:MAX_STRING_CHARS]] == 1
    assert bounded["n"] == 5 and bounded["ok"] == "short"


def test_a_bare_string_is_cut_too():
    assert bound_json("y" * 10, max_string=4) == "yyyy"


def test_arrays_are_cut_to_their_first_elements_only_when_asked():
    assert bound_json({"logs": list(range(10))}) == {"logs": list(range(10))}
    assert bound_json({"logs": list(range(10))}, max_array=3) == {"logs": [0, 1, 2]}


def test_any_nesting_json_accepts_is_walked_without_recursion():
    deep = json.loads("[" * 900 + '"' + "z" * 10 + '"' + "]" * 900)
    bounded = bound_json(deep, max_string=2)
    for _ in range(900):
        bounded = bounded[0]
    assert bounded == "zz"


def test_the_text_length_shortcut_gives_what_the_walk_gives():
    # a string read from JSON has at most as many characters as its text has bytes (escapes and
    # multi-byte UTF-8 only make the text longer), so a text within the limit holds nothing to cut
    limit = 16
    texts = ['{"k": "aaaaa"}',                             # within the limit
             '["' + "é" * 6 + '"]',                        # exactly at it, in two-byte characters
             '["\\u00e9\\u00e9"]',                         # exactly at it, in escapes
             '{"k": "' + "b" * 20 + '", "' + "c" * 30 + '": ["' + "d" * 17 + '"]}']  # past it: cut
    assert [len(text.encode()) <= limit for text in texts] == [True, True, True, False]
    for text in texts:
        raw = text.encode()
        shortcut = bound_json(json.loads(raw), max_string=limit, text_length=len(raw))
        assert shortcut == bound_json(json.loads(raw), max_string=limit), text
    cut = bound_json(json.loads(texts[-1]), max_string=limit, text_length=len(texts[-1].encode()))
    assert cut == {"k": "b" * limit, "c" * limit: ["d" * limit]}
