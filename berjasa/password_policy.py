"""Which new passwords are too easy to guess, for both apps' accounts (kelurahan users,
central's office users). Only a new or changed password is checked
(:func:`berjasa.passwords.hash_password`): a stored hash keeps working.

Refused, each with its own Indonesian reason (:class:`WeakPassword`'s ``reason``):
shorter than :data:`MIN_LENGTH` or blank (``too_short``, ``blank``); containing the
username (``contains_username``, for names of 3 characters or more); one character or a
pattern of up to 4 characters repeated (``repeated``: ``aaaaaaaa``, ``ops1ops1``);
made only of runs of 3 or more consecutive digits, letters or keys on one keyboard row,
either way (``sequence``: ``12345678``, ``abcd1234``, ``qwerty123``); one of the most
common passwords (``common``: ``berjasa/data/common_passwords.csv``, English and
Indonesian: ``password``, ``bismillah``, ``makassar``...), also with digits or symbols
around it and common letter swaps (``P@ssw0rd``, ``bismillah123``).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

MIN_LENGTH = 8
PATTERN_MAX = 4  # the longest pattern whose repetition counts as "repeated"
RUN_MIN = 3  # the shortest run of consecutive characters that counts as a run
USERNAME_MIN = 3  # shorter usernames are not looked for inside a password
# Lines on which neighbours are "consecutive": digits, the alphabet, the keyboard rows
_LINES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "1234567890", "qwertyuiop", "asdfghjkl",
          "zxcvbnm")
_AROUND = "0123456789!@#$%^&*()_-+=.,?/ ~`'\""  # stripped around a common word
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s",
                       "5": "s", "7": "t"})

REASONS = {
    "too_short": f"Kata sandi minimal {MIN_LENGTH} karakter.",
    "blank": "Kata sandi tidak boleh hanya berisi spasi.",
    "contains_username": "Kata sandi terlalu lemah: tidak boleh memuat nama pengguna.",
    "repeated": ("Kata sandi terlalu lemah: satu karakter atau pola pendek yang diulang "
                 "(mis. aaaaaaaa, abcabcab) mudah ditebak."),
    "sequence": ("Kata sandi terlalu lemah: deret angka, huruf atau tombol yang berurutan "
                 "(mis. 12345678, abcdefgh, qwerty123) mudah ditebak."),
    "common": ("Kata sandi terlalu lemah: termasuk kata sandi yang paling sering dipakai "
               "(mis. password, bismillah, makassar123); pilih yang lain."),
}


class WeakPassword(ValueError):
    """A new password the policy refuses; ``reason`` is the stable code, the text
    (Indonesian) names it."""

    def __init__(self, reason: str) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason


def check_new_password(password: str, username: str | None) -> None:
    """Raise :class:`WeakPassword` naming the first reason ``password`` is refused
    for the account ``username`` (None: no account name to compare)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword("too_short")
    if not password.strip():
        raise WeakPassword("blank")
    folded = password.casefold()
    name = (username or "").strip().casefold()
    if len(name) >= USERNAME_MIN and name in folded:
        raise WeakPassword("contains_username")
    if _repeated(folded):
        raise WeakPassword("repeated")
    if _only_runs(folded):
        raise WeakPassword("sequence")
    if _common(folded):
        raise WeakPassword("common")


def _repeated(text: str) -> bool:
    """One character or a short pattern repeated (the last repetition may be cut)."""
    return any(text == (text[:size] * (len(text) // size + 1))[:len(text)]
               for size in range(1, PATTERN_MAX + 1) if len(text) >= 2 * size)


def _steps(a: str, b: str) -> set[int]:
    """+1 when ``b`` follows ``a`` on one of the lines, -1 when it precedes it (both
    can hold: ``n m`` on the alphabet and on the keyboard's bottom row)."""
    found = set()
    for line in _LINES:
        i, j = line.find(a), line.find(b)
        if i >= 0 and j >= 0 and abs(i - j) == 1:
            found.add(j - i)
    return found


def _only_runs(text: str) -> bool:
    """The whole text cut into runs (each a step of +1 or -1 along the lines), every
    run at least RUN_MIN long: ``12345678``, ``abcd1234``, ``qwerty123``, ``987654321``."""
    start, direction = 0, 0
    for i in range(1, len(text) + 1):
        steps = _steps(text[i - 1], text[i]) if i < len(text) else set()
        if direction in steps or (direction == 0 and steps):
            direction = direction or min(steps)
            continue
        if i - start < RUN_MIN:
            return False
        start, direction = i, 0
    return True


def _common(text: str) -> bool:
    """A common password, alone or with digits/symbols before or after it, as typed
    or with the usual letter swaps (``p@ssw0rd``)."""
    core = text.strip(_AROUND)
    swapped = text.translate(_LEET)
    forms = {text, core, core.translate(_LEET), swapped, swapped.strip(_AROUND)}
    return not forms.isdisjoint(common_passwords())


@cache
def common_passwords() -> frozenset[str]:
    """The list in ``berjasa/data/common_passwords.csv``, casefolded."""
    text = resources.files("berjasa").joinpath("data/common_passwords.csv").read_text("utf-8")
    return frozenset(row["password"].strip().casefold() for row in csv.DictReader(text.splitlines())
                     if row["password"].strip())
