"""Columnar encoding of a list of records for the sync wire format.

A batch travels as one JSON array per field instead of one object per record:
similar values sit next to each other, field names appear once, and each column
picks the smallest lossless form it fits. Every codec is exact: a column that
does not round-trip a codec falls back to the raw list, so decode(encode(x)) == x
for any JSON values. The tagged forms (first element of the column list):

- ``["r", values]``            raw JSON values (the fallback)
- ``["e", distinct, indexes]`` low-cardinality values (sex, RT, occupation, ...)
- ``["u", "hex..."]``          canonical lowercase UUIDs, dashes dropped, concatenated
- ``["d", days]``              ``YYYY-MM-DD`` dates as days since 1970-01-01 (null kept)
- ``["t", timespec, tz, deltas]`` ISO-8601 timestamps of one shape, as the first
  value and then differences, in the column's unit (s, ms or µs)
- ``["o", keys, nulls, columns]`` objects that share one key set (consent,
  location): one sub-column per key over the non-null rows; ``nulls`` is the
  list of null row positions
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UNITS = {"seconds": 1_000_000, "milliseconds": 1_000, "microseconds": 1}


class ColumnError(ValueError):
    """A column list does not have a shape this module wrote."""


def encode_columns(records: list[dict[str, Any]], fields: tuple[str, ...]) -> list[list]:
    """One encoded column per field, in ``fields`` order."""
    return [encode_column([record[name] for record in records]) for name in fields]


def decode_columns(columns: list, fields: tuple[str, ...], count: int) -> list[dict[str, Any]]:
    """The records back from :func:`encode_columns`."""
    if not isinstance(columns, list) or len(columns) != len(fields):
        raise ColumnError("wrong number of columns")
    values = [decode_column(column, count) for column in columns]
    return [dict(zip(fields, row)) for row in zip(*values)] if count else []


def encode_column(values: list) -> list:
    """The smallest exact tagged form of one column."""
    for codec in (_encode_uuids, _encode_enum, _encode_dates, _encode_timestamps, _encode_objects):
        encoded = codec(values)
        if encoded is not None:
            return encoded
    return ["r", values]


def decode_column(column: Any, count: int) -> list:
    """The values of one tagged column; ``count`` is the expected length."""
    if not isinstance(column, list) or not column or not isinstance(column[0], str):
        raise ColumnError("a column must be a tagged list")
    decoder = _DECODERS.get(column[0])
    if decoder is None:
        raise ColumnError(f"unknown column tag {column[0]!r}")
    try:
        values = decoder(column)
    except (TypeError, ValueError, IndexError, KeyError, OverflowError) as exc:
        raise ColumnError(f"bad {column[0]!r} column: {exc}") from exc
    if len(values) != count:
        raise ColumnError("column length differs from the record count")
    return values


def _encode_enum(values: list) -> list | None:
    """Distinct scalars once, then an index per row; only when values repeat."""
    if len(values) < 2 or not all(_is_scalar(v) for v in values):
        return None
    distinct: dict[tuple, int] = {}
    indexes = []
    for value in values:
        # type in the key: True, 1 and 1.0 are equal dict keys but not equal JSON
        key = (type(value).__name__, value)
        indexes.append(distinct.setdefault(key, len(distinct)))
    if len(distinct) * 2 > len(values):
        return None
    return ["e", [value for _, value in distinct], indexes]


def _decode_enum(column: list) -> list:
    _, distinct, indexes = column
    if any(not isinstance(i, int) or isinstance(i, bool) or i < 0 for i in indexes):
        raise ValueError("bad index")
    return [distinct[i] for i in indexes]


def _encode_uuids(values: list) -> list | None:
    if not values or not all(isinstance(v, str) and _UUID.match(v) for v in values):
        return None
    return ["u", "".join(v.replace("-", "") for v in values)]


def _decode_uuids(column: list) -> list:
    _, text = column
    if not isinstance(text, str) or len(text) % 32 or not re.fullmatch(r"[0-9a-f]*", text):
        raise ValueError("bad uuid text")
    out = []
    for start in range(0, len(text), 32):
        h = text[start:start + 32]
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _encode_dates(values: list) -> list | None:
    days = []
    for value in values:
        if value is None:
            days.append(None)
            continue
        if not isinstance(value, str) or not _DATE.match(value):
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            return None
        days.append(parsed.toordinal() - _EPOCH_ORDINAL)
    if all(d is None for d in days):
        return None
    return ["d", days]


def _decode_dates(column: list) -> list:
    _, days = column
    return [None if d is None else date.fromordinal(_int(d) + _EPOCH_ORDINAL).isoformat()
            for d in days]


def _timestamp_shape(value: str) -> tuple[str, str, int] | None:
    """(timespec, zone suffix, units since epoch) when ``value`` is re-creatable."""
    if not isinstance(value, str) or len(value) < 19 or value[10] != "T":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    suffix = ""
    if parsed.tzinfo is not None:
        suffix = "Z" if value.endswith("Z") else value[-6:]
    for timespec, unit in _UNITS.items():
        if _format_timestamp(parsed, timespec, suffix) == value:
            stamp = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
            micros = (stamp - _EPOCH) // timedelta(microseconds=1)
            if micros % unit == 0:
                return timespec, suffix, micros // unit
    return None


def _format_timestamp(moment: datetime, timespec: str, suffix: str) -> str:
    text = moment.isoformat(timespec=timespec)
    if suffix == "Z" and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def _encode_timestamps(values: list) -> list | None:
    shape = None
    deltas: list[int | None] = []
    previous = 0
    for value in values:
        if value is None:
            deltas.append(None)
            continue
        found = _timestamp_shape(value)
        if found is None or (shape is not None and found[:2] != shape):
            return None
        shape = found[:2]
        deltas.append(found[2] - previous)
        previous = found[2]
    if shape is None:
        return None
    column = ["t", shape[0], shape[1], deltas]
    try:  # instants near year 1 or 9999 may not survive the zone shift
        return column if _decode_timestamps(column) == values else None
    except (OverflowError, ValueError):
        return None


def _decode_timestamps(column: list) -> list:
    _, timespec, suffix, deltas = column
    unit = _UNITS[timespec]
    if suffix == "":
        zone = None
    elif suffix == "Z":
        zone = timezone.utc
    else:
        sign = -1 if suffix[0] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(suffix[1:3]), minutes=int(suffix[4:6])))
    out: list[str | None] = []
    current = 0
    for delta in deltas:
        if delta is None:
            out.append(None)
            continue
        current += _int(delta)
        moment = _EPOCH + timedelta(microseconds=current * unit)
        moment = moment.astimezone(zone) if zone else moment.replace(tzinfo=None)
        out.append(_format_timestamp(moment, timespec, suffix))
    return out


def _encode_objects(values: list) -> list | None:
    present = [v for v in values if v is not None]
    if not present or not all(isinstance(v, dict) for v in present):
        return None
    keys = sorted(present[0])
    if not keys or any(sorted(v) != keys for v in present):
        return None
    nulls = [i for i, v in enumerate(values) if v is None]
    return ["o", keys, nulls, [encode_column([v[k] for v in present]) for k in keys]]


def _decode_objects(column: list) -> list:
    _, keys, nulls, columns = column
    if len(keys) != len(columns) or len(set(keys)) != len(keys):
        raise ValueError("keys and columns differ")
    null_set = {_int(i) for i in nulls}
    sub = [decode_column(c, _column_length(c)) for c in columns]
    count = len(sub[0])
    if any(len(s) != count for s in sub):
        raise ValueError("sub-columns differ in length")
    objects = iter([dict(zip(keys, row)) for row in zip(*sub)])
    total = count + len(null_set)
    if null_set and max(null_set) >= total:
        raise ValueError("null position out of range")
    return [None if i in null_set else next(objects) for i in range(total)]


def _column_length(column: list) -> int:
    """The number of values a tagged column holds (for nested object columns)."""
    tag = column[0] if isinstance(column, list) and column else None
    if tag in ("r", "d"):
        return len(column[1])
    if tag == "e":
        return len(column[2])
    if tag == "u":
        return len(column[1]) // 32
    if tag == "t":
        return len(column[3])
    if tag == "o":
        return _column_length(column[3][0]) + len(column[2])
    raise ValueError("unknown column")


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ColumnError("expected an integer")
    return value


def _is_scalar(value: Any) -> bool:
    # floats stay raw: 0.0 and -0.0 are equal keys but different JSON
    return value is None or isinstance(value, (str, int, bool))


_DECODERS = {
    "r": lambda c: list(c[1]) if isinstance(c[1], list) and len(c) == 2 else _bad(),
    "e": _decode_enum,
    "u": _decode_uuids,
    "d": _decode_dates,
    "t": _decode_timestamps,
    "o": _decode_objects,
}


def _bad() -> list:
    raise ValueError("bad raw column")
