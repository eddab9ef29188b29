"""Importing the DTSEN extract, the BPJS participant list, the 2024 cohort and the
JHT list (whose JHT the city pays, from which month).

Files are what Excel saves (design.md "Central office (round 2)"): UTF-8 with or
without BOM, else Windows-1252 (decided by one streaming pass that checks the
bytes are valid UTF-8), and UTF-16 with its BOM (Excel's "Unicode Text"), ``,``
``;`` or tab (sniffed from the header); or the workbook itself (XLSX, its first
sheet, read streaming by openpyxl with defusedxml guarding the XML): a cell is
read as the text a CSV would hold (:func:`xlsx_text`), and a NIK, KK or KPJ
typed as a number of 16 digits is refused as damaged (Excel keeps 15 significant
digits, so such a number has already lost its last one). The old XLS format is
refused with how to save it. Column names are matched by :mod:`central.import_columns`
(case, punctuation and spacing ignored, Indonesian names and abbreviations too), and
the header cells no field takes are listed in the summary; an apostrophe before
NIK/KK/KPJ removed; spaces trimmed. The csv reader is strict, and a record running
over more than one line (an unclosed quote) is a whole-file error naming its line.

A row whose cells do not line up with the header's columns is refused
(``wrong_cell_count``): a value holding the separator unquoted (``JKK;JKM``) shifts the
cells after it, so the status read would be another column's, and a short row would
read its missing status as empty, which counts as active. Empty cells after the last
column (Excel's ``;;;``) are not cells; a wholly empty row is skipped.

The file is read streaming: a csv reader over a text stream, good rows inserted in
batches (``COPY`` on PostgreSQL), rejected rows written to the rejects CSV as they
come (the row as read + ``alasan`` + ``kolom`` + ``keterangan`` + ``baris``). Memory grows
only with the set of NIKs seen (duplicate check: one int per row).

All in one transaction: the old snapshot is deleted, the new rows inserted, the
records held re-evaluated (``central.recheck``). When no row is accepted, or more
rows are rejected than accepted without ``force``, or the file is much shorter than
the list in force (``SHRINK_LIMIT``), the transaction is rolled back: nothing already
held changes, and :class:`ImportRefused` says why in one line. The rejects file is
kept in two cases only: an import that succeeded (its header alone when no row was
rejected, since the answer names it), and a refused one that rejected rows (its
message names the file). A refusal without a rejected row, and a file that cannot be
imported at all (:class:`ImportFileError`: its rows mean nothing), leave none.
Each import that replaces a snapshot is a row of ``imports``; its id is the
snapshot id the rows and the eligibility decisions carry.

A refused row of the DTSEN extract, the BPJS list or the cohort whose NIK cell is
still a valid NIK (:func:`readable_nik`) is remembered with the snapshot
(``unreadable_rows``: NIK, line, code, column): the rules reading that snapshot answer
``unknown`` for the NIK until a corrected file replaces it, since the row's absence
would otherwise pass "not yet a participant" or drop the DTSEN alternative.
"""

from __future__ import annotations

import codecs
import csv
import getpass
import hashlib
import io
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from berjasa import local_time, reference
from berjasa.checks import describe_unprintable, unprintable_characters
from berjasa.identity import check_nik, has_errors, is_nik_damaged_by_spreadsheet
from berjasa.number_text import RUPIAH_PROBLEMS, RupiahUnreadable, parse_rupiah
from berjasa.os_errors import os_error_text
from berjasa.paths import open_private, private_folder
from berjasa.spreadsheet import safe_text
from central import recheck as rechecking
from central import verification
from central.import_columns import expected_columns, field_names, match_header
from central.storage import snapshots
from central.storage.db import Database, utc_now

KINDS = ("dtsen", "bpjs-participants", "cohort", "jht")
SNAPSHOT_KIND = {"dtsen": "dtsen", "bpjs-participants": "bpjs", "cohort": "cohort", "jht": "jht"}
BATCH_ROWS = 10_000
# A new file with fewer accepted rows than this share of the snapshot in force is
# refused without --force: a partial DTSEN or BPJS list would quietly accept again
# the records its missing rows had rejected (and a partial cohort drops people from
# the payment list). The program's lists grow; a real shrink this large is rare.
SHRINK_LIMIT = 0.5

