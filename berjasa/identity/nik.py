"""NIK and KK numbers: parsing, structure, region, the date inside, and the
cross-checks against the form's birth date and sex.

Every problem has a stable English ``code`` and a message in Bahasa Indonesia
naming the part that is wrong. Messages never repeat a whole NIK or KK, because
messages end up in logs (UU PDP).

Decisions that docs/domain.md leaves open:

* Inside a NIK/KK only spaces (U+0020 and the no-break spaces) are removed; outer
  whitespace of any kind is trimmed. Dots, dashes and other separators are refused
  (``nik_not_digits``), never removed: "73.71..." is as likely a spreadsheet number as
  a dotted NIK, and the enumerator must retype it from the KTP either way.
* Non-ASCII digits (full-width, Arabic-Indic) are refused as ``nik_not_digits``.
* The date inside a NIK/KK is checked in 20YY. 19YY and 20YY share a calendar except
  for 1900 (not a leap year), so "29-02-00" is accepted.
* A NIK whose first two digits are no province gets no region warning as well: the
  error already says the region is wrong.
* A 7371 NIK/KK whose kecamatan digits are not a Makassar kecamatan gets the warning
  ``*_kecamatan_unknown`` (not in the brief; it is a warning, so nothing is blocked).
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from berjasa.identity.common import DIGITS, describe_characters
from berjasa.reference import MAKASSAR, PROVINCE_CODES, kecamatan_codes

_SPACES = ("\u0020", "\u00a0", "\u2007", "\u202f")
# What spreadsheets make of a long number: 7.37101E+15 (7,37101E+15 in an
# Indonesian locale) or 7371011234560001.0 after a float round trip. One mantissa
# digit and a short exponent, so a NIK mistyped with an "E" stays nik_not_digits.
_SCIENTIFIC = re.compile(r"^[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]{1,2}$")
_DECIMAL_TAIL = re.compile(r"^[0-9]+[.,]0+$")
_MAKASSAR_PREFIX = MAKASSAR.replace(".", "")
_LABELS = {"nik": "NIK", "kk": "Nomor KK"}
_SEXES = frozenset("LP")


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a second look) with an identity number."""

    code: str
    message: str
    severity: str = "error"


class NikParts(NamedTuple):
    """The fields of a 16-digit NIK (or KK: ``day`` is then the issue day). A named
    tuple: split on every NIK check, and a frozen dataclass is slow to build."""

    region: str
    province: str
    day: int
    month: int
    year2: int
    serial: int

    @property
    def sex(self) -> str | None:
        """"L" for day 01-31, "P" for 41-71 (women's day plus 40), else None."""
        if 1 <= self.day <= 31:
            return "L"
        if 41 <= self.day <= 71:
            return "P"
        return None

    @property
    def birth_day(self) -> int:
        """The day of birth, with the 40 added for women taken off."""
        return self.day - 40 if self.day > 40 else self.day


def has_errors(problems: list[Problem]) -> bool:
    """True when any problem is an error rather than a warning."""
    return any(p.severity == "error" for p in problems)


def nik_parts(nik: str) -> NikParts:
    """Split a 16-digit NIK or KK into its parts; ValueError for anything else."""
    if not isinstance(nik, str) or len(nik) != 16 or not (nik.isascii() and nik.isdigit()):
        raise ValueError("nik_parts expects exactly 16 ASCII digits")
    return _split(nik)


_new_parts = tuple.__new__  # what NikParts(...) runs, without its Python-level __new__


def _split(number: str) -> NikParts:
    """:func:`nik_parts` of 16 ASCII digits already checked: the ten digits after
    the region read as one integer and divided (one text-to-integer conversion
    instead of four; each costs more than the arithmetic)."""
    rest, serial = divmod(int(number[6:]), 10000)
    rest, year2 = divmod(rest, 100)
    day, month = divmod(rest, 100)
    return _new_parts(NikParts, (number[:6], number[:2], day, month, year2, serial))


def _strip_spaces(text: str) -> str:
    """Trim outer whitespace and drop inner spaces, the only separator people type."""
    text = text.strip()
    for space in _SPACES:
        text = text.replace(space, "")
    return text


def _looks_like_spreadsheet_number(text: str) -> bool:
    """True for scientific notation or a trailing ".0": digits already lost."""
    return bool(_SCIENTIFIC.match(text) or _DECIMAL_TAIL.match(text))


