"""What an erasure or export request (UU PDP) must carry, checked the same way at
the kelurahan (:mod:`server.privacy`) and at central (:mod:`central.privacy`); the
NIK check is also central's for a verifier's send-back (:mod:`central.verification`):
every NIK a person types is read the one way."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from berjasa import identity
from berjasa.checks import reason_unprintable_problem
from berjasa.problems import ValidationFailed

MAX_REASON = 500
# The reason the kelurahan's retention purge erases a record with (server.privacy.purge):
# nobody asked for it, so a record of that NIK met again is not judged against it
# (:func:`captured_before`; server/erased_niks.py, central/ingest.py).
RETENTION_REASON_PREFIX = "Retensi: "


def retention_reason(days: int) -> str:
    """The reason of a retention purge of records rejected more than ``days`` ago."""
    return f"{RETENTION_REASON_PREFIX}ditolak lebih dari {days} hari"


def _moment(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def captured_before(values: Mapping[str, Any], erased_at: str) -> bool:
    """Whether a record whose NIK was erased at its owner's request at ``erased_at``
    was captured, or consented to, at or before the erasure (either time: a card
    saved before it keeps its old capture time even if the consent box was ticked
    again): a copy the person withdrew, refused at the kelurahan (409 ``erased``)
    and at central (``erased_on_request``). A time that cannot be read counts as
    before. Only a record with both times after the erasure carries a new consent."""
    erased = _moment(erased_at)
    consent = values.get("consent")
    times = [_moment(values.get("captured_at")),
             _moment(consent.get("at") if isinstance(consent, Mapping) else None)]
    return erased is None or any(t is None or t <= erased for t in times)


def checked_nik(nik: str) -> str:
    """A NIK as a person types it (``7371 0155 0675 7208`` too) without its spaces,
    or a 422 naming what is wrong with it (the core's :func:`berjasa.identity.check_nik`)."""
    cleaned = "".join(str(nik).split())
    errors = [p for p in identity.check_nik(cleaned) if p.severity == "error"]
    if errors:
        raise ValidationFailed({"nik": [p.message for p in errors]},
                               {"nik": [p.code for p in errors]})
    return cleaned


def erasure_reason(reason: str | None, request: str = "penghapusan", *,
                   nik: str | None = None,
                   names: Iterable[tuple[str, str | None]] = ()) -> str:
    """The reason of a request (``request``: its name in the message) trimmed:
    required, at most 500 characters, and naming nobody: it is kept in the
    append-only trails (both apps) for good, so it must be the letter number, never
    the person (docs/privacy.md, section 4). Refused, naming the field: the ``nik``
    of the request in any spelling (spaces, dots, dashes, slashes inside), any run
    of 15 or more digits (a NIK or KK number, one digit short too,
    :func:`identity_number_in`), and the record's ``names`` ((field, name) pairs,
    :func:`record_names`): the whole name (run together too) or any word of it of 3
    or more letters but a month, a day or a letter's own words (:func:`name_in`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [f"Alasan {request} wajib diisi."]},
                               {"reason": ["reason_required"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Alasan paling panjang {MAX_REASON} karakter."]},
                               {"reason": ["too_long"]})
    problem = reason_unprintable_problem(reason)
    if problem:
        raise ValidationFailed({"reason": [problem.message]}, {"reason": [problem.code]})
    found = identity_number_in(reason, nik)
    if found:
        _names_person(f"memuat {found}")
    for field, name in names:
        word = name_in(reason, name)
        if word:
            label = NAME_LABELS.get(field, field)
            _names_person(f"memuat {label} orang itu (\u201c{word}\u201d)")
    return reason


# What the message calls each name field of a record.
NAME_LABELS = {"full_name": "nama", "mother_name": "nama ibu kandung",
               "heir_name": "nama ahli waris"}
MIN_NAME_WORD = 3
MIN_NUMBER_RUN = 15  # a NIK or KK with one digit left out still names the person
MIN_SLASHED_GROUP = 4  # "7371/0154/0178/0001": a KK written with slashes
# Words a letter's reason holds for their own sake, never as a name on their own:
# months and days (a heir named "Juli" must not refuse "tanggal 3 Juli 2026"). The
# whole name still counts: "Juli Hutapea" is refused, "Juli" alone is the month.
COMMON_WORDS = frozenset([
    "januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september",
    "oktober", "november", "desember", "january", "february", "march", "may", "june", "july",
    "august", "october", "december",
    "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu", "ahad",
    "surat", "nomor", "tanggal", "perihal", "permohonan", "kelurahan", "kecamatan"])
# What may stand between the digits of one number as people type it: spaces, dots,
# dashes and underscores ("7371 1026 0882 3410", "7371.1026...", "7371 - 1026 ..."),
# up to three in a row.
_NUMBER_GLUE = frozenset(" .-_\t\u00a0\u2010\u2011\u2012\u2013\u2014\u2212")
_MAX_GLUE = 3


def record_names(records: Iterable[Mapping[str, Any]]) -> list[tuple[str, str | None]]:
    """The (field, name) pairs of these records that a reason must not hold: the
    person's name, their mother's and their heir's (all erased with the record)."""
    return [(field, record.get(field)) for record in records for field in NAME_LABELS]


def _names_person(what: str) -> None:
    message = (f"Alasan (--reason) {what}: alasan disimpan selamanya di jejak audit "
               "kelurahan dan pusat, jadi tidak boleh menyebut NIK, nomor KK atau nama orang. "
               "Tulis nomor surat permohonannya saja, mis. \"Surat No. 12/XI/2026\".")
    raise ValidationFailed({"reason": [message]}, {"reason": ["reason_names_person"]})


def _digit(char: str) -> str | None:
    """The ASCII digit a character stands for (any script's decimal digit), or None."""
    value = unicodedata.decimal(char, None)
    return None if value is None else str(value)


def identity_number_in(text: str, nik: str | None = None) -> str | None:
    """What in ``text`` reads as an identity number, in words, or None: ``nik``
    anywhere in its digits (whatever stands between them), or any run of 15 or more
    digits joined by nothing or by :data:`_NUMBER_GLUE`, or by slashes between groups
    of four or more (a NIK, a KK number, one digit short too)."""
    digits = "".join(d for d in map(_digit, text) if d is not None)
    if nik and len(nik) >= MIN_NUMBER_RUN and nik in digits:
        return "NIK orang yang dihapus"
    text = _DATE_OR_TIME.sub(_date_break, text)  # "12-11-2026 14.30" is no number
    slashed = _SLASHED.search(text)
    if slashed and sum(c.isdigit() for c in slashed.group()) >= MIN_NUMBER_RUN:
        return f"deretan {MIN_NUMBER_RUN} angka atau lebih (seperti NIK atau nomor KK)"
    run = glue = 0
    for char in text:
        if _digit(char) is not None:
            run, glue = run + 1, 0
            if run >= MIN_NUMBER_RUN:
                return f"deretan {MIN_NUMBER_RUN} angka atau lebih (seperti NIK atau nomor KK)"
        elif char in _NUMBER_GLUE and run and glue < _MAX_GLUE:
            glue += 1  # "7371 1026", "7371 - 1026": still one number
        else:
            run = glue = 0
    return None


# A date (day, month, year) or a time of day as people type them: "12-11-2026",
# "3.7.26", "14.30", "09:15". Read as a break between numbers when plausible.
_DATE_OR_TIME = re.compile(
    r"(?<!\d)(?<!\d[-./])(?:(\d{1,2})[-./](\d{1,2})[-./](?:\d{4}|\d{2})|([01]?\d|2[0-3])[.:]([0-5]\d))"
    r"(?![-./]?\d)")  # never a part of a longer dotted number: "7.37.1014..." is no time


def _date_break(match: re.Match[str]) -> str:
    day, month, hour = match.group(1), match.group(2), match.group(3)
    if hour is None and not (1 <= int(day) <= 31 and 1 <= int(month) <= 12):
        return match.group()  # "73.71.01": not a date
    return " | "


# Groups of four digits or more joined by slashes (letter numbers' groups are short:
# "470/123/Kel-BTR/XI/2026").
_SLASHED = re.compile(rf"\d{{{MIN_SLASHED_GROUP},}}(?:\s*/\s*\d{{{MIN_SLASHED_GROUP},}})+")

_APOSTROPHES = "'\u2019\u2018\u02bc\u02bb`\u00b4"
_WORD_BREAKS = re.compile(r"[^\w]+|_+")


def folded_words(text: str) -> list[str]:
    """The words of ``text`` without case, accents or apostrophes (Ma\u2019ruf = maruf;
    "Hj.St." = hj st), as a name is compared with what someone typed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c) and c not in _APOSTROPHES)
    return [word for word in _WORD_BREAKS.split(text.casefold()) if word]


def name_in(text: str, name: str | None) -> str | None:
    """The part of a person's ``name`` that ``text`` holds, or None: the whole name
    (its words in a row, or run together inside one word), or one of its words of
    :data:`MIN_NAME_WORD` or more letters, as a whole word, unless it is one of
    :data:`COMMON_WORDS` (case, accents and apostrophes aside)."""
    if not name:
        return None
    words, said = folded_words(name), folded_words(text)
    if not words:
        return None
    for start in range(len(said) - len(words) + 1):
        if said[start:start + len(words)] == words:
            return " ".join(words)
    joined = "".join(words)
    if len(words) > 1 and len(joined) >= 2 * MIN_NAME_WORD + 2:
        # run together: "JasminLatupono", "sdr.jasminlatupono"
        for word in said:
            if joined in word:
                return " ".join(words)
    held = set(said) - COMMON_WORDS
    for word in words:
        if sum(c.isalpha() for c in word) >= MIN_NAME_WORD and word in held:
            return word
    return None