# Reason codes (rejects file ``alasan``) and what they mean (``keterangan``).
REASONS = {
    "nik_damaged_by_spreadsheet": "rusak oleh spreadsheet (notasi ilmiah, kurang dari 16 digit, "
                                  "atau akhiran .0); digit terakhir hilang, tidak diperbaiki",
    "nik_invalid": "harus 16 digit angka",
    "kpj_damaged_by_spreadsheet": "rusak oleh spreadsheet (notasi ilmiah atau akhiran .0)",
    "kpj_invalid": "harus 6-20 huruf/angka",
    "birth_date_invalid": "tanggal tidak mungkin atau tidak terbaca (pakai YYYY-MM-DD atau DD-MM-YYYY)",
    "kelurahan_unknown": "bukan kode kelurahan Kota Makassar",
    "kelurahan_missing": "kode kelurahan wajib diisi",
    "desil_invalid": "desil harus angka 1 sampai 10",
    "coverage_start_invalid": "bulan mulai harus YYYY-MM",
    "jht_from_invalid": "bulan mulai JHT harus YYYY-MM",
    "income_invalid": "penghasilan " + RUPIAH_PROBLEMS["invalid"],
    "income_cents": "penghasilan " + RUPIAH_PROBLEMS["cents"],
    "income_ambiguous": "penghasilan: " + RUPIAH_PROBLEMS["ambiguous"],
    "duplicate_nik_in_file": "NIK yang sama sudah ada di baris sebelumnya",
    "wrong_cell_count": "jumlah sel baris tidak sama dengan jumlah kolom judul",
    "control_character": "berisi karakter kontrol (mis. NUL atau ganti baris) atau karakter tak "
                         "terlihat (mis. U+202E pengatur arah teks) yang tidak boleh disimpan; "
                         "hapus dari sel itu",
}


class ImportFileError(ValueError):
    """The file cannot be imported at all (unreadable, empty, columns missing)."""


