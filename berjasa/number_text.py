"""Numbers as Indonesian readers write them: thousands grouped with ".", decimals
after "," (81.466; 12,5%; Rp3.880.000). For pages and messages; exports write
numbers as numbers (berjasa.spreadsheet)."""

from __future__ import annotations

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
