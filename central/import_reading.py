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
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from berjasa.number_text import thousands
from berjasa.os_errors import os_error_text
from central.import_columns import expected_columns, field_names, match_header

# The longest line of a CSV (docs/central.md "Hostile files"): eight times csv's field
# limit (128 KB); a line is read whole into memory before csv splits it.
MAX_LINE = 1 << 20


class ImportFileError(ValueError):
    """The file cannot be imported at all (unreadable, empty, columns missing)."""


def size_text(size: int) -> str:
    """As a message shows a size: "20 byte", "2 KB", "3.072 MB"."""
    if size < 1024:
        return f"{size} byte"
    return f"{thousands(round(size / (1 << 20)))} MB" if size >= 1 << 20 else f"{thousands(-(-size // 1024))} KB"


def import_max_bytes(settings: dict[str, Any]) -> int:
    """The ``central_import_max_bytes`` setting (its default when ``settings`` has none)."""
    value = settings.get("central_import_max_bytes")
    if value is None:
        from central.settings import CENTRAL_SETTINGS
        value = next(s.default for s in CENTRAL_SETTINGS if s.name == "central_import_max_bytes")
    return int(value)


class _CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read and hashes them (progress, SHA-256), and
    stops at a line longer than :data:`MAX_LINE` or at more than ``limit`` bytes in all
    (the file grew while read) before the text layer above holds it."""

    def __init__(self, raw: BinaryIO, name: str, limit: int) -> None:
        self.raw, self.count, self.sha = raw, 0, hashlib.sha256()
        self.name, self.limit, self.lines, self.open_line = name, limit, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.count += n
            chunk = memoryview(buffer)[:n].tobytes()
            self.sha.update(chunk)
            last = chunk.rfind(b"\n")
            if last < 0:
                self.open_line += n
            else:
                longest = max(map(len, chunk.split(b"\n")[1:-1]), default=0) if n > MAX_LINE else 0
                if max(self.open_line + chunk.find(b"\n"), longest) > MAX_LINE:
                    self.open_line = MAX_LINE + 1
                else:
                    self.lines += chunk.count(b"\n")
                    self.open_line = n - last - 1
            if self.open_line > MAX_LINE:
                raise ImportFileError(
                    f"{self.name}: baris {self.lines + 1} lebih dari {size_text(MAX_LINE)} tanpa ganti "
                    f"baris: berkas rusak atau bukan CSV; data lama tidak diganti")
            if self.count > self.limit:
                raise ImportFileError(f"{self.name}: berkas bertambah besar saat dibaca, melewati batas "
                                      f"impor {size_text(self.limit)}; data lama tidak diganti")
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
            if start in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
                return "utf-32"
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
        shown = "".join(c if c.isprintable() else " " for c in ", ".join(h.strip() for h in header)[:200])
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


def open_file(path: Path, kind: str, max_bytes: int) -> tuple[Reading, Any]:
    """Open ``path`` for streaming: (reading, the open text stream or workbook to close);
    a workbook's sheet is the one holding the ``kind`` list (:mod:`central.import_workbook`).
    ``max_bytes``: the largest file (a workbook: its content once unzipped) read."""
    try:
        status = path.stat()
    except OSError as exc:
        raise ImportFileError(f"berkas tidak dapat dibaca: {path} ({os_error_text(exc)})") from exc
    if not stat.S_ISREG(status.st_mode):
        raise ImportFileError(f"{path.name}: bukan berkas biasa (perangkat, pipa, atau folder); impor hanya "
                              f"membaca berkas CSV atau XLSX; data lama tidak diganti")
    if status.st_size > max_bytes:
        raise ImportFileError(f"{path.name}: berkas {size_text(status.st_size)}, di atas batas impor "
                              f"{size_text(max_bytes)} (pengaturan central_import_max_bytes; naikkan bila "
                              f"daftarnya memang sebesar itu); data lama tidak diganti")
    encoding = detect_encoding(path)
    if encoding == XLSX:
        from central.import_workbook import open_workbook  # openpyxl: only for a workbook
        return open_workbook(path, kind, max_bytes)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ImportFileError(f"berkas tidak dapat dibaca: {path} ({os_error_text(exc)})") from exc
    counter = _CountingReader(raw, path.name, max_bytes)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding=encoding,
                            errors="replace", newline="")
    try:
        return _open_text(path, text, counter, encoding)
    except BaseException:
        text.close()
        raise


def _open_text(path: Path, text: io.TextIOWrapper, counter: _CountingReader,
               encoding: str) -> tuple[Reading, Any]:
    """The header (blank lines before it skipped) and the rows of an open CSV."""
    first, lines_before = text.readline(), 1
    while first and not first.strip():
        first, lines_before = text.readline(), lines_before + 1
    if not first.strip():
        raise ImportFileError(f"berkas kosong: {path.name}")
    if "\0" in first:
        raise ImportFileError(f"{path.name}: baris judul berisi byte NUL (0x00): berkas rusak (misalnya "
                              f"salinan atau unduhan yang terpotong) atau bukan CSV; data lama tidak diganti")
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
