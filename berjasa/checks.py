"""The business checks of an enrollment: the rules that need the settings, the
date, or more than one field. Plain functions: no Flask, no marshmallow.

The schema (``berjasa/enrollment_schema.py``) checks types and shapes and turns
the payload into values; :func:`check_enrollment` then judges those values. Both
run for every record, single or batch; the schema reports the problems found here
under their field names, next to its own.

``values`` may be partial: a field the schema refused is absent, and every check
that needs it is skipped (each bad field is reported once, for its own reason).
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from typing import Any

from berjasa import identity
from berjasa.identity import Problem
from berjasa.local_time import wita
from berjasa.number_text import rupiah

DEFAULT_OLDEST_AGE = 110
DEFAULT_INCOME_MIN = 0
DEFAULT_INCOME_MAX = 50_000_000
CAPTURE_CLOCK_SLACK = dt.timedelta(days=1)

FieldProblems = dict[str, list[Problem]]


def check_enrollment(values: dict[str, Any], settings: dict[str, Any], today: dt.date,
                     now: dt.datetime | None = None) -> FieldProblems:
    """Every business problem of loaded enrollment values, by field name, in field
    order; empty when there is none. ``now`` (aware) defaults to the current time."""
    problems: FieldProblems = {}
    for field, found in (
        ("birth_date", birth_date_problems(values.get("birth_date"), settings, today)),
        ("nik", nik_cross_problems(values)),
        ("monthly_income", income_problems(values.get("monthly_income"), settings)),
        ("work_category", work_category_problems(values.get("work_category"), settings)),
        ("captured_at", captured_at_problems(values.get("captured_at"), now)),
    ):
        if found:
            problems[field] = found
    return problems


def birth_date_problems(birth: dt.date | None, settings: dict[str, Any],
                        today: dt.date) -> list[Problem]:
    """Not in the future, and not older than ``oldest_age_years``."""
    if birth is None:
        return []
    oldest = settings.get("oldest_age_years", DEFAULT_OLDEST_AGE)
    if birth > today:
        return [Problem("birth_date_in_future", "Tanggal lahir tidak boleh di masa depan.")]
    if today.year - birth.year > oldest:
        return [Problem("birth_date_implausible",
                        f"Tanggal lahir tidak masuk akal (umur lebih dari {oldest} tahun).")]
    return []


def nik_cross_problems(values: dict[str, Any]) -> list[Problem]:
    """The NIK's date and sex digits against the form's birth date and sex."""
    if "nik" not in values or (values.get("birth_date") is None and "sex" not in values):
        return []
    return identity.nik_form_problems(values["nik"], values.get("birth_date"), values.get("sex"))


def income_problems(income: int | None, settings: dict[str, Any]) -> list[Problem]:
    """Declared monthly income within ``income_min``..``income_max``."""
    low = settings.get("income_min", DEFAULT_INCOME_MIN)
    high = settings.get("income_max", DEFAULT_INCOME_MAX)
    if income is None or low <= income <= high:
        return []
    return [Problem("income_out_of_bounds",
                    f"Penghasilan per bulan harus antara {rupiah(low)} dan {rupiah(high)}.")]


def work_category(value: Any, settings: dict[str, Any]) -> str | None:
    """The settings list's spelling of a work category (case-insensitive), or None."""
    if not isinstance(value, str):
        return None
    wanted = value.strip().casefold()
    categories = tuple(settings.get("work_categories", []))
    folded = _folded_categories(categories)
    if folded is None:  # a list with something other than text: look through it as it is
        return next((c for c in categories if c.casefold() == wanted), None)
    return folded.get(wanted)


@functools.lru_cache(maxsize=8)
def _folded_categories(categories: tuple) -> dict[str, str] | None:
    """{folded: the list's first spelling} of a settings list of categories, built
    once per list instead of folding every category for every record."""
    if not all(isinstance(c, str) for c in categories):
        return None
    folded: dict[str, str] = {}
    for category in categories:
        folded.setdefault(category.casefold(), category)
    return folded


def work_category_problems(value: Any, settings: dict[str, Any]) -> list[Problem]:
    """An optional work category must be one of the configured list."""
    if value in (None, "") or work_category(value, settings) is not None:
        return []
    return [Problem("unknown_work_category", "Kategori pekerjaan tidak ada dalam daftar; "
                    "pilih \"Lainnya\" bila tidak ada.")]


def captured_at_problems(captured: dt.datetime | None,
                         now: dt.datetime | None = None) -> list[Problem]:
    """Captured no later than a day from now (a phone's clock may be off a little)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if captured is None or captured <= now + CAPTURE_CLOCK_SLACK:
        return []
    return [Problem("captured_in_future", clock_message("Waktu pendataan", captured, now))]


def clock_message(what: str, phone_time: dt.datetime, now: dt.datetime) -> str:
    """Why a time from the phone lies more than a day ahead of the server, with both
    times: either clock may be the wrong one (a laptop whose clock runs behind
    refuses every phone's records; h2 report item 13)."""
    return (f"{what} dari HP ({wita(phone_time.isoformat())}) lebih dari sehari setelah jam "
            f"laptop kelurahan ({wita(now.isoformat())}): jam HP atau jam laptop salah. "
            "Periksa tanggal dan jam keduanya, betulkan yang salah, lalu kirim lagi.")


# No consent to this program was taken before its first round (the 2024 cohort): an
# earlier time is a phone whose clock was reset (1970, 2000) or a typing mistake.
CONSENT_FLOOR = dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8), "WITA"))


