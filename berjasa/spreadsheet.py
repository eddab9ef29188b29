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

The cells are :mod:`berjasa.spreadsheet_cells`, the XLSX writer
:mod:`berjasa.spreadsheet_xlsx`; this module names their parts too, so every export
imports from here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from berjasa.paths import replace_patiently
from berjasa.spreadsheet_cells import (
    DANGEROUS_FIRST,
    EMPHASIS,
    ID,
    KINDS,
    MAX_CELL,
    NUMBER,
    PHONE,
    TEXT,
    Column,
    cell_value,
    national_phone,
    row_converter,
    safe_text,
)
from berjasa.spreadsheet_xlsx import write_xlsx

# the exports' one name for the cells and both writers
__all__ = ["BOM", "CHUNK", "DANGEROUS_FIRST", "EMPHASIS", "FORMATS", "ID", "KINDS", "MAX_CELL",
           "NUMBER", "PHONE", "TEXT", "Column", "Written", "cell_value", "national_phone",
           "safe_text", "write_csv", "write_export", "write_xlsx"]

FORMATS = ("csv", "xlsx")
BOM = "\ufeff"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Written:
    """What :func:`write_export` wrote."""

    rows: int
    sha256: str
    size: int
    content: bytes | None = None


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
        convert = row_converter(columns)
        count = 0
        for row in rows:
            writer.writerow(convert(row))
            count += 1
        text.flush()
    finally:
        text.detach()
    return count


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
