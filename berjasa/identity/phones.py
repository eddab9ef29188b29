"""Indonesian phone numbers, normalised to ``+62...``.

Decisions that docs/domain.md leaves open: 9-13 digits after the trunk 0 for
mobiles and landlines alike; "+62 (0)812..." is accepted, its "(0)" dropped.
"""

from __future__ import annotations

import re

from berjasa.identity.common import DIGITS, IdentityError

_PHONE_SEPARATORS = re.compile(r"[ \u00a0.\-()]")
# "+62 (0)812..." is a common way of writing the trunk 0 that must be dropped.
_TRUNK_ZERO = re.compile(r"^(\+?62)[ \u00a0]*\(0\)")
_PHONE_HINT = "Tulis seperti 0812-3456-789, +628123456789 atau 0411-123456."


def _phone_error(reason: str) -> IdentityError:
    """The one phone error, with the reason and an example."""
    return IdentityError("phone_invalid", f"Nomor telepon tidak sah: {reason}. {_PHONE_HINT}")


def normalise_phone(value) -> str:
    """"0812-3456-789", "+62 812 3456 789", "628123456789" -> "+628123456789";
    IdentityError phone_invalid for anything else."""
    if not isinstance(value, str):
        raise _phone_error("harus ditulis sebagai teks")
    text = value.strip()
    if "(0)" in text:  # _TRUNK_ZERO needs it; a sub with a group template costs ~1 us
        text = _TRUNK_ZERO.sub(r"\1", text)
    compact = _PHONE_SEPARATORS.sub("", text)
    for prefix in ("+62", "62", "0"):
        if compact.startswith(prefix):
            national = compact[len(prefix):]
            break
    else:
        raise _phone_error("harus diawali 0, 62 atau +62")
    if not national or not set(national) <= DIGITS:
        raise _phone_error("hanya boleh angka, spasi, titik, tanda hubung dan kurung")
    if national[0] in "01":
        raise _phone_error("setelah 0 harus kode wilayah atau 8 untuk ponsel")
    if not 9 <= len(national) <= 13:
        raise _phone_error(f"{len(national)} digit setelah 0, harus 9-13")
    return "+62" + national


_INTERNATIONAL = re.compile(r"^\+?62(?=[1-9])")


def national_form(text: str) -> str:
    """"+628123456789" (or "628123456789") -> "08123456789", as people write and
    dial it; any other text as it is."""
    return _INTERNATIONAL.sub("0", text, count=1)