def consent_at_problems(consent_at: dt.datetime | None,
                        now: dt.datetime | None = None) -> list[Problem]:
    """The consent evidence's time: no later than a day from now (the clock slack of
    ``captured_at``) and not before :data:`CONSENT_FLOOR` (1 January 2024 WITA)."""
    if consent_at is None:
        return []
    now = now or dt.datetime.now(dt.timezone.utc)
    if consent_at > now + CAPTURE_CLOCK_SLACK:
        return [Problem("consent_in_future", clock_message("Waktu persetujuan", consent_at, now))]
    if consent_at < CONSENT_FLOOR:
        return [Problem("consent_before_program",
                        "Waktu persetujuan sebelum program dimulai (1 Januari 2024); "
                        "periksa jam di HP.")]
    return []


def has_visible_text(text: str | None) -> bool:
    """Whether ``text`` holds something a person can read: a letter, digit,
    punctuation or symbol. A required reason of spaces, zero-width or direction
    characters alone (U+200B, U+202E) would show as an empty "Alasan:"."""
    return bool(text) and any(unicodedata.category(c)[0] in "LNPS" for c in text)


# --- text a person types (free text, reasons, labels) -----------------------------
#
# design.md: free text "accepts any printable Unicode". Printable leaves out what
# Python's str.isprintable() leaves out, save the spaces: controls (Cc), format
# characters (Cf), surrogates (Cs), private-use (Co) and unassigned (Cn) code points,
# and the Unicode line and paragraph separators (Zl, Zp). None of them is typed on a
# keyboard; they arrive by pasting. Format characters are invisible and some reorder
# what is shown: a right-to-left override (U+202E) makes a review page, a reason or an
# Excel cell read differently from what is stored ("Trojan Source"); U+200B, U+2060,
# U+FEFF and U+00AD hide inside a word, and tag characters (U+E0020-E007F) smuggle
# invisible ASCII. docs/api.md "Free text" holds the decision.

# Line breaks and the tab a textarea can give: what a multi-line field allows.
TYPED_CONTROLS = "\n\r\t"
# What a one-line field (a birth place, an imported name) allows: no control at all. A
# tab there was pasted from a spreadsheet row; it would split the field's exported cell
# (a tab-separated file, Excel's paste) as a line break would, so both are refused.
ONE_LINE_CONTROLS = ""
# The two format characters real text needs: the zero-width non-joiner and joiner
# (Arabic-script and Indic shaping, Persian ZWNJ, emoji sequences such as the family
# emoji). Nothing else of category Cf is needed by the scripts of Indonesia: Lontara
# (Buginese), Makasar, Javanese, Balinese, Sundanese and Batak are letters, marks and
# punctuation, and Latin-script Indonesian needs none at all.
TEXT_JOINERS = "\u200c\u200d"
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Format characters that change the direction text is shown in.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
_SHOWN_AT_MOST = 5


def unprintable_characters(text: str, allowed: str = TYPED_CONTROLS) -> list[str]:
    """The characters of ``text`` that free text refuses, each once, in the order they
    first appear: any control, format, surrogate, private-use or unassigned character
    or Unicode line/paragraph separator, except the zero-width (non-)joiner
    (:data:`TEXT_JOINERS`) and ``allowed``. Empty for what a keyboard types."""
    if text.isprintable():  # the common case: none of those categories at all
        return []
    category, kept = unicodedata.category, allowed + TEXT_JOINERS
    return list(dict.fromkeys(c for c in text if category(c) in UNPRINTABLE_CATEGORIES
                              and c not in kept))


def has_unprintable(text: str, allowed: str = TYPED_CONTROLS) -> bool:
    """Whether ``text`` holds a character free text refuses (:func:`unprintable_characters`)."""
    return bool(unprintable_characters(text, allowed))


def character_kind(char: str) -> str:
    """What an unprintable character is, in a few Indonesian words."""
    if char in BIDI_CONTROLS:
        return "pengatur arah teks"
    return {"Cc": "karakter kontrol", "Cf": "karakter format tak terlihat",
            "Cs": "karakter rusak (surrogate)", "Co": "karakter area pribadi",
            "Cn": "karakter tak dikenal", "Zl": "pemisah baris Unicode",
            "Zp": "pemisah paragraf Unicode"}.get(unicodedata.category(char), "karakter")


def describe_unprintable(chars: list[str]) -> str:
    """``U+202E (pengatur arah teks), U+200B (karakter format tak terlihat)``: at most
    five, then "dan lainnya"."""
    shown = [f"U+{ord(c):04X} ({character_kind(c)})" for c in chars[:_SHOWN_AT_MOST]]
    return ", ".join(shown) + (" dan lainnya" if len(chars) > _SHOWN_AT_MOST else "")


def unprintable_message(chars: list[str], subject: str = "Berisi") -> str:
    """The Indonesian message naming ``chars``; ``subject`` starts it ("Alasan berisi")."""
    return (f"{subject} karakter tak terlihat atau tak tercetak: {describe_unprintable(chars)}. "
            "Hapus karakter itu; bila tidak kelihatan, hapus isian ini lalu ketik ulang.")


def unprintable_problem(text: str, allowed: str = TYPED_CONTROLS,
                        subject: str = "Berisi") -> Problem | None:
    """None for printable ``text``; else the problem ``unprintable_characters`` whose
    message names each refused character by its code (U+202E) and kind."""
    chars = unprintable_characters(text, allowed)
    if not chars:
        return None
    return Problem("unprintable_characters", unprintable_message(chars, subject))


REASON_SUBJECT = "Alasan berisi"


def reason_unprintable_problem(reason: str) -> Problem | None:
    """:func:`unprintable_problem` of a reason (several lines and tabs allowed)."""
    return unprintable_problem(reason, TYPED_CONTROLS, REASON_SUBJECT)
