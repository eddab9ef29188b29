"""Identity match: does a record name the person a reference register (DTSEN,
Dukcapil) holds under the same NIK? Plain functions; no database, no Flask.

Each element (full name, birth date, kelurahan) is compared on its own and kept
side by side with the reference's value. A mismatch is never a rejection: it is
a *finding* for a verifier (central/findings.py).

Names are compared on the words of :func:`central.dedupe.name_parts` (case,
accents, spacing, apostrophes, titles H./Hj./Daeng, Muh./Muhammad, Abd./Abdul,
St./Siti/Sitti folded), then allow what registers really do to a name: another
word order, words joined or split ("Nur Hayati" / "Nurhayati"), "Andi" or a daeng
name present in one and absent in the other, one extra word when at least two
agree, one typing slip in a long word. Short words must agree exactly: "Ali" and
"Arif" stay two people.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any

from central.dedupe import edit_distance, name_parts

SAME, VARIANT, DIFFERENT, MISSING = "same", "variant", "different", "missing"
# Shown to verifiers (Bahasa Indonesia)
RESULT_LABELS = {SAME: "Sama", VARIANT: "Sama (ejaan lain)", DIFFERENT: "Tidak sama",
                 MISSING: "Tidak ada data"}
FIELD_LABELS = {"full_name": "Nama lengkap", "birth_date": "Tanggal lahir",
                "kelurahan_code": "Kelurahan", "nik": "NIK", "kpj_number": "No. KPJ"}
FIELDS = ("full_name", "birth_date", "kelurahan_code")


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def compare_names(a: str | None, b: str | None) -> str:
    """``same`` (equal but for case/spacing), ``variant`` (the same name written
    another way), ``different``, or ``missing`` (either side empty)."""
    if not a or not b or not a.strip() or not b.strip():
        return MISSING
    if _plain(a) == _plain(b):
        return SAME
    words_a, optional_a = name_parts(a)
    words_b, optional_b = name_parts(b)
    if not words_a or not words_b:
        return DIFFERENT
    if _words_match(list(words_a), list(words_b), extra_word=True):
        return VARIANT
    # "Andi" or a daeng name in one register only
    core_a = [w for w in words_a if w not in optional_a]
    core_b = [w for w in words_b if w not in optional_b]
    if core_a and core_b and (core_a, core_b) != (list(words_a), list(words_b)) \
            and _words_match(core_a, core_b, extra_word=False):
        return VARIANT
    return DIFFERENT


def _words_match(a: list[str], b: list[str], extra_word: bool) -> bool:
    """Whether two word lists name the same person (see the module docstring)."""
    if a == b or sorted(a) == sorted(b):
        return True
    joined_a, joined_b = "".join(a), "".join(b)
    if joined_a == joined_b:
        return True
    if len(a) == len(b):
        differing = [(x, y) for x, y in zip(a, b) if x != y]
        if len(differing) == 1 and _slip(*differing[0]):
            return True
        # the same words in another order with one slip
        left, right = Counter(a) - Counter(b), Counter(b) - Counter(a)
        if sum(left.values()) == 1 and sum(right.values()) == 1 \
                and _slip(next(iter(left)), next(iter(right))):
            return True
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    # one register has one word more after the given name ("Muhammad Rizal
    # Saputra" / "Muhammad Rizal"): only when at least two words agree, the first
    # one included; never a lone given name, never another given name in front
    if extra_word and len(shorter) >= 2 and len(longer) - len(shorter) == 1 \
            and shorter[0] == longer[0] \
            and any(longer[:i] + longer[i + 1:] == shorter for i in range(1, len(longer))):
        return True
    # joined spelling with a slip ("Nurhayati" / "Nur Hayatti")
    return (len(a) != len(b) and min(len(joined_a), len(joined_b)) >= 10
            and edit_distance(joined_a, joined_b, 1) <= 1)


def _slip(x: str, y: str) -> bool:
    """One typing slip in a word of 6+ letters (a letter wrong, missing, doubled
    or two swapped; "Hasnah" / "Hasnh")."""
    if max(len(x), len(y)) < 6 or min(len(x), len(y)) < 5:
        return False
    if edit_distance(x, y, 1) <= 1:
        return True
    return len(x) == len(y) and _one_transposition(x, y)


def _one_transposition(x: str, y: str) -> bool:
    diff = [i for i, (p, q) in enumerate(zip(x, y)) if p != q]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] \
        and x[diff[1]] == y[diff[0]]


def compare_dates(a: str | None, b: str | None) -> str:
    """Birth dates as ISO text: ``same``, ``different`` or ``missing``."""
    if not a or not b:
        return MISSING
    return SAME if str(a).strip()[:10] == str(b).strip()[:10] else DIFFERENT


def compare_codes(a: str | None, b: str | None) -> str:
    """Kelurahan codes (dots optional: 73.71.01.1001 = 7371011001)."""
    if not a or not b:
        return MISSING
    return SAME if str(a).replace(".", "").strip() == str(b).replace(".", "").strip() else DIFFERENT


def compare_identity(record: dict[str, Any], reference: dict[str, Any]) -> list[dict[str, Any]]:
    """Each element side by side: ``[{"field", "record", "reference", "result"}]``."""
    comparers = {"full_name": compare_names, "birth_date": compare_dates,
                 "kelurahan_code": compare_codes}
    return [{"field": field, "record": record.get(field), "reference": reference.get(field),
             "result": comparers[field](record.get(field), reference.get(field))}
            for field in FIELDS]


def same_person(record: dict[str, Any], reference: dict[str, Any]) -> bool:
    """Whether the record and the reference row look like one person: the names
    agree (same or variant) and so do the birth dates. The kelurahan is not part
    of identity (people move); its mismatch is a finding of its own."""
    return (compare_names(record.get("full_name"), reference.get("full_name")) in (SAME, VARIANT)
            and compare_dates(record.get("birth_date"), reference.get("birth_date")) == SAME)


def mismatches(comparison: list[dict[str, Any]]) -> list[str]:
    """The fields a verifier must look at: those that differ. A field missing on
    the reference side is not a mismatch (the register did not say)."""
    return [c["field"] for c in comparison if c["result"] == DIFFERENT]


def dtsen_evidence(record: dict[str, Any], dtsen_row: dict[str, Any]) -> dict[str, Any] | None:
    """The evidence of a DTSEN identity finding for ``record``, or None when every
    element agrees. ``{"source": "dtsen", "mismatch": [fields], "fields": [...]}``."""
    comparison = compare_identity(record, dtsen_row)
    differing = mismatches(comparison)
    if not differing:
        return None
    return {"source": "dtsen", "mismatch": differing, "fields": comparison}
