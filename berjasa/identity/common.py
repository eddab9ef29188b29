"""What the identity rules share: the error for a value that cannot be
normalised, the ASCII digits, and how a message names unwanted characters."""

from __future__ import annotations

import unicodedata

DIGITS = frozenset("0123456789")


class IdentityError(ValueError):
    """A value that cannot be normalised; ``code`` is stable, ``message`` Indonesian."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def describe_characters(chars) -> str:
    """Name characters for a message: visible ones quoted; controls, spaces, marks
    and format characters (invisible on their own) as U+XXXX."""
    seen = list(dict.fromkeys(chars))
    shown = [f"'{c}'" if unicodedata.category(c)[0] in "LNPS" else f"U+{ord(c):04X}"
             for c in seen[:10]]
    return ", ".join(shown) + (" dan lainnya" if len(seen) > 10 else "")
