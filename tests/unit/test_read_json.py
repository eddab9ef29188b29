"""unit: berjasa.web.bodies.read_json — the body as json.loads(text,
parse_constant=refuse) reads it after one leading UTF-8 BOM (Windows tools write
one), and a 400 ``malformed_json`` wherever that raises (a second BOM, NaN/Infinity,
too deep, bad UTF-8, trailing data), for any body."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa.problems import MalformedJson
from berjasa.web.bodies import read_json
from tests.helpers import examples

APP = Flask("bodies")


def refuse(name):
    raise ValueError(name)


def reference(body: bytes):
    """json.loads after one leading BOM (utf-8-sig drops it)."""
    try:
        return json.loads(body.decode("utf-8-sig"), parse_constant=refuse)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return MalformedJson


def read(body: bytes):
    with APP.test_request_context("/", method="POST", data=body,
                                  content_type="application/json"):
        try:
            return read_json(10 ** 7)
        except MalformedJson:
            return MalformedJson


BODIES = [b'{"a": 1}', b"\xef\xbb\xbf{}", '\ufeff{"a": 1}'.encode(), b"\xef\xbb\xbf" * 2 + b"{}",
          b" \xef\xbb\xbf{}", b"{\"a\": NaN}",
          b"[Infinity]", b"-Infinity", b"{} x", b"\xff\xfe{}", b"[" * 100_000, b"",
          b' {"k": "\\ud800", "k": [1e400, -0.0, 123456789012345678901234567890]} ',
          b'"\xc3\xa9"', b"\t\n[]\r "]


@pytest.mark.parametrize("body", BODIES)
def test_every_body_reads_as_json_loads_read_it(body):
    assert read(body) == reference(body)


@pytest.mark.parametrize(("body", "read_as"), [
    (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),       # Notepad's "UTF-8 with BOM"
    (b"\xef\xbb\xbf[]", []),
    (b"\xef\xbb\xbf\xef\xbb\xbf{}", MalformedJson),  # only one BOM is a BOM
    (b" \xef\xbb\xbf{}", MalformedJson),          # and only at the start
])
def test_one_leading_bom_is_skipped(body, read_as):
    assert read(body) == read_as


@settings(max_examples=examples(200), deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=10),
       st.sampled_from(["", " ", "\ufeff", "x"]), st.sampled_from(["", "\n", "]"]))
def test_any_value_reads_as_json_loads_read_it(value, before, after):
    body = (before + json.dumps(value) + after).encode("utf-8", "surrogatepass")
    assert read(body) == reference(body)  # NaN and Infinity never read: no NaN to compare
