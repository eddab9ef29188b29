"""The JSON texts that are hashed or stored, written fast and always the same.

:func:`canonical_bytes` / :func:`canonical_text` are exactly
``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
(UTF-8 encoded for the bytes): the text under the audit chain's entry hashes,
the intake replay hash and the audit value tags, so it must never change. orjson
writes the very same text several times faster for values made of dicts with
text keys, lists, text, booleans, None, 64-bit integers and floats that the
standard library writes without an exponent (0 and 1e-4 <= |x| < 1e16; both
give the shortest round-trip digits there). Anything else (1e-05, 1e+16, NaN,
big integers, other types, text orjson refuses such as lone surrogates) goes
through the standard library, as before. tests/unit/test_canonical.py holds the
two to the same output over arbitrary values.

:func:`compact_text` is the same with the keys in their own order: the text of the
JSON answers (Flask's compact ``json.dumps(value, ensure_ascii=False,
separators=(",", ":"))``) that :class:`berjasa.web.json_answers.FastJSONProvider`
writes through :func:`orjson_compact_text`.

:func:`stored_json` is ``json.dumps(value, ensure_ascii=False, sort_keys=True)``,
the text of the JSON columns, with its encoder built once instead of per call.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
stored_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
# Written alike by both, or refused by orjson (an integer beyond i64/u64: then the
# standard library writes it, as it writes any value orjson refuses).
_PLAIN = frozenset({str, bool, type(None), int})


def canonical_text(value: Any) -> str:
    """Compact, key-sorted JSON of ``value``, non-ASCII as is."""
    if written_alike(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            pass
    return _CANONICAL(value)


def canonical_bytes(value: Any) -> bytes:
    """:func:`canonical_text` as UTF-8."""
    if written_alike(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return _CANONICAL(value).encode("utf-8")


def compact_text(value: Any) -> str:
    """Compact JSON of ``value``, keys in their order, non-ASCII as is."""
    text = orjson_compact_text(value)
    return _COMPACT(value) if text is None else text


def orjson_compact_text(value: Any) -> str | None:
    """:func:`compact_text` when orjson writes it, else None (the caller writes it
    with the standard library, as it would have)."""
    if written_alike(value):
        try:
            return orjson.dumps(value).decode()
        except orjson.JSONEncodeError:
            pass
    return None


def parse_json(text: str) -> Any:
    """``json.loads(text)``: the same values, read by orjson when it reads them
    alike (a fifth of the cost for a stored JSON column), else by the standard
    library (:func:`orjson_read`)."""
    value = orjson_read(text)
    return json.loads(text) if value is UNREAD else value


UNREAD = object()  # orjson_read's answer for a text it does not read as json.loads does


def orjson_read(data: str | bytes) -> Any:
    """What ``json.loads`` reads from ``data`` (UTF-8 when bytes), read by orjson,
    or :data:`UNREAD` where the two might differ or orjson refuses it. orjson reads
    an integer beyond 64 bits as a float where the standard library keeps it an
    integer, so a result holding a float of 1e18 or more, or nested deeper than
    :data:`_DEEPEST` (where the standard library's recursion limit may refuse
    it), is UNREAD; anything else orjson reads as it does (floats correctly
    rounded too) or refuses (NaN, Infinity, 1e400, lone surrogates, bad UTF-8:
    UNREAD, for the standard library to read or refuse as it always did)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNREAD
    kind = type(value)
    if kind is dict or kind is list:
        return value if _read_alike(value, 0) else UNREAD
    return value if kind is not float or abs(value) < 1e18 else UNREAD


_DEEPEST = 32  # levels of nesting; the JSON columns hold two or three
_READ_PLAIN = frozenset({str, bool, type(None), int})  # never read otherwise by orjson


def _read_alike(value: dict | list, depth: int) -> bool:
    """No float in the container ``value`` that may be an integer orjson read as
    a float, and no nesting deeper than :data:`_DEEPEST`."""
    if depth >= _DEEPEST:
        return False
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if kind in _READ_PLAIN:
            continue
        if kind is float:  # orjson reads no NaN
            if abs(item) < 1e18:
                continue
            return False
        if not _read_alike(item, depth + 1):  # a dict or a list
            return False
    return True


def written_alike(value: Any) -> bool:
    """Whether orjson writes ``value`` as the standard library does or refuses it
    (the callers then write it with the standard library). It refuses what the
    walk need not look at: a key that is not text, an integer beyond 64 bits. What
    it would write otherwise is a float the standard library writes with an
    exponent, NaN or an infinity, and any type but these (dates, UUIDs, enums,
    subclasses...). Only the values are walked, and their types looked up once."""
    kind = type(value)
    if kind is dict:
        return _items_alike(value.values())
    if kind is list or kind is tuple:
        return _items_alike(value)
    if kind is float:
        return value == 0.0 or 1e-4 <= abs(value) < 1e16  # False for NaN and infinities
    return kind in _PLAIN


def _items_alike(items: Any) -> bool:
    """:func:`written_alike` of every item, the common kinds looked at inline."""
    for item in items:
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind is float:
            if item == 0.0 or 1e-4 <= abs(item) < 1e16:
                continue
            return False
        if kind is dict:
            if not _items_alike(item.values()):
                return False
        elif kind is list or kind is tuple:
            if not _items_alike(item):
                return False
        else:
            return False
    return True