class ImportRefused(ValueError):
    """The file was read but replaces nothing (nothing accepted, or --force needed)."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


class RowRejected(ValueError):
    """One row refused: ``code`` (REASONS), the column it concerns and, when the reason's
    text is not enough, ``detail`` for ``keterangan``."""

    def __init__(self, code: str, column: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code, self.column, self.detail = code, column, detail


# --- cell cleaners (plain functions; hypothesis-tested) ------------------------

_SPACES = re.compile(r"[\s\u00a0\u200b]+")
_APOSTROPHES = "'\u2019\u2018`"


def strip_cell(raw: str | None) -> str:
    """Trim outer spaces (NBSP too); None as empty."""
    return (raw or "").strip().strip("\u00a0\u200b\ufeff").strip()


def clean_identifier(raw: str | None, column: str = "nik") -> str:
    """A NIK or KK: apostrophe and spaces removed, 16 digits. Spreadsheet damage
    (scientific notation, ``.0``, fewer than 16 digits) raises
    ``nik_damaged_by_spreadsheet``; anything else not 16 digits ``nik_invalid``."""
    text = (raw or "").strip()
    if text[:1] in _APOSTROPHES:
        text = text[1:]
    if len(text) == 16 and text.isdigit() and text.isascii():  # the common case, fast
        return text
    text = _SPACES.sub("", strip_cell(raw)).lstrip(_APOSTROPHES)
    if is_nik_damaged_by_spreadsheet(text):
        raise RowRejected("nik_damaged_by_spreadsheet", column)
    if not (len(text) == 16 and text.isascii() and text.isdigit()):
        raise RowRejected("nik_invalid", column)
    return text


def clean_optional_identifier(raw: str | None, column: str) -> str | None:
    """A KK that may be empty."""
    if raw and len(raw) == 17 and raw[0] == "'" and raw[1:].isdigit() and raw.isascii():
        return raw[1:]
    return clean_identifier(raw, column) if strip_cell(raw).lstrip(_APOSTROPHES) else None


def clean_kpj(raw: str | None) -> str | None:
    """A KPJ number (optional): apostrophe and spaces removed, 6-20 letters/digits."""
    text = _SPACES.sub("", strip_cell(raw)).lstrip(_APOSTROPHES)
    if not text:
        return None
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+|[0-9]+\.0+", text):
        raise RowRejected("kpj_damaged_by_spreadsheet", "kpj_number")
    if not re.fullmatch(r"[0-9A-Za-z]{6,20}", text):
        raise RowRejected("kpj_invalid", "kpj_number")
    return text


# ASCII digits only: ``\d`` would also take Arabic-Indic or full-width digits.
_DAY_FIRST = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})")
_YEAR_FIRST = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})")


_TODAY: list = [0.0, ""]


def _today_iso() -> str:
    """Today's date, asked of the clock at most once a second (once per row cost
    as much as the rest of the date check)."""
    import time
    now = time.monotonic()
    if now - _TODAY[0] > 1.0:
        _TODAY[0], _TODAY[1] = now, local_time.today().isoformat()
    return _TODAY[1]


@lru_cache(maxsize=1 << 16)
def _parse_date(text: str) -> str | None:
    """YYYY-MM-DD of an existing day written ISO or DD-MM-YYYY (``-`` ``/`` ``.``);
    None otherwise. Cached: an extract repeats the same few thousand birth dates."""
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year, month, day = int(match[1]), int(match[3]), int(match[4])
    else:
        match = _DAY_FIRST.fullmatch(text)
        if not match:
            return None
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    try:
        return date(year, month, day).isoformat() if year >= 1900 else None
    except ValueError:
        return None


def clean_date(raw: str | None, column: str = "birth_date", today: date | None = None) -> str | None:
    """YYYY-MM-DD from ISO or DD-MM-YYYY (``-`` ``/`` ``.``), or None when empty;
    an impossible date (31-02, month 13, before 1900, in the future) raises."""
    text = (raw or "").strip()
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]  # "1990-01-01 00:00:00" from a date cell
    parsed = _parse_date(text)
    if parsed is None or parsed > (today.isoformat() if today else _today_iso()):
        raise RowRejected("birth_date_invalid", column)
    return parsed


# Month names Excel writes for a date cell formatted mmm-yy (English and Indonesian).
_MONTH_NAMES = {name: number for number, names in enumerate((
    ("jan", "januari", "january"), ("feb", "peb", "februari", "february"), ("mar", "maret", "march"),
    ("apr", "april"), ("may", "mei"), ("jun", "juni", "june"), ("jul", "juli", "july"),
    ("aug", "agu", "agt", "agustus", "august"), ("sep", "sept", "september"),
    ("oct", "okt", "oktober", "october"), ("nov", "nop", "november", "nopember"),
    ("dec", "des", "desember", "december")), 1) for name in names}


_MONTH_FIRST_EXCEL = re.compile(r"([1-9]|1[0-2])/1/([0-9]{4})")


def clean_month(raw: str | None, column: str = "coverage_start") -> str | None:
    """YYYY-MM from ``YYYY-MM``, ``YYYY-MM-DD``, ``MM/YYYY`` or ``MM-YYYY``, from a whole
    date, or from a month Excel turned into a date; None when empty. ASCII digits only.

    The rules, in order (docs/central.md "Imports"):

    1. A whole date is day first, ``DD/MM/YYYY`` (``-`` ``/`` ``.``), as Indonesians write
       it and as birth dates are read: ``05/01/2026`` and ``31/01/2026`` are 2026-01.
       This also reads the month cell Excel saved day first, ``01/03/2024`` (2024-03).
    2. The one exception is the month cell Excel saves with a US (month-first) date
       format: no leading zeros and the day exactly ``1``, ``3/1/2024``, is 2024-03.
       (A January date written so, ``5/1/2026``, is ambiguous; write ``05/01/2026``.)
    3. A month name in English or Indonesian with a two- or four-digit year, as Excel
       saves a date cell formatted mmm-yy: ``Mar-24``, ``Mei-24``, ``Okt-2024``."""
    text = strip_cell(raw).split(" 00:00")[0]
    if not text:
        return None
    year = month = 0
    match = (re.fullmatch(r"([0-9]{4})[-/]([0-9]{1,2})(?:[-/][0-9]{1,2})?", text)
             or re.fullmatch(r"([0-9]{1,2})[-/]([0-9]{4})", text))
    if match:
        a, b = match.groups()
        year, month = (int(a), int(b)) if len(a) == 4 else (int(b), int(a))
    elif match := _MONTH_FIRST_EXCEL.fullmatch(text):
        month, year = int(match[1]), int(match[2])
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
        try:
            date(year, month, day)  # a whole date must exist (31/02 is not a month)
        except ValueError:
            month = 0
    elif match := re.fullmatch(r"([A-Za-z]{3,9})\.?[-\s/]([0-9]{2}|[0-9]{4})", text):
        month = _MONTH_NAMES.get(match[1].casefold(), 0)
        year = int(match[2]) + (2000 if len(match[2]) == 2 else 0)
    if 2000 <= year <= 2100 and 1 <= month <= 12:
        return f"{year:04d}-{month:02d}"
    raise RowRejected("coverage_start_invalid", column)


@lru_cache(maxsize=4096)
def _kelurahan_code(text: str) -> str | None:
    if re.fullmatch(r"[0-9]{10}", text):
        text = f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    return text if reference.kelurahan(text) is not None else None


def clean_kelurahan(raw: str | None, required: bool = False) -> str | None:
    """A dotted Makassar kelurahan code (``7371011001`` is read as ``73.71.01.1001``)."""
    if raw and raw in _KNOWN_CODES:
        return raw
    text = _SPACES.sub("", strip_cell(raw)).lstrip(_APOSTROPHES)
    if not text:
        if required:
            raise RowRejected("kelurahan_missing", "kelurahan_code")
        return None
    code = _kelurahan_code(text)
    if code is None:
        raise RowRejected("kelurahan_unknown", "kelurahan_code")
    return code


_KNOWN_CODES = frozenset(r.code for r in reference.kelurahan_list())
_DESIL = {str(n): n for n in range(1, 11)}


def clean_desil(raw: str | None) -> int:
    """1..10."""
    if raw in _DESIL:
        return _DESIL[raw]
    text = strip_cell(raw)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 10:
        raise RowRejected("desil_invalid", "desil")
    return int(text)


def clean_income(raw: str | None) -> int | None:
    """Integer rupiah as Indonesians and Indonesian Excel write them (``2500000``,
    ``2.500.000``, ``Rp 2.500.000,00``; :func:`berjasa.number_text.parse_rupiah`, the one
    reader of rupiah); None when empty. ``income_cents`` for decimals that are not zero,
    ``income_ambiguous`` for separators that could be thousands or decimals,
    ``income_invalid`` for anything else."""
    try:
        return parse_rupiah(raw)
    except RupiahUnreadable as unreadable:
        raise RowRejected(f"income_{unreadable.problem}", "monthly_income") from None


def clean_flag(raw: str | None) -> int:
    """1 for ya/y/1/true/x, else 0."""
    return 1 if strip_cell(raw).casefold() in {"1", "ya", "y", "true", "x", "yes"} else 0


def _text_or_none(raw: str | None) -> str | None:
    return strip_cell(raw) or None


# --- rows per kind --------------------------------------------------------------

def _dtsen_row(cells: dict[str, str], snapshot_id: int) -> tuple:
    nik = clean_identifier(cells.get("nik"))
    kk = clean_optional_identifier(cells.get("kk_number"), "kk_number")
    return (nik, kk, _text_or_none(cells.get("full_name")), clean_date(cells.get("birth_date")),
            clean_kelurahan(cells.get("kelurahan_code")), clean_desil(cells.get("desil")), snapshot_id)


def _bpjs_row(cells: dict[str, str], snapshot_id: int) -> tuple:
    return (clean_identifier(cells.get("nik")), clean_kpj(cells.get("kpj_number")),
            _text_or_none(cells.get("program")), _text_or_none(cells.get("status")),
            clean_month(cells.get("coverage_start")), snapshot_id)


def _cohort_row(cells: dict[str, str], snapshot_id: int) -> tuple:
    nik = clean_identifier(cells.get("nik"))
    kpj = clean_kpj(cells.get("kpj_number"))
    kelurahan = clean_kelurahan(cells.get("kelurahan_code"), required=True)
    start = clean_month(cells.get("coverage_start"))
    if start is None:
        raise RowRejected("coverage_start_invalid", "coverage_start")
    return (nik, kpj, _text_or_none(cells.get("full_name")), clean_date(cells.get("birth_date")),
            kelurahan, start, clean_income(cells.get("monthly_income")), clean_flag(cells.get("jht")),
            snapshot_id)


def _jht_row(cells: dict[str, str], snapshot_id: int) -> tuple:
    nik = clean_identifier(cells.get("nik"))
    try:
        start = clean_month(cells.get("jht_from"), "jht_from")
    except RowRejected:
        start = None
    if start is None:
        raise RowRejected("jht_from_invalid", "jht_from")
    return (nik, start, snapshot_id)


CONVERT: dict[str, Callable[[dict[str, str], int], tuple]] = {
    "dtsen": _dtsen_row, "bpjs-participants": _bpjs_row, "cohort": _cohort_row, "jht": _jht_row}


# --- reading --------------------------------------------------------------------

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
    """An open import file: its header, the row iterator and counters."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (file line or sheet row, cells)
    counter: _CountingReader
    size: int
    encoding: str