def is_nik_damaged_by_spreadsheet(value) -> bool:
    """True when a NIK or KK looks like what a spreadsheet made of it: a float,
    scientific notation, a trailing ".0", or fewer than 16 digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return True  # a float cannot hold 16 digits reliably
    if isinstance(value, int):
        return len(str(abs(value))) < 16
    if not isinstance(value, str):
        return False
    text = _strip_spaces(value)
    if _looks_like_spreadsheet_number(text):
        return True
    return bool(text) and set(text) <= DIGITS and len(text) < 16


def _parse_number(value, kind: str) -> tuple[str, list[Problem]]:
    """Return the 16 digits of a NIK/KK, or the one structural problem that stops
    any further check."""
    if type(value) is str and len(value) == 16 and value.isascii() and value.isdigit():
        return value, []  # the usual case, typed cleanly: nothing below would change it
    label = _LABELS[kind]
    if value is None or (isinstance(value, str) and not _strip_spaces(value)):
        return "", [Problem(f"{kind}_required", f"{label} wajib diisi (16 digit dari "
                            f"{'KTP' if kind == 'nik' else 'Kartu Keluarga'}).")]
    if not isinstance(value, str):
        # JSON numbers lose digits above 2**53 and every leading zero.
        return "", [Problem(f"{kind}_not_text", f"{label} harus ditulis sebagai teks "
                            "16 digit, bukan angka.")]
    text = _strip_spaces(value)
    retype = f"Ketik ulang {label} dari {'KTP' if kind == 'nik' else 'Kartu Keluarga'}."
    if _looks_like_spreadsheet_number(text):
        return "", [Problem(f"{kind}_damaged_by_spreadsheet", f"{label} sudah dirusak "
                            "spreadsheet (diubah menjadi angka, digit terakhir hilang dan "
                            f"tidak bisa dipulihkan). {retype}")]
    bad = [c for c in text if c not in DIGITS]
    if bad:
        return "", [Problem(f"{kind}_not_digits", f"{label} hanya boleh berisi angka 0-9, "
                            "tanpa titik, tanda hubung atau huruf; ditemukan: "
                            f"{describe_characters(bad)}.")]
    if len(text) < 16:
        return "", [Problem(f"{kind}_damaged_by_spreadsheet", f"{label} hanya {len(text)} "
                            "digit, harus 16. Digit yang hilang (sering karena spreadsheet) "
                            f"tidak bisa ditebak. {retype}")]
    if len(text) > 16:
        return "", [Problem(f"{kind}_length", f"{label} terlalu panjang: {len(text)} digit, "
                            "harus tepat 16.")]
    return text, []


def _region_problems(number: str, kind: str) -> list[Problem]:
    """Province must exist; outside Makassar is only a warning (people move)."""
    return list(_region_problems_of(number[:6], kind))


@functools.lru_cache(maxsize=4096)
def _region_problems_of(number: str, kind: str) -> tuple[Problem, ...]:
    """:func:`_region_problems` of a number's six region digits (all it reads), kept:
    a kelurahan's numbers share a handful of regions, and every record's NIK and KK
    are checked two or three times each (Problems are frozen, so shared safely)."""
    label = _LABELS[kind]
    province = number[:2]
    if int(province) not in PROVINCE_CODES:
        return (Problem(f"{kind}_province_unknown", f"Kode provinsi di {label} (2 digit "
                        f"pertama: {province}) tidak dikenal; periksa lagi dari dokumen."),)
    if number[:4] != _MAKASSAR_PREFIX:
        return (Problem(f"{kind}_region_outside_makassar", f"Kode wilayah di {label} "
                        f"({number[:2]}.{number[2:4]}) bukan Kota Makassar ({MAKASSAR}). Ini "
                        "wajar bagi pendatang; pastikan berdomisili di Makassar.", "warning"),)
    if number[:6] not in kecamatan_codes():
        return (Problem(f"{kind}_kecamatan_unknown", f"Kode kecamatan di {label} "
                        f"({MAKASSAR}.{number[4:6]}) bukan kecamatan Makassar; periksa "
                        "lagi dari dokumen.", "warning"),)
    return ()


def _date_exists(day: int, month: int, year2: int) -> bool:
    """Whether DD-MM-YY is a real date (read as 20YY, see the module docstring)."""
    try:
        datetime.date(2000 + year2, month, day)
    except ValueError:
        return False
    return True


def _nik_date_problems(parts: NikParts) -> list[Problem]:
    """Day and month ranges, then whether the date exists at all."""
    problems = []
    if parts.sex is None:
        problems.append(Problem("nik_day_invalid", f"Tanggal lahir di NIK (digit 7-8: "
                                f"{parts.day:02d}) tidak sah: 01-31 untuk laki-laki, 41-71 "
                                "untuk perempuan (tanggal lahir ditambah 40)."))
    if not 1 <= parts.month <= 12:
        problems.append(Problem("nik_month_invalid", f"Bulan lahir di NIK (digit 9-10: "
                                f"{parts.month:02d}) tidak sah: harus 01-12."))
    if not problems and not _date_exists(parts.birth_day, parts.month, parts.year2):
        problems.append(Problem("nik_date_invalid", "Tanggal lahir di NIK (digit 7-12: "
                                f"{parts.birth_day:02d}-{parts.month:02d}-{parts.year2:02d}) "
                                "tidak ada di kalender."))
    return problems


def _sex_problems(parts: NikParts, sex: str | None) -> list[Problem]:
    """The +40 in the day must agree with the declared sex."""
    declared = sex.strip().upper() if isinstance(sex, str) else None
    if declared not in _SEXES or parts.sex in (None, declared):
        return []
    if declared == "P":
        detail = (f"Tanggal lahir di NIK ({parts.day:02d}) adalah tanggal laki-laki, padahal "
                  "di formulir perempuan (P). Untuk perempuan tanggal lahir di NIK ditambah "
                  f"40 ({parts.day:02d} + 40 = {parts.day + 40}).")
    else:
        detail = (f"Tanggal lahir di NIK ({parts.day}) lebih dari 40, tanda perempuan "
                  f"(perempuan ditambah 40: {parts.day} - 40 = {parts.birth_day:02d}), "
                  "padahal di formulir laki-laki (L).")
    return [Problem("nik_sex_mismatch", "Jenis kelamin tidak cocok dengan NIK. " + detail)]


def _birth_date_problems(parts: NikParts, birth_date: datetime.date) -> list[Problem]:
    """One problem per part (hari, bulan, tahun) that disagrees with the form."""
    found = []
    if parts.sex is not None and parts.birth_day != birth_date.day:
        nik_day = (f"{parts.day} - 40 = {parts.birth_day:02d}" if parts.sex == "P"
                   else f"{parts.day:02d}")
        found.append(("hari", nik_day, f"{birth_date.day:02d}"))
    if 1 <= parts.month <= 12 and parts.month != birth_date.month:
        found.append(("bulan", f"{parts.month:02d}", f"{birth_date.month:02d}"))
    if parts.year2 != birth_date.year % 100:
        found.append(("tahun", f"{parts.year2:02d}",
                      f"{birth_date.year} ({birth_date.year % 100:02d})"))
    return [Problem("nik_birth_date_mismatch", f"Tanggal lahir tidak cocok dengan NIK: "
                    f"{part} lahir di NIK {in_nik}, di formulir {in_form}.")
            for part, in_nik, in_form in found]


def _as_date(birth_date) -> datetime.date | None:
    """Accept a date, a datetime or an ISO "YYYY-MM-DD" string."""
    if birth_date is None or isinstance(birth_date, datetime.datetime):
        return birth_date.date() if birth_date else None
    if isinstance(birth_date, datetime.date):
        return birth_date
    if isinstance(birth_date, str):
        return datetime.date.fromisoformat(birth_date)
    raise TypeError("birth_date must be a datetime.date")


def check_nik(value, birth_date: datetime.date | None = None,
              sex: str | None = None) -> list[Problem]:
    """Every problem with a NIK, alone or against the form's birth date and sex
    ("L"/"P"; other values are not compared). Empty list: the NIK is fine."""
    number, problems = _parse_number(value, "nik")
    if problems:
        return problems
    parts = _split(number)
    problems = _region_problems(number, "nik") + _nik_date_problems(parts)
    if parts.serial == 0:
        problems.append(Problem("nik_serial_zero", "Nomor urut di NIK (4 digit terakhir) "
                                "tidak boleh 0000."))
    return problems + _form_problems(parts, birth_date, sex)


def nik_form_problems(value, birth_date: datetime.date | None = None,
                      sex: str | None = None) -> list[Problem]:
    """Only the problems of a NIK against the form's birth date and sex (those of
    :func:`check_nik` with these codes: ``nik_sex_mismatch``,
    ``nik_birth_date_mismatch``); none when the NIK itself cannot be read."""
    number, problems = _parse_number(value, "nik")
    if problems:
        return []
    return _form_problems(_split(number), birth_date, sex)


def _form_problems(parts: NikParts, birth_date, sex: str | None) -> list[Problem]:
    """The sex digits against the declared sex, then the date digits against the
    declared birth date."""
    problems = _sex_problems(parts, sex)
    birth = _as_date(birth_date)
    if birth is not None:
        problems += _birth_date_problems(parts, birth)
    return problems


def region_warnings(value, kind: str = "nik") -> list[Problem]:
    """The warnings among the problems of :func:`check_nik` (``kind="nik"``) or
    :func:`check_kk` (``"kk"``): a region outside Makassar or an unknown Makassar
    kecamatan. Only the region check gives warnings, so the date and serial checks
    (errors) are skipped; nothing when the number cannot be read."""
    number, problems = _parse_number(value, kind)
    if problems:
        return []
    return list(_region_warnings_of(number[:6], kind))


@functools.lru_cache(maxsize=4096)
def _region_warnings_of(region: str, kind: str) -> tuple[Problem, ...]:
    """The warnings among :func:`_region_problems_of`, kept the same way (every
    new record asks for its NIK's and KK's)."""
    return tuple(p for p in _region_problems_of(region, kind) if p.severity == "warning")


def check_kk(value) -> list[Problem]:
    """Every problem with a KK number (region, issue date DDMMYY without +40, serial)."""
    number, problems = _parse_number(value, "kk")
    if problems:
        return problems
    parts = _split(number)
    problems = _region_problems(number, "kk")
    if not _date_exists(parts.day, parts.month, parts.year2):
        problems.append(Problem("kk_date_invalid", "Tanggal terbit di Nomor KK (digit 7-12: "
                                f"{parts.day:02d}-{parts.month:02d}-{parts.year2:02d}) tidak "
                                "ada di kalender (KK tidak memakai tambahan 40)."))
    if parts.serial == 0:
        problems.append(Problem("kk_serial_zero", "Nomor urut di Nomor KK (4 digit terakhir) "
                                "tidak boleh 0000."))
    return problems
