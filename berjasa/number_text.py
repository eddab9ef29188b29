"""Numbers as Indonesian readers write them: thousands grouped with ".", decimals
after "," (81.466; 12,5%; Rp3.880.000). For pages and messages; exports write
numbers as numbers (berjasa.spreadsheet). :func:`parse_rupiah` reads an amount back
the same way: the one reader of typed or imported rupiah (the phone's income box reads
with its port, field_client/js/typed.js, held to the same cases:
field_client/tests/typed_cases.json)."""

from __future__ import annotations

import re
from typing import Any


def thousands(number: Any) -> str:
    """81466 -> "81.466" (None -> "0"; "", a cell with no figure, stays "")."""
    if number == "":
        return ""
    return f"{int(number or 0):,}".replace(",", ".")


def rupiah(amount: Any) -> str:
    """3880000 -> "Rp3.880.000"."""
    return "Rp" + thousands(amount)


def decimal(value: Any, digits: int = 1) -> str:
    """12345.67 -> "12.345,7" (``digits`` after the comma; None -> "0,0"; "" stays "")."""
    if value == "":
        return ""
    text = f"{float(value or 0):,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


# --- reading rupiah ----------------------------------------------------------------

# Why a rupiah amount was not read, as the operator is told (the importers' rejects
# files and any form that reads an amount use these texts).
RUPIAH_PROBLEMS = {
    "invalid": "harus angka rupiah, mis. 2100000, 2.100.000 atau Rp 2.100.000,00",
    "cents": "ada sen (angka di belakang koma bukan nol): tulis rupiah bulat, mis. 2.100.000",
    "ambiguous": "titik/koma tidak jelas, ribuan atau desimal: tulis 2100000 atau 2.100.000 "
                 "(titik hanya pemisah ribuan, koma hanya untuk ,00)",
}


class RupiahUnreadable(ValueError):
    """An amount that is not whole rupiah written the Indonesian way; ``problem`` is a
    key of :data:`RUPIAH_PROBLEMS`."""

    def __init__(self, problem: str) -> None:
        super().__init__(RUPIAH_PROBLEMS[problem])
        self.problem = problem


_BLANKS = re.compile(r"[\s\u00a0\u200b\u202f\ufeff]+")
# Rp, Rp. or IDR in any case, spelled out: IGNORECASE would also take a Turkish dotless
# or dotted I ("ıdr"), which the phone's port (field_client/js/typed.js) would not.
_CURRENCY = re.compile(r"(?:[Rr][Pp]\.?|[Ii][Dd][Rr])")
# whole rupiah: plain digits or dots between groups of three; then ",-" or a comma and one
# or two decimals (Excel's "2.100.000,00"), which must be zero
_RUPIAH = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,-|,([0-9]{1,2})|\.-)?")
_SEPARATED_DIGITS = re.compile(r"[0-9][0-9.,]*")
MAX_RUPIAH_DIGITS = 12  # a trillion rupiah: past any income or contribution


def parse_rupiah(text: str | None) -> int | None:
    """Whole rupiah as Indonesians write them (Excel with the Indonesian locale saves
    amounts so): ``2100000``, ``2.100.000``, ``Rp 2.100.000``, ``Rp2.100.000,00``,
    ``2.100.000,-``; spaces anywhere, an ``Rp``/``Rp.``/``IDR`` before. None when there is no
    figure. :class:`RupiahUnreadable` ``cents`` for decimals that are not zero
    (``2.100.000,50``), ``ambiguous`` for separators that could be thousands or decimals
    (``2,100``, ``2,100,000``, ``2100000.00``, ``2.100.000.00``, ``2,100,000.00``: a dot is
    read only between groups of three digits, a comma only before decimals), ``invalid``
    for anything else (a word, a minus sign, more than 12 digits). ASCII digits only."""
    compact = _BLANKS.sub("", text or "")
    currency = _CURRENCY.match(compact)
    if currency:
        compact = compact[currency.end():]
    if not compact:
        return None
    match = _RUPIAH.fullmatch(compact)
    if match is None:
        raise RupiahUnreadable("ambiguous" if _SEPARATED_DIGITS.fullmatch(compact) else "invalid")
    if match[2] and int(match[2]):
        raise RupiahUnreadable("cents")
    digits = match[1].replace(".", "")
    if len(digits.lstrip("0")) > MAX_RUPIAH_DIGITS:
        raise RupiahUnreadable("invalid")
    return int(digits)