def xlsx_text(value: Any) -> str:
    """A workbook cell as the text a CSV saved by Excel would hold: empty for an
    empty cell, a whole number without ``.0``, a date as YYYY-MM-DD (a date and
    time as ISO); a number of 16 digits or more in scientific notation, which the
    identifier columns refuse as damaged by the spreadsheet (it is past the 15
    significant digits Excel keeps: a NIK typed as a number is already wrong)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        if abs(value) >= 1e15:
            return f"{value:.14E}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _DigestOnly:
    """The counter of a workbook: its bytes hashed before reading (progress is by
    rows there, so ``count`` stays 0 until the end)."""

    def __init__(self, path: Path) -> None:
        self.count, self.sha = 0, hashlib.sha256()
        with path.open("rb") as raw:
            while block := raw.read(1 << 20):
                self.sha.update(block)


def _open_workbook(path: Path) -> tuple[Reading, Any]:
    """(reading, the workbook to close) of an XLSX file's first sheet."""
    from openpyxl import load_workbook  # only an XLSX import needs it

    try:
        counter = _DigestOnly(path)
        raw = path.open("rb")  # a file, not the name: openpyxl would refuse other suffixes
    except OSError as exc:
        raise ImportFileError(f"berkas tidak dapat dibaca: {path} ({os_error_text(exc)})") from exc
    opened = _OpenWorkbook(raw)
    try:
        opened.book = load_workbook(raw, read_only=True, data_only=True)
        sheets = opened.book.worksheets
        rows = enumerate(([xlsx_text(v) for v in row] for row in sheets[0].iter_rows(values_only=True))
                         if sheets else iter(()), start=1)
        header = next((row for _, row in rows if "".join(row).strip()), None)
    except Exception as exc:  # a damaged zip or XML: one clear line
        opened.close()
        raise ImportFileError(f"{path.name} tidak terbaca sebagai buku kerja Excel (XLSX): "
                              f"simpan ulang dari Excel, atau simpan sebagai CSV UTF-8") from exc
    if header is None:
        opened.close()
        raise ImportFileError(f"berkas kosong: {path.name}")
    return Reading(header, _workbook_rows(rows, path.name), counter, path.stat().st_size,
                   XLSX), opened


