"""The cells of an import file, one by one: the cleaners that read a NIK, KK, KPJ,
date, month, kelurahan code, desil, income or flag as central stores it, and the
reason codes (:data:`REASONS`) a refused row carries in the rejects file.

Plain functions, hypothesis-tested (tests/unit/test_import_cleaners.py); a cleaner
raises :class:`RowRejected` naming its code and column. The file around them is read
by :mod:`central.import_reading`, a row made of them by :mod:`central.import_rows`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from berjasa import local_time, reference
from berjasa.identity import is_nik_damaged_by_spreadsheet
from berjasa.number_text import RUPIAH_PROBLEMS, RupiahUnreadable, parse_rupiah
from central.bpjs_status import STATUSES, bpjs_status

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
    "jht_invalid": "isian JHT tidak dikenal: tulis ya atau tidak",
    "bpjs_status_unknown": "status kepesertaan tidak dikenal: tulis Aktif, Nonaktif, Keluar, "
                           "Meninggal atau Ditolak",
    "control_character": "berisi karakter kontrol (mis. NUL atau ganti baris) atau karakter tak "
                         "terlihat (mis. U+202E pengatur arah teks) yang tidak boleh disimpan; "
                         "hapus dari sel itu",
}


class RowRejected(ValueError):
    """One row refused: ``code`` (REASONS), the column it concerns and, when the reason's
    text is not enough, ``detail`` for ``keterangan``; ``value``: the cell as read, for
    a value the import does not know (the summary counts the distinct ones)."""

    def __init__(self, code: str, column: str, detail: str | None = None,
                 value: str | None = None) -> None:
        super().__init__(code)
        self.code, self.column, self.detail, self.value = code, column, detail, value


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


# Yes and no as people and Excel write them (Indonesian and English; ``BENAR``/``SALAH``
# are Indonesian Excel's TRUE/FALSE, a workbook's TRUE cell is read as ``1``; ticks).
YES = frozenset({"ya", "iya", "y", "yes", "benar", "true", "1", "ikut", "v", "x", "\u2713",
                 "\u2714", "\u221a", "\u2611"})
NO = frozenset({"", "tidak", "tdk", "t", "n", "no", "salah", "false", "0", "-", "tidak ikut"})
_FLAGS = {**{word: 1 for word in YES}, **{word: 0 for word in NO}}
_TRAILING = ".,;:!?"


def clean_flag(raw: str | None, column: str = "jht") -> int:
    """1 for a yes (:data:`YES`), 0 for a no or an empty cell (:data:`NO`), after
    trimming, case folding and dropping trailing punctuation (``Ya.``, ``TIDAK!``);
    anything else refuses the row (``jht_invalid``, naming the value): an unknown
    word read as "no" silently dropped the worker's JHT from the payment list."""
    flag = _FLAGS.get(raw)  # type: ignore[arg-type]  # the common case: "ya", "", "1"
    if flag is not None:
        return flag
    text = " ".join(strip_cell(raw).casefold().split()).rstrip(_TRAILING + " ")
    flag = _FLAGS.get(text)
    if flag is None:
        shown = strip_cell(raw)[:40]
        raise RowRejected("jht_invalid", column, f"isian JHT \"{shown}\" tidak dikenal: tulis ya "
                          f"(juga: iya, y, benar, true, 1, ikut, v, \u2713) atau tidak (juga: tdk, n, "
                          f"salah, false, 0, kosong)", value=shown)
    return flag


def clean_bpjs_status(raw: str | None) -> str:
    """The canonical status of a BPJS list's status cell (:func:`central.bpjs_status.
    bpjs_status`: ``Aktif (BPU)`` is ``aktif``, ``Non Aktif`` is ``nonaktif``); an
    unknown spelling refuses the row (``bpjs_status_unknown``, naming the value): read as
    "not a participant", it registered a participant a second time."""
    status = bpjs_status(raw)
    if status is None:
        shown = strip_cell(raw)[:40]
        raise RowRejected("bpjs_status_unknown", "status",
                          f"status \"{shown}\" tidak dikenal; tulis salah satu: "
                          f"{', '.join(word.capitalize() for word in STATUSES)}", value=shown)
    return status
