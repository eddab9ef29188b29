"""Spreadsheet files that people open in Excel: CSV (UTF-8 with BOM) and XLSX.

Every export of the project (central's registration file, payment list, progress,
``all``; the kelurahan's audit export) writes through this module, so the rules
hold in one place:

- No cell is ever a formula. A text cell never begins with ``=``, ``+``, ``-``,
  ``@``, tab or carriage return (nor their full-width forms, nor after leading
  spaces): such a value gets a ``'`` in front, so it reads as the text typed.
- Control characters (C0, DEL, C1, line and paragraph separators) become spaces;
  lone surrogates and the XML non-characters U+FFFE/U+FFFF become U+FFFD. Text
  is cut at Excel's 32,767 characters.
- Identifier columns (NIK, KK, KPJ, codes, RT/RW) and phones are strings; in XLSX
  they are string cells formatted ``@`` so Excel never turns them into numbers.
  Phones are written in the national ``08...`` form (``+62812...`` would start
  with ``+``).
- Rows come from an iterator and are written as they come: CSV through the csv
  module, XLSX with openpyxl's write-only mode (inline strings, bounded memory).
- :func:`write_export` writes to a temporary file first and renames it into place
  only when complete (or copies it to a stream), so a failure half-way never
  leaves a file that looks complete; it returns the row count and the SHA-256 of
  the bytes written.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from berjasa.identity.phones import national_form
from berjasa.paths import replace_patiently

FORMATS = ("csv", "xlsx")
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
BOM = "\ufeff"
CHUNK = 1 << 16


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


@dataclass(frozen=True)
class Written:
    """What :func:`write_export` wrote."""

    rows: int
    sha256: str
    size: int
    content: bytes | None = None


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


def _row_converter(columns: Sequence[Column]) -> Any:
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


def write_csv(stream: IO[bytes], columns: Sequence[Column],
              rows: Iterable[Mapping[str, Any] | Sequence[Any]],
              title_lines: Sequence[str] = ()) -> int:
    """CSV, UTF-8 with a BOM, CRLF lines; title lines (one cell each) and an empty
    line above the header when given. The number of data rows written."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=False)
    try:
        text.write(BOM)
        writer = csv.writer(text, lineterminator="\r\n")
        for line in title_lines:
            writer.writerow([safe_text(line)])
        if title_lines:
            writer.writerow([])
        writer.writerow([safe_text(c.header) for c in columns])
        convert = _row_converter(columns)
        count = 0
        for row in rows:
            writer.writerow(convert(row))
            count += 1
        text.flush()
    finally:
        text.detach()
    return count


