"""The agent reads central's JSON answers plain or compressed (sync.transport.json_body):
what central packed comes back unchanged, anything else is refused or read whole, never misread."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.protocol import compress
from sync.protocol_errors import ProtocolError
from sync.transport import json_body
from tests.helpers import examples

PROPERTY = settings(max_examples=examples(200), deadline=None)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=30)
PAGES = st.fixed_dictionaries({"updates": st.lists(st.dictionaries(st.text(max_size=8), JSON,
                                                                  max_size=4), max_size=8),
                               "cursor": st.integers(0, 2**62).map(str), "more": st.booleans()})


@PROPERTY
@given(PAGES, st.sampled_from(["zstd", "gzip", None]))
def test_a_page_reads_back_the_same_plain_or_compressed(page, compression):
    body = json.dumps(page, ensure_ascii=False).encode("utf-8")
    if compression:
        body = compress(body, compression)
    assert json_body(body) == page


@PROPERTY
@given(PAGES, st.integers(1, 40))
def test_a_cut_short_compressed_page_is_refused_or_whole(page, cut):
    # zstd's reader ends quietly when only the frame's checksum is missing; then
    # every byte of the page is there. What it must never do is hand back a
    # different page (central's signature over the body is the real guard).
    body = compress(json.dumps(page).encode(), "zstd")
    try:
        read = json_body(body[:max(4, len(body) - cut)])
    except (ProtocolError, ValueError):
        return
    assert read == page


def test_a_body_that_is_neither_json_nor_compressed_is_refused():
    with pytest.raises(ProtocolError):
        json_body(b"<html>502 Bad Gateway</html>")
