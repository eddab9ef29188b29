"""Person names (``full_name``, ``mother_name``, ``heir_name``): letters of any
script, combining marks, spaces and ``. , ' ’ -``; NFC-normalised, trimmed, inner
spaces collapsed, otherwise kept as typed.

Decisions that docs/domain.md leaves open: tabs, newlines and other controls inside
a name are refused, not collapsed; Lontara's pallawa and end-of-section marks count
as punctuation.
"""

from __future__ import annotations

import re
import unicodedata

from berjasa.identity.common import IdentityError, describe_characters

# design.md's . , ' ’ - plus Lontara's own two marks (pallawa U+1A1E, end of
# section U+1A1F), so the whole assigned Buginese block U+1A00-U+1A1F passes.
_NAME_PUNCTUATION = frozenset(".,'\u2019-\u1a1e\u1a1f")
_NAME_MAX = 100
# A name that normalising leaves as it is: ASCII, at least one letter, single spaces
# between words, no outer spaces (NFC changes no ASCII text).
_PLAIN_NAME = re.compile(r"(?=[^A-Za-z]*[A-Za-z])[A-Za-z.,'-]+(?: [A-Za-z.,'-]+)*")


def _is_name_character(char: str) -> bool:
    """Letters and combining marks of any script, spaces and . , ' ’ -.
    Variation selectors are marks too, but only ever dress up emoji."""
    category = unicodedata.category(char)
    if category[0] == "M":
        return not (0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF)
    return category[0] == "L" or category == "Zs" or char in _NAME_PUNCTUATION


def normalise_person_name(value) -> str:
    """The name as typed, NFC-normalised, trimmed, inner spaces collapsed;
    IdentityError (name_required, name_invalid_characters, name_too_long)."""
    if isinstance(value, str) and len(value) <= _NAME_MAX and _PLAIN_NAME.fullmatch(value):
        return value  # ASCII letters and . , ' - between single spaces: already normal
    return _normalise_any_name(value)


def _normalise_any_name(value) -> str:
    """:func:`normalise_person_name` for any input, step by step."""
    if value is not None and not isinstance(value, str):
        raise IdentityError("name_invalid_characters", "Nama harus berupa teks.")
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        raise IdentityError("name_required", "Nama wajib diisi.")
    bad = [c for c in text if not _is_name_character(c)]
    if bad:
        raise IdentityError("name_invalid_characters", "Nama hanya boleh berisi huruf, "
                            "spasi dan tanda . , ' \u2019 -; tidak boleh: "
                            f"{describe_characters(bad)}.")
    # Any space separator (no-break, figure...) becomes one plain space.
    spaced = "".join(" " if unicodedata.category(c) == "Zs" else c for c in text)
    text = unicodedata.normalize("NFC", " ".join(part for part in spaced.split(" ") if part))
    if not any(unicodedata.category(c)[0] == "L" for c in text):
        raise IdentityError("name_invalid_characters", "Nama harus memuat huruf, bukan "
                            "hanya tanda baca.")
    if len(text) > _NAME_MAX:
        raise IdentityError("name_too_long", f"Nama terlalu panjang: {len(text)} karakter, "
                            f"paling banyak {_NAME_MAX}.")
    return text
