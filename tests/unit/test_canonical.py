"""unit: berjasa.canonical — the hashed JSON text is exactly the standard library's
compact, key-sorted, non-ASCII-as-is text for any value (orjson is only a faster
way to write the same bytes), and the stored text is json.dumps' own."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa.canonical import (
    canonical_bytes,
    canonical_text,
    compact_text,
    parse_json,
    stored_json,
)
from tests.helpers import examples

EDGE_NUMBERS = [0.0, -0.0, 1e-4, 9.99e-5, 1e-05, 2.5e-05, 1e16, 9999999999999998.0, 1e15,
                123456789012345678.0, 5e-324, 1.7976931348623157e308, math.nan, math.inf,
                -math.inf, 2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64, -(2 ** 63),
                -(2 ** 63) - 1, 10 ** 30, True, False]
EDGE_TEXTS = ["", "\x00\x01\x1f\x7f", "\u2028\u2029", "\ud800", "a\udfffb", "é ñ 😀 \ufeff",
              '"\\/\b\f\n\r\t', "\u00a0\u2007\u202f"]

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
           | st.sampled_from(EDGE_NUMBERS) | st.sampled_from(EDGE_TEXTS))
values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(st.text(max_size=6) | st.sampled_from(EDGE_TEXTS), inner,
                                     max_size=4)),
    max_leaves=12)


def standard(value):
    """What the code hashed before: the standard library's canonical text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def outcome(write, value):
    """The output, or the kind of error (the same error must come from both)."""
    try:
        return write(value)
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return type(exc)


@settings(max_examples=examples(300), deadline=None)
@given(values)
def test_text_is_the_standard_librarys(value):
    assert outcome(canonical_text, value) == outcome(standard, value)


@settings(max_examples=examples(300), deadline=None)
@given(values)
def test_bytes_are_the_standard_text_in_utf8(value):
    assert outcome(canonical_bytes, value) == outcome(lambda v: standard(v).encode("utf-8"), value)


@pytest.mark.parametrize("value", [*EDGE_NUMBERS, *EDGE_TEXTS])
def test_edge_values_alone_and_inside_records(value):
    record = {"lat": value, "nested": [value, {"z": value, "a": 1}], "é": value}
    for item in (value, record):
        assert outcome(canonical_text, item) == outcome(standard, item)


def test_keys_sorted_by_code_point_and_other_key_types_as_before():
    record = {"b": 1, "a": 2, "é": 3, "Z": 4, "😀": 5, "\u00ff": 6}
    assert canonical_text(record) == standard(record)
    assert canonical_text({2: "x", 1: "y"}) == standard({2: "x", 1: "y"})
    assert outcome(canonical_text, {1: "x", "a": "y"}) == outcome(standard, {1: "x", "a": "y"})


@settings(max_examples=examples(200), deadline=None)
@given(values)
def test_stored_text_is_json_dumps(value):
    assert outcome(stored_json, value) == outcome(
        lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True), value)


def compact_standard(value):
    """Flask's compact answer text (keys in their order)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=examples(300), deadline=None)
@given(values)
def test_compact_text_is_the_standard_librarys(value):
    assert outcome(compact_text, value) == outcome(compact_standard, value)


def test_compact_text_keeps_key_order():
    record = {"b": 1, "a": [2, {"z": 1, "é": None}], "😀": 5.5}
    assert compact_text(record) == compact_standard(record) == \
        '{"b":1,"a":[2,{"z":1,"é":null}],"😀":5.5}'


def read(parse, text):
    """What a parser gives, with its types (1 and 1.0, NaN), or the kind of error."""
    try:
        return repr(parse(text))
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return type(exc)


@settings(max_examples=examples(300), deadline=None)
@given(values)
def test_parsed_as_the_standard_library_parses_what_is_stored(value):
    """parse_json reads the JSON columns' text (canonical or json.dumps', NaN and
    integers beyond 64 bits included) exactly as json.loads."""
    for write in (canonical_text, stored_json):
        text = outcome(write, value)
        if isinstance(text, str):
            assert read(parse_json, text) == read(json.loads, text)


@pytest.mark.parametrize("text", [
    "18446744073709551616", "-9223372036854775809", "[18446744073709551615]",
    "9223372036854775807", "123456789012345678901234567890", "1e400", "-1e400", "1e-400",
    "NaN", "[Infinity]", "-0.0", "-0", "1E5", '{"a":1,"a":2}', '"\\ud800"', '"\\ud83d\\ude00"',
    '{"lat":-5.1352347,"lon":119.4238,"accuracy_m":1e-05}', "1.7976931348623157e308",
    "1e18", "999999999999999999", "[]", "{}", " 1", "1 ", "", "[1,]", "\ufeff1"])
def test_parsed_as_the_standard_library_parses_edge_texts(text):
    assert read(parse_json, text) == read(json.loads, text)


@pytest.mark.parametrize("depth", [31, 32, 33, 40, 990, 1000, 1100])
def test_parsed_as_the_standard_library_parses_deep_texts(depth):
    """Deep nesting is left to json.loads (its recursion limit decides, not orjson's)."""
    for text in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        assert read(parse_json, text) == read(json.loads, text)
