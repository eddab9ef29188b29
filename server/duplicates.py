"""Possible duplicates inside the kelurahan, shown to the supervisor at review.

A plain matcher, no database and no Flask: :func:`find_duplicates` compares one
record with candidates (records sharing its NIK or birth date, read by
:mod:`server.storage.candidates`) and names why each one looks like the same
person:

- ``same_nik``: the same NIK (an active second one is already refused at intake;
  a rejected earlier enrollment still shows here);
- ``same_kk_birth_date``: the same KK and the same birth date (twins are possible,
  hence a hint, not a block);
- ``similar_name_birth_date``: the same birth date and a name that is the same
  after folding case, spaces, accents, titles and common spelling variants
  ("Muh."/"Moh."/"Muhammad", "Hj."/"H.", "St."/"Sitti"), or nearly the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any

# Spellings of the same given name or abbreviation, folded to one form.
VARIANTS = {
    "muh": "muhammad", "moh": "muhammad", "mhd": "muhammad", "md": "muhammad",
    "muhamad": "muhammad", "muhammad": "muhammad", "mohammad": "muhammad",
    "mohamad": "muhammad", "mohammed": "muhammad", "muhammed": "muhammad",
    "mochammad": "muhammad", "mochamad": "muhammad", "moch": "muhammad", "m": "muhammad",
    "abd": "abdul", "abdul": "abdul",
    "st": "sitti", "siti": "sitti", "sitti": "sitti",
    "dg": "daeng", "daeng": "daeng",
    "nur": "nur", "nurul": "nur",
}
# Titles that are not part of the name (pilgrimage, honorifics).
TITLES = frozenset({"h", "hj", "haji", "hajjah", "hajah", "ir", "drs", "dr"})
# Two folded names at least this similar (0..1) count as "similar".
SIMILARITY_THRESHOLD = 0.88


def name_tokens(name: str) -> list[str]:
    """A name as folded words: no accents, no case, punctuation as spaces,
    titles dropped, spelling variants unified."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = re.split(r"[\s.,'’\-]+", plain)
    tokens = [VARIANTS.get(w, w) for w in words if w and w not in TITLES]
    return tokens


def normalise_name(name: str) -> str:
    """The folded name as one string, e.g. "Hj. St. Aminah" -> "sitti aminah"."""
    return " ".join(name_tokens(name))


def similar_names(first: str, second: str) -> bool:
    """The same person's name written two ways: equal once folded, the same
    words in another order, or nearly the same letters (a typo)."""
    a, b = name_tokens(first), name_tokens(second)
    if not a or not b:
        return False
    if a == b or sorted(a) == sorted(b):
        return True
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b:  # "Nurhayati" vs "Nur Hayati"
        return True
    return SequenceMatcher(None, " ".join(a), " ".join(b)).ratio() >= SIMILARITY_THRESHOLD


def match_reasons(record: dict[str, Any], other: dict[str, Any]) -> list[str]:
    """Why ``other`` may be the same person as ``record`` (empty: it is not)."""
    reasons = []
    if record.get("nik") and record.get("nik") == other.get("nik"):
        reasons.append("same_nik")
    same_birth = record.get("birth_date") and record.get("birth_date") == other.get("birth_date")
    if same_birth and record.get("kk_number") and record.get("kk_number") == other.get("kk_number"):
        reasons.append("same_kk_birth_date")
    if same_birth and similar_names(record.get("full_name", ""), other.get("full_name", "")):
        reasons.append("similar_name_birth_date")
    return reasons


def find_duplicates(record: dict[str, Any],
                    candidates: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The candidates that may be the same person, each with its reasons, the
    strongest match first."""
    found = []
    for other in candidates:
        if other.get("id") == record.get("id"):
            continue
        reasons = match_reasons(record, other)
        if reasons:
            found.append({**other, "reasons": reasons})
    strength = {"same_nik": 0, "same_kk_birth_date": 1, "similar_name_birth_date": 2}
    return sorted(found, key=lambda item: min(strength[r] for r in item["reasons"]))


REASON_TEXT = {
    "same_nik": "NIK sama",
    "same_kk_birth_date": "No. KK dan tanggal lahir sama",
    "similar_name_birth_date": "Nama mirip dan tanggal lahir sama",
}
