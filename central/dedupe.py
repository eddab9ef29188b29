"""Likely-duplicate matching city-wide (flag, never block).

Two enrollments with different NIKs may still be one person: a mistyped NIK, or
a KTP and an older KK entry, in two kelurahan or in one (two enumerators of one
kelurahan recording the same worker). Central flags a pair when they share KK
number and birth date, or when their normalised names are similar and the birth
date is the same. Plain functions; no database, no Flask.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Spellings of the same given name or title in Makassar's registers (KTP, KK,
# DTSEN): folded to one key word, so "Muh. Ali" and "Muhammad Ali" match.
_SAME_WORD = {
    "muh": "muhammad", "muhd": "muhammad", "moh": "muhammad", "mohd": "muhammad",
    "moch": "muhammad", "mochammad": "muhammad", "mohammad": "muhammad",
    "mohamad": "muhammad", "muhamad": "muhammad", "muhammad": "muhammad", "md": "muhammad",
    "abd": "abdul", "abdul": "abdul",
    "st": "sitti", "siti": "sitti", "sitti": "sitti",
    "nur": "nur", "nurul": "nur",
}
# Honorifics and titles that come and go between documents.
_DROPPED = {"h", "hj", "haji", "hajjah", "hajah", "dg", "daeng", "ir", "dr", "drs", "dra",
            "s", "sh", "se", "spd", "sos", "ssos", "skm", "st", "amd", "ama", "sag", "ssi"}
# "St." before a name is Sitti; after it (", S.T.") it is a degree: keep only the first.
_LEADING_ONLY = {"st"}


@lru_cache(maxsize=65536)
def name_key(name: str | None) -> str:
    """A comparison key for a person's name: case, accents, punctuation, spacing,
    honorifics (H., Hj., Daeng) and degrees dropped, Muh./Moh./Muhammad folded.
    Non-Latin scripts (Lontara) are kept as letters."""
    return " ".join(name_parts(name)[0])


# Words one register writes and another leaves out: the Bugis-Makassar noble title
# "Andi" (a word of the name on the KTP, often missing in older lists).
_OPTIONAL = {"andi", "andy"}
_DAENG = {"dg", "daeng"}


@lru_cache(maxsize=65536)
def name_parts(name: str | None) -> tuple[tuple[str, ...], frozenset[str]]:
    """The words of :func:`name_key` and, among them, those a register may leave
    out: "Andi" and the daeng name (the word after "Daeng"/"Dg.", as in
    "Baso Daeng Ngalle"). Used by the identity matcher (central/identity_match.py)."""
    if not name:
        return (), frozenset()
    text = _strip_latin_accents(name).casefold()
    # degrees after a comma ("Ali, S.Pd.") are not part of the name
    text = text.split(",")[0]
    words = [w for w in re.split(r"[\s.'’`\-]+", text) if w]
    out: list[str] = []
    optional: set[str] = set()
    after_daeng = False
    for word in words:
        # "St." before any name word ("Hj. St. Aminah") is Sitti
        if word in _LEADING_ONLY and all(w in _OPTIONAL for w in out):
            out.append(_SAME_WORD[word])
        elif word in _DROPPED:
            after_daeng = word in _DAENG
            continue
        else:
            folded = _SAME_WORD.get(word, word)
            if after_daeng or folded in _OPTIONAL:
                optional.add(folded)
            out.append(folded)
        after_daeng = False
    return tuple(out), frozenset(optional)


def _strip_latin_accents(name: str) -> str:
    """Drop accents on Latin letters (José → Jose) but keep the vowel signs of
    other scripts (Lontara ᨅᨔᨚ keeps its ᨚ)."""
    if name.isascii():
        return name
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, stopping early once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def names_similar(a: str | None, b: str | None) -> bool:
    """Whether two names probably name the same person: equal keys, the same
    words in another order, or the same words but one typing slip (one edit) in
    a word of 5+ letters. Short words must match exactly: "Ali" and "Arif" are
    different people."""
    words_a, words_b = name_key(a).split(), name_key(b).split()
    if not words_a or not words_b:
        return False
    if words_a == words_b or sorted(words_a) == sorted(words_b):
        return True
    if len(words_a) != len(words_b):
        return False
    differing = [(x, y) for x, y in zip(words_a, words_b) if x != y]
    if len(differing) != 1:
        return False
    x, y = differing[0]
    return min(len(x), len(y)) >= 5 and edit_distance(x, y, 1) <= 1


def match_reason(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """Why two enrollments look like one person, or None. Records need
    ``kk_number``, ``birth_date`` and ``full_name``."""
    if not a.get("birth_date") or a.get("birth_date") != b.get("birth_date"):
        return None
    if a.get("kk_number") and a.get("kk_number") == b.get("kk_number"):
        return "same_kk_birth_date"
    if names_similar(a.get("full_name"), b.get("full_name")):
        return "similar_name_birth_date"
    return None


def likely_duplicates(record: dict[str, Any],
                      candidates: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """The candidates, of any kelurahan (``record``'s own too), that look like
    ``record``, each with its reason. Same-NIK pairs are not flagged: the unique
    index decides those; nor is the record itself (the same ``central_id``)."""
    found = []
    itself = record.get("central_id")
    for other in candidates:
        if other.get("nik") == record.get("nik"):
            continue
        if itself is not None and other.get("central_id") == itself:
            continue
        reason = match_reason(record, other)
        if reason:
            found.append((other, reason))
    return found


def cohort_matches(record: dict[str, Any],
                   cohort_rows: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """The 2024 cohort rows (``nik``, ``full_name``, ``birth_date``) that look like
    ``record`` under another NIK, each with its reason: the same birth date and a
    similar name (:func:`match_reason`; the cohort file has no KK). The same NIK is
    not a likely duplicate: the record is ``already_in_cohort`` (a rule). Most rows
    born that day are other people whose names share no word: they are passed over
    before :func:`names_similar` (two similar names share a word, or are both one word:
    tests/central/test_dedupe_candidates.py holds that property), which is what an
    arriving batch costs."""
    born, nik = record.get("birth_date"), record.get("nik")
    words = name_key(record.get("full_name")).split()
    if not born or not words:
        return []
    found = []
    for row in cohort_rows:
        if row.get("nik") == nik or row.get("birth_date") != born:
            continue
        other = name_key(row.get("full_name")).split()
        if not (len(words) == len(other) == 1 or not set(words).isdisjoint(other)):
            continue
        if names_similar(record.get("full_name"), row.get("full_name")):
            found.append((row, "similar_name_birth_date"))
    return found