def write_xlsx(stream: IO[bytes], columns: Sequence[Column],
               rows: Iterable[Mapping[str, Any] | Sequence[Any]],
               title_lines: Sequence[str] = (), sheet_title: str = "Data") -> int:
    """XLSX with one sheet (openpyxl write-only: rows go to disk as they come).
    Text, id and phone cells are string cells formatted ``@``; no cell is a
    formula. The number of data rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(safe_text(sheet_title).lstrip("'")[:31] or "Data")
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    # the header stays in sight while scrolling (the title lines, if any, above it)
    sheet.freeze_panes = f"A{len(title_lines) + (2 if title_lines else 1) + 1}"

    def text_cell(value: str, bold: bool = False) -> Any:
        cell = WriteOnlyCell(sheet)
        cell.number_format = "@"
        if bold:
            cell.font = Font(bold=True)
        _set_text(cell, value)
        return cell

    for line in title_lines:
        sheet.append([text_cell(safe_text(line), bold=True)])
    if title_lines:
        sheet.append([])
    sheet.append([text_cell(safe_text(c.header), bold=True) for c in columns])

    # Data rows take the fastest path this openpyxl offers; every path writes the
    # same cells. (1) With lxml: each row's XML is built as escaped text and parsed
    # once (_lxml_row_writer). (2) Otherwise one prepared cell object per column and
    # type, refilled per row (openpyxl serialises a row as soon as it is appended),
    # values set directly instead of through openpyxl's type guessing, and a row
    # builder that only stamps the row number. (3) Without those private hooks
    # (another openpyxl version), the same cells through the public append.
    # per column: (text, plain, number) cells, and their bold twins for summary rows
    cells: dict[bool, tuple[list[Any], list[Any], list[Any]]] = {}
    for bold in (False, True):
        text_cells, plain_cells, number_cells = [], [], []
        for index, column in enumerate(columns, 1):
            styled = Cell(sheet, row=1, column=index)
            if column.kind != NUMBER:
                styled.number_format = "@"
            plain = Cell(sheet, row=1, column=index)
            numeric = Cell(sheet, row=1, column=index)
            if column.kind == NUMBER:
                numeric.number_format = column.number_format
            if bold:
                for cell in (styled, plain, numeric):
                    cell.font = Font(bold=True)
            text_cells.append(styled)
            plain_cells.append(plain)
            number_cells.append(numeric)
        cells[bold] = (text_cells, plain_cells, number_cells)
    fast = hasattr(sheet, "_values_to_row")
    kinds = [c.kind for c in columns]
    convert = _row_converter(columns)
    count = 0
    emphasis = [False]  # the row being written is a summary (read by the lxml writer)
    row_writer = _lxml_row_writer(sheet, columns, cells, emphasis) if fast else None
    try:
        if row_writer is not None:
            # Fastest: each row's XML built by lxml in one go (values are already safe
            # text or numbers), written through openpyxl's own stream.
            sheet._values_to_row = _as_is
            sheet._writer.write_row = row_writer
            for row in rows:
                emphasis[0] = isinstance(row, Mapping) and bool(row.get(EMPHASIS))
                sheet.append(convert(row))
                count += 1
            rows = ()
        elif fast:
            sheet._values_to_row = _stamp_row
        for row in rows:
            values = convert(row)
            text_cells, plain_cells, number_cells = cells[
                isinstance(row, Mapping) and bool(row.get(EMPHASIS))]
            out: list[Any] = []
            for index, value in enumerate(values):
                if isinstance(value, str):
                    cell = plain_cells[index] if kinds[index] == NUMBER else text_cells[index]
                    if fast:
                        cell._value, cell.data_type = (value or None), "s"
                    else:
                        _set_text(cell, value)
                else:
                    cell = number_cells[index]
                    if fast:
                        cell._value, cell.data_type = value, "n"
                    else:
                        cell.value = value
                out.append(cell)
            sheet.append(out)
            count += 1
    except BaseException:
        _discard(sheet)
        raise
    workbook.save(stream)
    return count


def _as_is(values: list[Any], row_idx: int) -> list[Any]:
    return values


def _width(column: Column) -> float:
    """A column's width in characters: an identifier's 16 digits, a name or an
    address readable, a number's grouped digits; the header always fits."""
    least = {ID: 19, PHONE: 15, NUMBER: 12}.get(column.kind, 18)
    return min(40, max(least, len(column.header) + 2))


