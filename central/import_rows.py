"""A row of an import file: whether its cells line up with the header and hold only
what may be stored, what each source's row becomes (:data:`CONVERT`: the DTSEN
extract, the BPJS participant list, the 2024 cohort, the JHT list), and where a refused
row goes: the rejects CSV (:class:`Rejects`) and, when its NIK can still be read, the
snapshot's unreadable rows (:class:`UnreadableRows`).
"""

from __future__ import annotations

import csv
import os
import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from berjasa.checks import describe_unprintable, unprintable_characters
from berjasa.identity import check_nik, has_errors
from berjasa.paths import open_private, private_folder
from berjasa.spreadsheet import safe_text
from central.import_cells import (
    REASONS,
    RowRejected,
    clean_bpjs_status,
    clean_date,
    clean_desil,
    clean_flag,
    clean_identifier,
    clean_income,
    clean_kelurahan,
    clean_kpj,
    clean_month,
    clean_optional_identifier,
    strip_cell,
)
from central.import_reading import XLSX, Reading
from central.storage import snapshots
from central.storage.db import Database

# The columns stored as text as they are (trimmed): names, the BPJS program and status.
# Every other column is read into digits, a date or a code by its cleaner, which removes
# the spaces (zero-width ones too) and refuses any other character with its own reason.
TEXT_COLUMNS = frozenset({"full_name", "program", "status"})


def refuse_control_characters(cells: dict[str, str]) -> None:
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


