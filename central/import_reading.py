"""Opening an import file for streaming: the encoding (UTF-8 with or without BOM,
Windows-1252, UTF-16; or an XLSX workbook, :mod:`central.import_workbook`), the
separator, the header and its columns, and the rows as ``(line, cells)`` with the bytes
counted and hashed as they are read (:class:`Reading`). A file that cannot be read as a
whole is an :class:`ImportFileError`; what the rows hold is :mod:`central.import_rows`'s.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from berjasa.os_errors import os_error_text
from central.import_columns import expected_columns, field_names, match_header


class ImportFileError(ValueError):
    """The file cannot be imported at all (unreadable, empty, columns missing)."""


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read and hashes them (progress, SHA-256)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count, self.sha = raw, 0, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.count += n
            self.sha.update(memoryview(buffer)[:n])
        return n or 0

    def close(self) -> None:
        """Close the file too (closing the text stream on top closes this): an open
        handle would keep the operator's CSV locked on Windows until collected."""
        try:
            self.raw.close()
        finally:
            super().close()


# What a workbook starts with: XLSX is a zip file, the old XLS an OLE2 file.
XLSX = "xlsx"
_BOM_AS_CP1252 = codecs.BOM_UTF8.decode("cp1252")  # "ï»¿"
_ZIP, _OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


def detect_encoding(path: Path, chunk: int = 1 << 20) -> str:
    """``utf-16`` for Excel's "Unicode Text" (a UTF-16 BOM); ``utf-8-sig`` when every
    byte is valid UTF-8 (BOM or not), else ``cp1252``; :data:`XLSX` for a workbook
    (whatever its name says). One streaming pass with an incremental decoder:
    bounded memory. The old XLS format is an ImportFileError saying how to save it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as raw:
            start = raw.read(4)
            if start == _ZIP:
                return XLSX
            if start == _OLE2:
                raise ImportFileError(
                    f"{path.name} adalah buku kerja Excel lama (XLS): buka di Excel lalu Simpan "
                    f"Sebagai \"Buku Kerja Excel (*.xlsx)\" atau \"CSV UTF-8\", dan impor berkas itu")
            if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                return "utf-16"
            decoder.decode(start)
            while block := raw.read(chunk):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    except OSError as exc:
        raise ImportFileError(f"berkas tidak dapat dibaca: {path} ({os_error_text(exc)})") from exc
    return "utf-8-sig"


def map_header(header: list[str], kind: str) -> dict[str, int]:
    """{field: column index}; ImportFileError naming the missing columns (with their
    Indonesian names) and every expected one when a required one is missing."""
    matched = match_header(header, kind)
    if matched.missing:
        shown = ", ".join(h.strip() for h in header)[:200]
        missing = "; ".join(field_names(kind, field) for field in matched.missing)
        raise ImportFileError(
            f"kolom wajib tidak ada: {missing}; kolom yang diharapkan: "
            f"{expected_columns(kind)}; kolom terbaca: {shown or '(kosong)'}")
    return matched.found


def unused_columns(header: list[str], kind: str) -> list[str]:
    """The header cells no field takes, as the file names them (the summary lists them:
    a column ignored silently is a value lost silently)."""
    return ["".join(c if c.isprintable() else " " for c in header[index].strip().lstrip("\ufeff"))
            for index in match_header(header, kind).unused]  # printed on a terminal: no ESC


def _parsed(reader: Any, name: str, lines_before: int) -> Iterator[tuple[int, list[str]]]:
    """(the file line a record starts on, its cells). No import column holds a line
    break, so a record that runs over more than one line is an unclosed quote (``"Daeng``
    swallowing the rows after it): a whole-file ImportFileError naming the line where it
    started, as is a line the csv module (strict) cannot parse or a field past csv's
    128 KB limit (which also bounds memory). ``lines_before``: lines read before the
    reader (blank lines and the header)."""
    ended = 0  # the reader's line count after the previous record
    try:
        for row in reader:
            start = ended + 1
            ended = reader.line_num
            if ended > start:
                raise ImportFileError(
                    f"{name}: baris {lines_before + start}: tanda kutip (\") tidak ditutup, isian "
                    f"berlanjut sampai baris {lines_before + ended}; tutup atau hapus tanda kutip "
                    f"itu lalu impor ulang; data lama tidak diganti")
            yield lines_before + start, row
    except csv.Error as exc:
        why = ("satu isian lebih dari 128 KB" if "field larger than field limit" in str(exc)
               else "susunan CSV rusak")
        raise ImportFileError(
            f"{name}: baris {lines_before + ended + 1} tidak terbaca sebagai CSV ({why}); periksa "
            f"tanda kutip (\") yang tidak ditutup di baris itu; data lama tidak diganti"
        ) from exc


@dataclass
class Reading:
    """An open import file: its header, the row iterator and counters; a CSV's
    separator; a workbook's sheet read and the sheets not read (``{"sheet", "hidden",
    "rows"}``, rows: the filled rows)."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (file line or sheet row, cells)
    counter: Any  # the bytes read and their SHA-256 (``count``, ``sha``)
    size: int
    encoding: str
    delimiter: str = ","
    sheet: str | None = None
    sheets_not_read: list[dict[str, Any]] = field(default_factory=list)


def open_file(path: Path, kind: str) -> tuple[Reading, Any]:
    """Open ``path`` for streaming: (reading, the open text stream or workbook to close);
    a workbook's sheet is the one holding the ``kind`` list (:mod:`central.import_workbook`)."""
    encoding = detect_encoding(path)
    if encoding == XLSX:
        from central.import_workbook import open_workbook  # openpyxl: only for a workbook
        return open_workbook(path, kind)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ImportFileError(f"berkas tidak dapat dibaca: {path} ({os_error_text(exc)})") from exc
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=encoding,
                            errors="replace", newline="")
    first, lines_before = text.readline(), 1
    while first and not first.strip():
        first, lines_before = text.readline(), lines_before + 1
    if not first.strip():
        text.close()
        raise ImportFileError(f"berkas kosong: {path.name}")
    if sys.version_info < (3, 11):  # see below: 3.10's csv refuses a NUL
        first = first.replace("\0", "\x01")
    delimiter = max(",;\t", key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    if header and header[0].startswith(_BOM_AS_CP1252):
        # a UTF-8 BOM before Windows-1252 text (a file saved as UTF-8, then edited by a
        # program that kept the BOM and wrote the rest in the ANSI code page)
        header[0] = header[0][len(_BOM_AS_CP1252):]
    # Python 3.10's csv refuses a whole file for one NUL ("line contains NUL"); 3.11+
    # reads it and the row is refused (control_character): the same on both
    lines = text if sys.version_info >= (3, 11) else (line.replace("\0", "\x01") for line in text)
    rows = _parsed(csv.reader(lines, delimiter=delimiter, strict=True), path.name, lines_before)
    return Reading(header, rows, counter, path.stat().st_size, encoding, delimiter), text
