"""What a status cell of the BPJS participant list means: the one mapping of its
spellings (docs/central.md "BPJS status values").

BPJS's lists, and the offices that re-type them, spell a status many ways: ``Aktif``,
``AKTIF (BPU)``, ``Aktif/Active``, ``Peserta Aktif``, ``Non Aktif``, ``Meninggal
Dunia``... design.md: a listed NIK with status ``aktif``/``active`` is already a
participant; other statuses (``nonaktif``, ``keluar``, ...) are not participation. An
unknown spelling read as "not a participant" registered a participant a second time, so
:func:`bpjs_status` answers None for it and the import refuses that row.

:func:`bpjs_status` is the one place that reads a status: the import stores its answer
(so ``bpjs_participants.status`` holds one of :data:`STATUSES` for every list imported
since), and code reading a stored status may call it too (a canonical word maps to
itself; a status stored by an older import is read by the same rules).
"""

from __future__ import annotations

import re
import unicodedata

ACTIVE, INACTIVE, LEFT, DECEASED, REFUSED = "aktif", "nonaktif", "keluar", "meninggal", "ditolak"
# What each canonical status means; only ACTIVE is participation (design.md).
STATUSES = {
    ACTIVE: "peserta aktif",
    INACTIVE: "tidak aktif (iuran berhenti, tercatat sebagai peserta nonaktif)",
    LEFT: "keluar dari kepesertaan",
    DECEASED: "meninggal dunia",
    REFUSED: "pendaftaran ditolak atau dibatalkan BPJS",
}

# Words that only say what the cell is about or which scheme (``Status Peserta Aktif``,
# ``Aktif (BPU)``, ``Active Member``): dropped before a status is looked up.
_NOISE = frozenset({
    "status", "peserta", "kepesertaan", "member", "participant", "bpjs", "tk", "ketenagakerjaan",
    "bpu", "pu", "ppu", "jk", "jkk", "jkm", "jht", "jp", "program", "sebagai",
})
# A status written as one phrase (its words run together: ``non aktif`` is ``nonaktif``).
_PHRASES = {
    ACTIVE: ("aktif", "active", "a", "1", "ya", "y", "iya", "yes", "true", "benar"),
    INACTIVE: ("nonaktif", "nonactive", "inactive", "tidakaktif", "tdkaktif", "takaktif",
               "notactive", "pasif", "tidak", "tdk", "t", "n", "no", "0", "false", "salah"),
    LEFT: ("keluar", "berhenti", "exit", "keluarkepesertaan", "mengundurkandiri", "resign",
           "resigned"),
    DECEASED: ("meninggal", "meninggaldunia", "md", "wafat", "almarhum", "almarhumah",
               "deceased", "died", "dead"),
    REFUSED: ("ditolak", "tolak", "rejected", "reject", "batal", "dibatalkan", "cancelled",
              "canceled"),
}
_BY_PHRASE = {phrase: status for status, phrases in _PHRASES.items() for phrase in phrases}
_WORDS = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    """The words of a cell, case-folded, accents and punctuation gone, noise dropped."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return [word for word in _WORDS.findall(plain) if word not in _NOISE]


def _one(text: str) -> str | None:
    words = _words(text)
    if not words:
        return None
    whole = _BY_PHRASE.get("".join(words))
    if whole is not None:
        return whole
    # every word says the same (``Ya Aktif``, ``Aktif Active``): that status
    each = {_BY_PHRASE.get(word) for word in words}
    return each.pop() if len(each) == 1 and None not in each else None


def bpjs_status(value: str | None) -> str | None:
    """The canonical status (a key of :data:`STATUSES`) a BPJS list's status cell
    means, or None when it is not a known spelling (the import refuses the row).

    Case, accents, spaces and punctuation are ignored and the words of
    :data:`_NOISE` dropped (``Status: AKTIF (BPU).`` is ``aktif``); a cell in two
    languages, ``Aktif/Active`` or ``Nonaktif / Inactive``, is read when both halves
    agree. An empty cell is ``aktif``: a NIK on BPJS's list without a status is taken
    for a participant, never registered again (as before this mapping;
    docs/central.md)."""
    text = (value or "").strip()
    if not text.strip("\u00a0\u200b\ufeff \t"):
        return ACTIVE
    known = _BY_PHRASE.get(text.casefold())
    if known is not None:  # the common case: one plain word
        return known
    if "/" in text:
        halves = {_one(part) for part in text.split("/") if _words(part)}
        if len(halves) == 1 and None not in halves:
            return halves.pop()
    return _one(text)