class _OpenWorkbook:
    """A workbook and the file under it, closed together (an open handle keeps the
    operator's file locked on Windows)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.book = raw, None

    def close(self) -> None:
        try:
            if self.book is not None:
                self.book.close()
        finally:
            self.raw.close()


def _workbook_rows(rows: Iterator[tuple[int, list[str]]], name: str) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows with their row numbers; a damaged part of the file becomes one clear ImportFileError."""
    try:
        yield from rows
    except Exception as exc:  # zip or XML damage found while streaming
        raise ImportFileError(f"{name} rusak di tengah lembar kerja ({exc.__class__.__name__}); "
                              f"data lama tidak diganti") from exc


def open_file(path: Path) -> tuple[Reading, Any]:
    """Open ``path`` for streaming: (reading, the open text stream or workbook to close)."""
    encoding = detect_encoding(path)
    if encoding == XLSX:
        return _open_workbook(path)
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
    return Reading(header, rows, counter, path.stat().st_size, encoding), text


# --- the import -----------------------------------------------------------------

class _Rejects:
    """The rejects CSV, written as rows are refused (a file of the header alone when
    none is: design.md's ``--json`` answer names it, ``"rejects_file": PATH``). It
    holds NIKs and names: the folder is owner-only and the file 0600 from its first
    byte, like the rest of the data folder (design.md "Operations and security").
    Columns: the row as read, ``alasan`` (code), ``kolom`` (the file's own header of the
    cell concerned), ``keterangan`` and ``baris`` (the line of the file, or the sheet's row)."""

    def __init__(self, folder: Path, kind: str, header: list[str], found: dict[str, int]) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.folder, self.header, self.handle = folder, header, None
        self.path = folder / f"{kind}-{stamp}-rejects.csv"
        self.labels = {field: header[index].strip().lstrip("\ufeff") or field
                       for field, index in found.items()}

    def written(self) -> str:
        """The file's path (made with its header alone when no row was refused)."""
        self._open()
        return str(self.path)

    def _open(self) -> None:
        if self.handle is None:
            private_folder(self.folder)
            descriptor = open_private(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            # open until close(): rows are added one by one while the import runs
            self.handle = open(descriptor, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self.writer = csv.writer(self.handle)
            self.writer.writerow([*(_safe_cell(h) for h in self.header), "alasan", "kolom",
                                  "keterangan", "baris"])

    def label(self, field: str) -> str:
        """The file's own heading of a field's column (``kolom``)."""
        return self.labels.get(field, field)

    def add(self, line: int, row: list[str], code: str, field: str, detail: str | None = None) -> None:
        """One refused row, cut or padded to the header's cells so that ``alasan`` stays
        under its own heading (the cells past the header are named in ``detail``)."""
        self._open()
        width = len(self.header)
        cells = row if len(row) == width else (row + [""] * width)[:width]
        self.writer.writerow([*(_safe_cell(c) for c in cells), code,
                              _safe_cell(self.label(field)),
                              _safe_cell(detail or REASONS.get(code, code)), line])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def discard(self) -> None:
        """Close and remove the file (a whole-file error: its rows mean nothing)."""
        self.close()
        if self.handle is not None:
            self.path.unlink(missing_ok=True)


def _safe_cell(value: str) -> str:
    """Rejects are opened in Excel: the one formula-safe rule of every export
    (berjasa.spreadsheet: a leading ``'`` before = + - @ tab CR, control characters
    neutralised)."""
    return safe_text(value)


def import_file(db: Database, path: Path, kind: str, data_dir: Path,
                settings: dict[str, Any] | int | None = None, *, force: bool = False,
                progress: Callable[[int, int], None] | None = None,
                today: date | None = None) -> dict[str, Any]:
    """Import one file. Returns ``{"read", "accepted", "rejected", "rejects_file" (its
    header alone when no row was rejected), "snapshot_id", "rechecked", "unused_columns"}``
    (the header cells no field took, as the file names them); raises ImportFileError
    (file unusable; no rejects file left) or ImportRefused (nothing replaced; its message
    and ``summary["rejects_file"]`` name the rejects file when a row was rejected, else
    that is None and no file is left). ``progress(bytes_read, size)`` is called after
    each batch."""
    if kind not in KINDS:
        raise ImportFileError(f"jenis impor tidak dikenal: {kind} (pilih {', '.join(KINDS)})")
    settings = rechecking.as_settings(settings)
    reading, stream = open_file(path)
    try:
        found = map_header(reading.header, kind)
        rejects = _Rejects(data_dir / "imports", kind, reading.header, found)
        try:
            summary = _load(db, path, kind, reading, found, rejects, settings, force, progress, today)
        except ImportRefused as refused:
            if not refused.summary["rejected"]:  # no row to show: no file (the message names none)
                rejects.discard()
            raise
        except BaseException:  # the file is unusable (or the import failed): its rows mean nothing
            rejects.discard()
            raise
        finally:
            rejects.close()
        summary["unused_columns"] = unused_columns(reading.header, kind)
        return summary
    finally:
        stream.close()


# The columns stored as text as they are (trimmed): names, the BPJS program and status.
# Every other column is read into digits, a date or a code by its cleaner, which removes
# the spaces (zero-width ones too) and refuses any other character with its own reason.
TEXT_COLUMNS = frozenset({"full_name", "program", "status"})


def _refuse_control_characters(cells: dict[str, str]) -> None:
    """A cell to be stored that holds a control character (NUL, ESC, a line break from
    a workbook cell...) refuses its row, naming the column and the character: PostgreSQL
    cannot store a NUL at all, and no keyboard types the others (the same on both
    backends). A text column (:data:`TEXT_COLUMNS`) follows the free-text rule
    (:func:`berjasa.checks.unprintable_characters`): an invisible format character
    inside a name (U+202E, U+200B...) refuses the row too, as the kelurahan's intake does."""
    if "".join(cells.values()).isprintable():  # the common case, one check a row
        return
    for field, text in cells.items():
        if field in TEXT_COLUMNS:
            bad = unprintable_characters(strip_cell(text), allowed="")
        else:
            bad = list(dict.fromkeys(c for c in text
                                     if unicodedata.category(c) in _CONTROL_CATEGORIES))
        if bad:
            raise RowRejected("control_character", field, "berisi karakter yang tidak boleh "
                              f"disimpan: {describe_unprintable(bad)}; hapus dari sel itu")


# What no structured cell may hold (its cleaner refuses or removes anything else).
_CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Cn"})


def header_width(header: list[str]) -> int:
    """The header's cells up to its last named one (the empty cells Excel adds after
    the last column are not columns)."""
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    return width


def _wrong_cell_count(row: list[str], header: list[str], width: int, line: int,
                      workbook: bool) -> tuple[str, str] | None:
    """``(kolom, keterangan)`` when a row's cells do not line up with the header's
    ``width`` columns (:func:`header_width`), else None. More cells: a value with a
    separator in it and no quotes (``JKK;JKM`` in a ``;`` file) shifted every later cell
    one column, so the status read would be another cell's; fewer: the cells that are
    missing would be read as empty (an empty status counts as active). Empty cells after
    the last column (Excel adds ``;;;``) are not cells. In a workbook nothing can shift
    and a cell not stored is empty (openpyxl omits trailing empty cells when the sheet
    has no dimension), so only a value past the header's columns counts there."""
    filled = len(row)
    while filled > width and not row[filled - 1].strip():
        filled -= 1
    if filled == width or (filled < width and workbook):
        return None
    where = "lembar kerja" if workbook else "berkas"
    if filled < width:
        missing = header[filled].strip().lstrip("\ufeff") or f"kolom ke-{filled + 1}"
        return missing, (f"baris {line} hanya berisi {filled} sel, padahal judul {where} punya "
                         f"{width} kolom: sel yang hilang tidak dianggap kosong (isian bisa tertukar "
                         f"kolom); lengkapi baris itu, sel kosong tetap ditulis dengan pemisahnya, "
                         f"lalu impor ulang")
    extra = " | ".join(cell.strip()[:40] for cell in row[width:filled])[:200]
    hint = ("; beri judul kolom itu atau hapus isiannya, lalu impor ulang" if workbook else
            "; biasanya isian yang memuat pemisah kolom tanpa tanda kutip, mis. Program JKK;JKM, "
            "sehingga isian sesudahnya bergeser: beri tanda kutip (\"JKK;JKM\") atau ganti "
            "isiannya, lalu impor ulang")
    return f"kolom ke-{width + 1} (tanpa judul)", (
        f"baris {line} berisi {filled} sel, padahal judul {where} punya {width} kolom "
        f"(sel di luar judul: {extra}){hint}")


def readable_nik(cell: str | None) -> str | None:
    """The NIK of a refused row's NIK cell when it is still a valid NIK (cleaned as an
    accepted row's is, then the core's NIK check: 16 digits, a province, a date that
    exists, a serial), else None: a NIK a spreadsheet damaged (``7.37101E+15``) names
    nobody for certain and is not remembered."""
    try:
        nik = clean_identifier(cell)
    except RowRejected:
        return None
    return None if has_errors(check_nik(nik)) else nik


class _Unreadable:
    """The refused rows of a rule snapshot (DTSEN, BPJS, cohort) whose NIK could be read
    (:func:`readable_nik`): kept as ``unreadable_rows`` with the snapshot, so the rules
    reading it answer unknown for those NIKs instead of reading their absence. Only a
    NIK's first row counts (the first row of a NIK is the one a file means: a later row
    of a NIK already accepted is a duplicate, whatever it holds). Written in batches
    with the snapshot's rows: no query per row."""

    def __init__(self, kind: str, snapshot_id: int, nik_index: int | None) -> None:
        self.kind = SNAPSHOT_KIND[kind] if SNAPSHOT_KIND[kind] in snapshots.RULE_KINDS else None
        self.snapshot_id, self.nik_index = snapshot_id, nik_index
        self.seen: set[int] = set()
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, row: list[str], line: int, code: str, column: str, accepted: set[int]) -> None:
        """One refused row (``column`` as the rejects file names it)."""
        if self.kind is None or self.nik_index is None or self.nik_index >= len(row):
            return
        nik = readable_nik(row[self.nik_index])
        if nik is None or int(nik) in accepted or int(nik) in self.seen:
            return
        self.seen.add(int(nik))
        column = "".join(c if c.isprintable() else " " for c in column)  # a header cell's NUL
        self.rows.append((self.kind, nik, self.snapshot_id, line, code, column))
        self.count += 1

    def flush(self, db: Database) -> None:
        """Store the rows gathered so far."""
        snapshots.insert_unreadable(db, self.rows)
        self.rows = []


def _load(db: Database, path: Path, kind: str, reading: Reading, found: dict[str, int],
          rejects: _Rejects, settings: dict[str, Any], force: bool,
          progress: Callable[[int, int], None] | None, today: date | None) -> dict[str, Any]:
    convert = CONVERT[kind]
    read = accepted = 0
    summary: dict[str, Any] = {}
    with db.transaction():
        db.lock_ingest()  # the recheck writes updates: keep the cursor order (see ingest)
        before = snapshots.in_force(db, SNAPSHOT_KIND[kind])
        snapshot_id = snapshots.start_import(db, SNAPSHOT_KIND[kind], path.name, None,
                                             utc_now(), getpass.getuser())
        snapshots.clear(db, SNAPSHOT_KIND[kind])
        seen: set[int] = set()
        batch: list[tuple] = []
        width = header_width(reading.header)
        workbook = reading.encoding == XLSX
        unreadable = _Unreadable(kind, snapshot_id, found.get("nik"))
        for line, row in reading.rows:
            if not "".join(row).strip():
                continue
            read += 1
            if len(row) != width:
                wrong = _wrong_cell_count(row, reading.header, width, line, workbook)
                if wrong:
                    rejects.add(line, row, "wrong_cell_count", *wrong)
                    unreadable.add(row, line, "wrong_cell_count", wrong[0], seen)
                    continue
                row = (row + [""] * width)[:width]
            cells = {field: row[index] for field, index in found.items()}
            try:
                _refuse_control_characters(cells)
                values = convert(cells, snapshot_id)
            except RowRejected as refused:
                rejects.add(line, row, refused.code, refused.column, refused.detail)
                unreadable.add(row, line, refused.code, rejects.label(refused.column), seen)
                continue
            key = int(values[0])
            if key in seen:
                rejects.add(line, row, "duplicate_nik_in_file", "nik")
                continue
            seen.add(key)
            batch.append(values)
            accepted += 1
            if len(batch) >= BATCH_ROWS:
                snapshots.insert(db, SNAPSHOT_KIND[kind], batch)
                batch = []
                unreadable.flush(db)
                if progress:
                    progress(reading.counter.count, reading.size)
        snapshots.insert(db, SNAPSHOT_KIND[kind], batch)
        unreadable.flush(db)
        if progress:
            progress(reading.size, reading.size)
        rejected = read - accepted
        if read == 0:
            raise ImportFileError(f"berkas hanya berisi baris judul, tidak ada data: {path.name}")
        # a refused import names its rejects file when a row was rejected, else leaves none
        summary = {"read": read, "accepted": accepted, "rejected": rejected,
                   "rejects_file": str(rejects.path) if rejected else None, "snapshot_id": snapshot_id}
        if accepted == 0:
            raise ImportRefused(f"tidak ada baris yang diterima ({rejected} ditolak, lihat "
                                f"{rejects.path}); data lama tidak diganti", summary)
        if rejected > accepted and not force:
            raise ImportRefused(f"{rejected} baris ditolak, lebih banyak dari {accepted} yang diterima "
                                f"(lihat {rejects.path}); data lama tidak diganti: periksa berkas, "
                                f"atau ulangi dengan --force", summary)
        if before and accepted < before["accepted"] * SHRINK_LIMIT and not force:
            summary["in_force"] = dict(before)
            shown = f" ({rejected} baris ditolak, lihat {rejects.path})" if rejected else ""
            raise ImportRefused(
                f"berkas ini hanya {accepted} baris diterima{shown}, kurang dari separuh impor yang "
                f"berlaku ({before['accepted']} baris dari {before['file_name']}, "
                f"{local_time.wita(before['imported_at'])}); berkas sebagian akan membuat data "
                f"yang ditolak karena isi impor lama diterima lagi. Data lama tidak diganti: "
                f"periksa berkas, atau ulangi dengan --force bila berkas ini memang lengkap",
                summary)
        summary["rejects_file"] = rejects.written()  # design.md: PATH, its header alone if none
        # refused rows whose NIK could be read, and how many of those NIKs central holds a
        # record of (its rules reading this snapshot are unknown until a corrected import)
        summary["unreadable"] = unreadable.count
        summary["unreadable_held"] = (snapshots.unreadable_held(db, snapshot_id)
                                      if unreadable.count else 0)
        snapshots.finish_import(db, snapshot_id, read, accepted, rejected, reading.counter.sha.hexdigest(),
                                summary["rejects_file"])
        summary["rechecked"] = rechecking.recheck(db, settings, today=today,
                                                  import_month=(today or local_time.today()).strftime("%Y-%m"))
        if kind == "dtsen":  # identity findings against the new snapshot (not a rule)
            verification.check_dtsen(db)
    return summary