def _lxml_row_writer(sheet: Any, columns: Sequence[Column],
                     cells: dict[bool, tuple[list[Any], list[Any], list[Any]]],
                     emphasis: list[bool]) -> Any:
    """A replacement for openpyxl's per-cell row writer, or None without lxml: the
    same XML (inline strings, style ``@`` on text columns, numbers as ``n``), one
    row's XML as text (values escaped here) parsed by lxml in one call and written
    to openpyxl's own stream: several times less work than one context manager (or
    element) per cell."""
    import openpyxl

    if not openpyxl.LXML or getattr(sheet, "_writer", None) is None \
            or not hasattr(sheet._writer, "write_row"):
        return None
    from lxml.etree import fromstring
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    # per row kind (summary or not): each column's text style and number style; a
    # summary's cells are all styled (bold), an ordinary row's only where a format is
    looks = {}
    for bold, (text_cells, plain_cells, number_cells) in cells.items():
        looks[bold] = (
            [f' s="{t.style_id}"' if c.kind != NUMBER else (f' s="{p.style_id}"' if bold else "")
             for t, p, c in zip(text_cells, plain_cells, columns)],
            [f' s="{n.style_id}"' if c.kind == NUMBER or bold else ""
             for n, c in zip(number_cells, columns)])

    def write_row(xf: Any, values: list[Any], row_idx: int) -> None:
        styles, number_styles = looks[emphasis[0]]
        number = str(row_idx)
        parts = [f'<row r="{number}">']
        for letter, style, number_style, value in zip(letters, styles, number_styles, values):
            if isinstance(value, str):
                if not value:
                    if style:
                        parts.append(f'<c r="{letter}{number}"{style}/>')
                    continue
                if "&" in value or "<" in value or ">" in value:
                    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                keep = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                parts.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{keep}>'
                             f'{value}</t></is></c>')
            else:
                parts.append(f'<c r="{letter}{number}"{number_style} t="n"><v>{value}</v></c>')
        parts.append("</row>")
        xf.write(fromstring("".join(parts)))

    return write_row


def _stamp_row(cells: list[Any], row_idx: int) -> Iterator[Any]:
    """The prepared cells of one row with their row number (see write_xlsx)."""
    for cell in cells:
        cell.row = row_idx
        yield cell


def _discard(sheet: Any) -> None:
    """Close an abandoned write-only sheet and remove openpyxl's temporary file
    (it holds the rows written so far: personal data must not stay behind)."""
    with contextlib.suppress(Exception):  # best effort while another error propagates
        sheet.close()
        sheet._writer.cleanup()  # openpyxl offers no public way


def _set_text(cell: Any, value: str) -> None:
    """A string cell, never a formula or an error value, whatever the text."""
    cell.value = value if value else None
    if value:
        cell.data_type = "s"


def write_export(fmt: str, columns: Sequence[Column],
                 rows: Iterable[Mapping[str, Any] | Sequence[Any]],
                 output: Path | IO[bytes] | None = None, *, title_lines: Sequence[str] = (),
                 sheet_title: str = "Data") -> Written:
    """Write a whole export, atomically, and hash it.

    ``output`` a path: written to a temporary file beside it and renamed into
    place when complete (any error removes the temporary file and leaves an
    existing file untouched). ``output`` a binary stream: the complete file is
    copied into it only after it was written in full. ``None``: the bytes are
    returned in :attr:`Written.content`. An exception raised by ``rows`` (a
    refusal found at the end, say) therefore never leaves a partial export."""
    if fmt not in FORMATS:
        raise ValueError(f"format tidak dikenal: {fmt} (pilih csv atau xlsx)")
    if isinstance(output, (str, Path)):
        path = Path(output)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                             dir=path.parent if str(path.parent) else ".")
        try:
            with os.fdopen(handle, "w+b") as stream:
                count = _write(fmt, stream, columns, rows, title_lines, sheet_title)
                stream.flush()
                os.fsync(stream.fileno())
                digest, size = _digest(stream)
            replace_patiently(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Written(count, digest, size)
    with tempfile.TemporaryFile() as stream:
        count = _write(fmt, stream, columns, rows, title_lines, sheet_title)
        digest, size = _digest(stream)
        stream.seek(0)
        if output is None:
            return Written(count, digest, size, stream.read())
        shutil.copyfileobj(stream, output, CHUNK)
        output.flush()
    return Written(count, digest, size)


def _write(fmt: str, stream: IO[bytes], columns: Sequence[Column], rows: Iterable[Any],
           title_lines: Sequence[str], sheet_title: str) -> int:
    if fmt == "xlsx":
        return write_xlsx(stream, columns, rows, title_lines, sheet_title)
    return write_csv(stream, columns, rows, title_lines)


def _digest(stream: IO[bytes]) -> tuple[str, int]:
    stream.flush()
    stream.seek(0)
    sha, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size
