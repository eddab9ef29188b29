"""Opening an XLSX workbook for an import: which sheet holds the list, and cells that
would be read empty although they hold something.

**The sheet** (docs/central.md "Workbooks"): the list is the one visible sheet whose
first filled row has the import's required columns (an instruction sheet or a table of
kelurahan codes beside it is normal and is not read). A workbook where more than one
visible sheet has those columns (a list split by kecamatan), or where another visible
sheet holds NIKs under other headings (rows continued on a second sheet without a
header), is refused naming each sheet and its rows: importing one of them would replace
the list in force by a part of it. Hidden and empty sheets are never read; every sheet
not read is named in the summary (``sheets_not_read``).

**Limits** (docs/central.md "Hostile files"): the zip is checked before openpyxl opens
it (:mod:`central.import_archive`); each sheet is read without the size its dimension
record claims (openpyxl pads every row to it: a few hundred bytes claiming A1:XFD1048576
made 17 billion cells, and a record smaller than the data dropped the rows past it); a
row past Excel's last (1,048,576), more cells in all than a quarter of the import's byte
limit, or a cell longer than Excel's 32,767 characters refuses the file.

**Cells read empty** (openpyxl's read-only mode, cached values): a formula whose result
the file does not store (a workbook written by openpyxl or another program that does not
calculate; Excel stores the result) reads as empty, and so does every cell of a merged
range but its first. An empty income, JHT or status is a meaningful value (lowest band,
no JHT, active), so the sheet's XML is checked first (:mod:`central.import_sheet_xml`:
one streaming pass that only searches bytes; the cells are parsed only when a formula
without a stored value may be there) and such a cell in a column the import reads refuses the whole
file, naming the sheet, the column and the cell.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

from berjasa.logs import mask_identity_numbers
from berjasa.number_text import thousands
from berjasa.os_errors import os_error_text
from central.import_archive import check_workbook, lie_in, unreadable
from central.import_columns import REQUIRED, match_header
from central.import_reading import XLSX, ImportFileError, Reading, map_header
from central.import_sheet_xml import (
    UnstoredFormulas,
    column_letters,
    formulas_without_value,
    merge_bounds,
    scan_sheet,
    sheet_members,
)

MAX_ROWS = 1_048_576  # Excel's last row
MAX_CELL = 32_767     # the most characters an Excel cell holds


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


def _damaged(name: str, exc: BaseException) -> ImportFileError:
    if lie_in(exc) is not None:
        return unreadable(name, exc)
    return ImportFileError(f"{name} rusak di tengah lembar kerja ({exc.__class__.__name__}); "
                           f"data lama tidak diganti")


def _workbook_rows(rows: Iterator[tuple[int, list[str]]], name: str) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows with their row numbers; a damaged part of the file becomes one clear ImportFileError."""
    try:
        yield from rows
    except ImportFileError:
        raise
    except Exception as exc:  # zip or XML damage found while streaming
        raise _damaged(name, exc) from exc


