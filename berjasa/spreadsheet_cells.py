"""What one cell of an export holds (:mod:`berjasa.spreadsheet`): the column kinds,
text that never becomes a formula (:func:`safe_text`), phones in the national form,
numbers as numbers, and a row turned into its cells (:func:`row_converter`), the same
for the CSV and the XLSX writer."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from berjasa.identity.phones import national_form

# A row dict holding this key (true) is a summary (a subtotal, a total): bold in XLSX.
EMPHASIS = "_emphasis"
TEXT, ID, PHONE, NUMBER = "text", "id", "phone", "number"
KINDS = (TEXT, ID, PHONE, NUMBER)
# First characters a spreadsheet may read as the start of a formula (and the
# full-width forms some Excel versions fold into them).
DANGEROUS_FIRST = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# A value starting with one of these needs the full check (dangerous, or spaces
# that may hide a dangerous character).
_CHECK_FIRST = DANGEROUS_FIRST | frozenset(" \u00a0\u3000")
MAX_CELL = 32_767
_CONTROLS = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029]")
_NON_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
# Direction overrides and isolates reorder what a cell shows (a name read backwards,
# "gnp.exe" for "exe.png"): written as their code, as the pages show them.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Column:
    """One column of an export: the row key, the header shown, and its kind.

    ``text`` free text; ``id`` an identifier written as text (NIK, KK, KPJ, codes,
    RT/RW); ``phone`` text in the national 08... form; ``number`` an integer or
    decimal written as a number (anything else in it is written as safe text)."""

    key: str
    header: str
    kind: str = TEXT
    decimals: int = 0  # a number column's decimals in XLSX (thousands grouped: 1.234.567)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.key}")

    @property
    def number_format(self) -> str:
        """The XLSX number format of a number column: grouped thousands, as Excel
        shows them in the reader's own separators (1.234.567 in Indonesian)."""
        return "#,##0" + ("." + "0" * self.decimals if self.decimals else "")


def safe_text(value: Any) -> str:
    """``value`` as text a spreadsheet shows as typed and never evaluates."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and text[:1] not in _CHECK_FIRST and len(text) <= MAX_CELL:
        return text  # the common case: nothing to neutralise (no control, no surrogate)
    text = _NON_XML.sub("\ufffd", _CONTROLS.sub(" ", text))
    text = _BIDI.sub(lambda match: f"[U+{ord(match.group()):04X}]", text)
    stripped = text.lstrip(" \u00a0\u3000")
    if stripped[:1] in DANGEROUS_FIRST or text[:1] in DANGEROUS_FIRST:
        text = "'" + text
    return text[:MAX_CELL]


def national_phone(value: Any) -> str:
    """A phone number in the national 08... form ("+628123..." -> "08123...");
    anything else as safe text."""
    if value is None:
        return ""
    return safe_text(national_form(str(value).strip()))


def cell_value(value: Any, kind: str) -> Any:
    """The value to write for a cell of ``kind``: a str (possibly empty), an int,
    or a Decimal/float for number columns."""
    if kind == NUMBER:
        if type(value) is int:
            return value
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return safe_text("Ya" if value else "Tidak")
        if isinstance(value, int):
            return value
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else value
        if isinstance(value, float):
            return value
        return safe_text(value)
    if kind == PHONE:
        return national_phone(value)
    return safe_text(value)


def _number(value: Any) -> Any:
    return value if type(value) is int else cell_value(value, NUMBER)


_CONVERTERS = {TEXT: safe_text, ID: safe_text, PHONE: national_phone, NUMBER: _number}


def row_converter(columns: Sequence[Column]) -> Any:
    """A function turning one row (a dict by column key, or a sequence in column
    order) into the list of cell values."""
    pairs = [(_CONVERTERS[c.kind], c.key) for c in columns]
    converters = [p[0] for p in pairs]

    def convert(row: Mapping[str, Any] | Sequence[Any]) -> list[Any]:
        if isinstance(row, Mapping):
            get = row.get
            return [conv(get(key)) for conv, key in pairs]
        if len(row) != len(converters):
            raise ValueError(f"row has {len(row)} values for {len(converters)} columns")
        return [conv(value) for conv, value in zip(converters, row)]

    return convert