def wrong_cell_count(row: list[str], header: list[str], width: int, line: int,
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


# --- rows per source ----------------------------------------------------------

def _text_or_none(raw: str | None) -> str | None:
    return strip_cell(raw) or None


def _dtsen_row(cells: dict[str, str], snapshot_id: int) -> tuple:
    nik = clean_identifier(cells.get("nik"))
    kk = clean_optional_identifier(cells.get("kk_number"), "kk_number")
    return (nik, kk, _text_or_none(cells.get("full_name")), clean_date(cells.get("birth_date")),
            clean_kelurahan(cells.get("kelurahan_code")), clean_desil(cells.get("desil")), snapshot_id)


def _bpjs_row(cells: dict[str, str], snapshot_id: int) -> tuple:
    return (clean_identifier(cells.get("nik")), clean_kpj(cells.get("kpj_number")),
            _text_or_none(cells.get("program")), clean_bpjs_status(cells.get("status")),
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


# --- refused rows -------------------------------------------------------------

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


class UnreadableRows:
    """The refused rows of a rule snapshot (DTSEN, BPJS, cohort) whose NIK could be read
    (:func:`readable_nik`): kept as ``unreadable_rows`` with the snapshot, so the rules
    reading it answer unknown for those NIKs instead of reading their absence. Only a
    NIK's first row counts (the first row of a NIK is the one a file means: a later row
    of a NIK already accepted is a duplicate, whatever it holds). Written in batches
    with the snapshot's rows: no query per row."""

    def __init__(self, snapshot_kind: str, snapshot_id: int, nik_index: int | None) -> None:
        self.kind = snapshot_kind if snapshot_kind in snapshots.RULE_KINDS else None
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


# The identifier columns a spreadsheet turns into numbers when it opens a text file.
IDENTIFIER_FIELDS = ("nik", "kk_number", "kpj_number")


class Rejects:
    """The rejects file, written as rows are refused (a file of the header alone when
    none is: design.md's ``--json`` answer names it, ``"rejects_file": PATH``). It
    holds NIKs and names: the folder is owner-only and the file 0600 from its first
    byte, like the rest of the data folder (design.md "Operations and security").
    Columns: the row as read, ``alasan`` (code), ``kolom`` (the file's own header of the
    cell concerned), ``keterangan`` and ``baris`` (the line of the file, or the sheet's row).

    It is written so that the operator's Excel opens it as the file they imported
    (docs/central.md "The rejects file"): from a workbook, a workbook (``.xlsx``, every
    cell a text cell formatted ``@``, so a NIK stays 16 digits); from a CSV, a CSV with the
    same separator (``;`` opens in columns in an Indonesian Excel, ``,`` in an English one),
    UTF-8 with a BOM, the NIK, KK and KPJ cells that are digits written ``'7371...`` (Excel
    shows the apostrophe and every digit; the import removes it again); from Excel's
    "Unicode Text" (tab), the same: UTF-16 with its BOM, tab, ``.txt``. Every text goes
    through the exports' formula-safe rule."""

    def __init__(self, folder: Path, kind: str, reading: Reading, found: dict[str, int]) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.folder, self.header, self.handle = folder, reading.header, None
        self.workbook = reading.encoding == XLSX
        self.delimiter = "\t" if reading.delimiter == "\t" else reading.delimiter
        suffix = ".xlsx" if self.workbook else ".txt" if self.delimiter == "\t" else ".csv"
        self.path = folder / f"{kind}-{stamp}-rejects{suffix}"
        # a workbook's rows wait in a CSV beside it until the workbook is written
        self.buffer = self.path.with_name(f".{self.path.name}.part") if self.workbook else self.path
        self.labels = {field: reading.header[index].strip().lstrip("\ufeff") or field
                       for field, index in found.items()}
        self.identifiers = frozenset(found[f] for f in IDENTIFIER_FIELDS if f in found)
        self.finished = self.discarded = False
        self.reasons: Counter[tuple[str, str]] = Counter()  # (code, column heading): rows

    def written(self) -> str:
        """The file's path, the file complete (its header alone when no row was refused)."""
        self.finish()
        return str(self.path)

    def _open(self) -> None:
        if self.handle is None:
            private_folder(self.folder)
            descriptor = open_private(self.buffer, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            encoding = "utf-8" if self.workbook else "utf-16" if self.delimiter == "\t" else "utf-8-sig"
            # open until close(): rows are added one by one while the import runs
            self.handle = open(descriptor, "w", encoding=encoding, newline="")  # noqa: SIM115
            self.writer = csv.writer(self.handle, delimiter=self.delimiter, lineterminator="\r\n")
            self.writer.writerow([*(self._cell(-1, h) for h in self.header), "alasan", "kolom",
                                  "keterangan", "baris"])

    def _cell(self, index: int, value: str) -> str:
        """A cell as the file holds it: the buffer of a workbook keeps it as read (the
        workbook writer makes it safe), a text file gets the formula-safe rule and, for a
        NIK, KK or KPJ of digits, an apostrophe (Excel would make it a number)."""
        if self.workbook:
            return value
        if index in self.identifiers:
            bare = value.strip()
            if bare.isascii() and bare.isdigit():
                return "'" + bare
        return _safe_cell(value)

    def main_reasons(self, most: int = 3) -> str:
        """The commonest reasons so far, for a refusal's one line: ``nik_damaged_by_spreadsheet
        (kolom NIK, 300 baris)``."""
        return ", ".join(f"{code} (kolom {''.join(c if c.isprintable() else ' ' for c in column)}, "
                         f"{rows} baris)" for (code, column), rows in self.reasons.most_common(most))

    def label(self, field: str) -> str:
        """The file's own heading of a field's column (``kolom``)."""
        return self.labels.get(field, field)

    def add(self, line: int, row: list[str], code: str, field: str, detail: str | None = None) -> None:
        """One refused row, cut or padded to the header's cells so that ``alasan`` stays
        under its own heading (the cells past the header are named in ``detail``)."""
        self._open()
        self.reasons[(code, self.label(field))] += 1
        width = len(self.header)
        cells = row if len(row) == width else (row + [""] * width)[:width]
        self.writer.writerow([*(self._cell(i, c) for i, c in enumerate(cells)), code,
                              self._cell(-1, self.label(field)),
                              self._cell(-1, detail or REASONS.get(code, code)), line])

    def finish(self) -> None:
        """Complete the file (a workbook is written from its buffer now)."""
        if self.finished or self.discarded:
            return
        self._open()
        self.handle.close()
        if self.workbook:
            self._write_workbook()
        self.finished = True

    def _write_workbook(self) -> None:
        from berjasa.spreadsheet import ID, NUMBER, TEXT, Column, write_xlsx

        with open(self.buffer, encoding="utf-8", newline="") as source:
            rows = csv.reader(source)
            heading = next(rows)
            columns = [Column(f"c{i}", name, ID if i in self.identifiers else TEXT)
                       for i, name in enumerate(heading[:-1])] + [Column("baris", heading[-1], NUMBER)]
            descriptor = open_private(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            try:
                with open(descriptor, "wb") as target:
                    write_xlsx(target, columns, ([*cells[:-1], int(cells[-1])] for cells in rows),
                               sheet_title="Ditolak")
            except BaseException:
                self.path.unlink(missing_ok=True)
                raise
        self.buffer.unlink()

    def close(self) -> None:
        """Close the file without completing it (a workbook's buffer is removed)."""
        if self.handle is not None:
            self.handle.close()
        if self.workbook and not self.finished:
            self.buffer.unlink(missing_ok=True)

    def discard(self) -> None:
        """Close and remove the file (a whole-file error: its rows mean nothing)."""
        self.discarded = True
        self.close()
        self.path.unlink(missing_ok=True)
        self.buffer.unlink(missing_ok=True)


def _safe_cell(value: str) -> str:
    """Rejects are opened in Excel: the one formula-safe rule of every export
    (berjasa.spreadsheet: a leading ``'`` before = + - @ tab CR, control characters
    neutralised)."""
    return safe_text(value)