def _sheet_rows(sheet: Any, title: str, name: str, cells_left: list[int]) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of an openpyxl read-only sheet, its dimension record
    ignored; ImportFileError past Excel's last row, past ``cells_left[0]`` cells in all
    (shared by the workbook's sheets) or at a cell longer than Excel's (module docstring)."""
    sheet.reset_dimensions()
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells_left[0] -= len(row)
        if number > MAX_ROWS or cells_left[0] < 0:
            why = (f"ada baris di bawah baris {thousands(MAX_ROWS)} (baris terakhir Excel)" if number > MAX_ROWS
                   else "berisi lebih banyak sel dari batas impor (satu sel untuk setiap 4 byte "
                        "central_import_max_bytes)")
            raise ImportFileError(f"{name}: lembar \"{title}\" {why}: berkas rusak atau bukan dari Excel; "
                                  f"data lama tidak diganti")
        cells = ["" if value is None else xlsx_text(value) for value in row]
        if cells and max(map(len, cells)) > MAX_CELL:
            column = next(i for i, cell in enumerate(cells, start=1) if len(cell) > MAX_CELL)
            raise ImportFileError(
                f"{name}: lembar \"{title}\", sel {column_letters(column)}{number}: "
                f"{thousands(len(cells[column - 1]))} karakter, lebih dari {thousands(MAX_CELL)} (batas satu sel "
                f"Excel): berkas rusak atau bukan dari Excel; data lama tidak diganti")
        yield number, cells


@dataclass
class _Sheet:
    """One sheet of the workbook: its rows (``(row number, cells)``, read once, streaming)
    and its first filled row (the header, when it is the list)."""

    title: str
    hidden: bool
    name: str  # as the workbook names it (``title`` is as a message shows it)
    rows: Iterator[tuple[int, list[str]]]
    header_line: int = 0
    header: list[str] | None = None
    is_list: bool = False
    filled: int = 0   # filled rows read so far (the header too)

    def read_header(self) -> None:
        for line, cells in self.rows:
            if "".join(cells).strip():
                self.header_line, self.header, self.filled = line, cells, 1
                return

    def count_rest(self) -> bool:
        """Read the rest of the sheet: count its filled rows; whether one holds a NIK
        (16 digits, or a number Excel shows as 7.37101E+15), its first one included."""
        niks = bool(self.header) and bool(_NIK_LIKE.search("|".join(self.header or [])))
        for _, cells in self.rows:
            text = "|".join(cells)
            if text.strip("| "):
                self.filled += 1
                niks = niks or bool(_NIK_LIKE.search(text))
        return niks

    def shown(self) -> str:
        if self.header is None:
            return f"\"{self.title}\" (kosong)"
        rows = (f"{self.filled - 1} baris data" if self.is_list else f"{self.filled} baris terisi")
        return f"\"{self.title}\" ({'tersembunyi, ' if self.hidden else ''}{rows})"


def _printable(text: str) -> str:
    """A sheet title or heading as a one-line message may show it (no line break, no ESC;
    a NIK masked: the summary goes to the audit trail)."""
    return mask_identity_numbers("".join(c if c.isprintable() else " " for c in text))


# A NIK in a row: 16 digits (an apostrophe or spaces around), or Excel's number form.
_NIK_LIKE = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])|[0-9]\.[0-9]+E\+1[5-9]")
_KIND_NAMES = {"dtsen": "ekstrak DTSEN", "bpjs-participants": "daftar peserta BPJS",
               "cohort": "kohort 2024", "jht": "daftar JHT"}


def open_workbook(path: Path, kind: str, max_bytes: int) -> tuple[Reading, Any]:
    """(reading, the workbook to close) of the sheet that holds the ``kind`` list (module
    docstring); ImportFileError when none does, when more than one may, when a cell the
    import reads would be read empty (a formula without its result, a merge), or when the
    file could cost more than an import of ``max_bytes`` (:mod:`central.import_archive`)."""
    from openpyxl import load_workbook  # only an XLSX import needs it

    check_workbook(path, max_bytes)
    cells_left = [max_bytes // 4]
    try:
        counter = _DigestOnly(path)
        raw = path.open("rb")  # a file, not the name: openpyxl would refuse other suffixes
    except OSError as exc:
        raise ImportFileError(f"berkas tidak dapat dibaca: {path} ({os_error_text(exc)})") from exc
    opened = _OpenWorkbook(raw)
    try:
        try:
            opened.book = load_workbook(raw, read_only=True, data_only=True)
            sheets = [_Sheet(_printable(ws.title), ws.sheet_state != "visible", ws.title,
                             _sheet_rows(ws, _printable(ws.title), path.name, cells_left))
                      for ws in opened.book.worksheets]
            for sheet in sheets:
                sheet.read_header()
        except ImportFileError:
            raise
        except Exception as exc:  # a damaged zip or XML: one clear line
            raise unreadable(path.name, exc) from exc
        chosen = _choose(sheets, kind, path.name)
        try:
            others = [sheet for sheet in sheets if sheet is not chosen]
            continued = [sheet for sheet in others if sheet.header is not None and sheet.count_rest()
                         and not sheet.hidden]
        except ImportFileError:
            raise
        except Exception as exc:
            raise _damaged(path.name, exc) from exc
        if continued:
            raise ImportFileError(
                f"{path.name}: lembar {', '.join(s.shown() for s in continued)} juga berisi NIK, "
                f"di bawah judul kolom yang bukan judul {_KIND_NAMES[kind]}; hanya lembar "
                f"\"{chosen.title}\" yang dapat diimpor. Bila itu lanjutan datanya, pindahkan barisnya "
                f"ke lembar \"{chosen.title}\"; bila bukan, hapus lembar itu atau simpan lembar "
                f"\"{chosen.title}\" sebagai berkas sendiri, lalu impor ulang; data lama tidak diganti")
        assert chosen.header is not None
        found = map_header(chosen.header, kind)
        _check_cells(path, chosen, found, kind)
    except BaseException:
        opened.close()
        raise
    not_read = [{"sheet": s.title, "hidden": s.hidden, "rows": s.filled} for s in others]
    return Reading(chosen.header, _workbook_rows(chosen.rows, path.name), counter,
                   path.stat().st_size, XLSX, sheet=chosen.title, sheets_not_read=not_read), opened


def _choose(sheets: list[_Sheet], kind: str, name: str) -> _Sheet:
    """The one visible sheet whose first filled row has the required columns."""
    visible = [s for s in sheets if not s.hidden and s.header is not None]
    for sheet in visible:
        sheet.is_list = not match_header(sheet.header or [], kind).missing
    lists = [s for s in visible if s.is_list]
    if len(lists) > 1:
        for sheet in lists:
            sheet.count_rest()
        raise ImportFileError(
            f"{name}: {_KIND_NAMES[kind]} ada di lebih dari satu lembar: "
            f"{', '.join(s.shown() for s in lists)}; satu impor membaca satu lembar, dan sebagian "
            f"daftar akan menggantikan seluruh daftar yang berlaku. Gabungkan barisnya ke satu lembar "
            f"(satu baris judul), atau simpan lembar yang dimaksud sebagai berkas sendiri, lalu impor "
            f"ulang; data lama tidak diganti")
    if lists:
        return lists[0]
    if not visible:
        hidden = [s for s in sheets if s.header is not None]
        shown = (f" (lembar tersembunyi tidak dibaca: {', '.join(s.shown() for s in hidden)})"
                 if hidden else "")
        raise ImportFileError(f"berkas kosong: {name}{shown}")
    first = visible[0]
    try:
        map_header(first.header or [], kind)
    except ImportFileError as missing:
        if len(sheets) == 1:
            raise
        listed = ", ".join(f"\"{s.title}\"" + (" (tersembunyi)" if s.hidden else "")
                           + (" (kosong)" if s.header is None else "") for s in sheets)
        raise ImportFileError(f"{missing} (tidak ada lembar dengan kolom wajib {_KIND_NAMES[kind]}: "
                              f"{', '.join(REQUIRED[kind])}; lembar di buku kerja: {listed}; yang "
                              f"terbaca di atas: lembar \"{first.title}\")") from None
    raise AssertionError("a sheet without missing columns is a list")  # pragma: no cover


def _check_cells(path: Path, sheet: _Sheet, found: dict[str, int], kind: str) -> None:
    """Refuse the file when a cell the import reads would be read empty although the
    sheet holds something there (module docstring)."""
    columns = {index + 1 for index in found.values()}
    labels = {index + 1: _printable((sheet.header or [])[index].strip().lstrip("\ufeff")) or name
              for name, index in found.items()}
    unstored = UnstoredFormulas(sheet.header_line, columns)
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                member = sheet_members(archive).get(sheet.name)
            except ParseError as exc:  # the package's own XML (openpyxl read it already)
                raise _damaged(path.name, exc) from exc
            if member is None:  # the package does not say where the sheet is: nothing to scan
                return
            merges, unplaced = scan_sheet(archive, member, unstored)
            if unplaced:  # a cell without its place: read them one by one
                unstored = UnstoredFormulas(sheet.header_line, columns)
                formulas_without_value(archive, member, unstored)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged(path.name, exc) from exc
    if unstored.first is not None:
        cell, row = unstored.first
        shown = ", ".join("baris judul" if c == 0 else labels[c] for c in sorted(unstored.where))
        more = f"{unstored.count} sel" if unstored.count > 1 else "sel"
        raise ImportFileError(
            f"{path.name}: lembar \"{sheet.title}\", kolom {shown}: {more} berisi rumus tanpa hasil "
            f"tersimpan (yang pertama sel {cell}, baris {row}), sehingga terbaca kosong: berkas "
            f"disimpan oleh program yang tidak menghitung rumus. Buka berkas itu lalu simpan ulang di "
            f"Excel (Excel menyimpan hasil rumusnya), atau salin kolom itu lalu Tempel Nilai (Paste "
            f"Values), dan impor ulang; data lama tidak diganti")
    for ref in merges:
        left, top, right, bottom = merge_bounds(ref)
        if bottom < sheet.header_line or (left == right and top == bottom):
            continue
        hit = sorted(c for c in columns if left <= c <= right)
        if hit:
            raise ImportFileError(
                f"{path.name}: lembar \"{sheet.title}\", sel gabungan (merge) {ref} di kolom "
                f"{labels[hit[0]]}: hanya sel pertamanya yang berisi nilai, sel lain di rentang itu "
                f"terbaca kosong. Batalkan penggabungan (Unmerge) dan isi setiap sel, lalu simpan "
                f"dan impor ulang; data lama tidak diganti")
