"""The hash-chained, append-only audit trail shared by the kelurahan register and
central: the entry format, its hash and the chain check. No SQL here; each app's
storage module reads and writes its own ``audit_log`` table with these functions
(:mod:`server.storage.audit`, :mod:`central.storage.audit`).

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any row breaks the chain from that row on. The tables have
triggers that refuse UPDATE and DELETE; :func:`verify_entries` finds what a hand
edit of the database did anyway.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from berjasa.canonical import canonical_bytes, stored_json

GENESIS_HASH = "0" * 64
HASHED_FIELDS = ("seq", "at", "actor", "role", "action", "record_id", "changes", "reason",
                 "address", "prev_hash")
COLUMNS = (*HASHED_FIELDS, "entry_hash")


@dataclass(frozen=True)
class Actor:
    """Who acts: the username, their role and the address they came from."""

    username: str
    role: str
    address: str | None = None


SYSTEM = Actor("system", "system")


# What a command-line actor's name may hold (an OS user name can hold anything).
_CLI_NAME = set(string.ascii_letters + string.digits + "._-@")


# What a name given with ``--by`` may hold besides letters, marks and digits of any script.
_BY_PUNCTUATION = frozenset(" ._-@'")
MAX_BY = 64


def named_cli_actor(by: str) -> str:
    """The name an operator gave with ``--by``: inner spaces collapsed; letters,
    marks and digits of any script and ``. _ - @ '`` only, at most 64 characters.
    Anything else (control or format characters such as U+202E, ``<``, ``;``) is
    refused with ValidationFailed, one clear line for the command."""
    from berjasa.problems import ValidationFailed

    named = " ".join(by.split())
    bad = sorted({c for c in named if not (unicodedata.category(c)[0] in "LMN"
                                           or c in _BY_PUNCTUATION)})
    if bad or not named or len(named) > MAX_BY:
        shown = ", ".join(f"U+{ord(c):04X}" if not c.isprintable() else repr(c) for c in bad)
        raise ValidationFailed(
            {"by": [f"--by hanya boleh berisi huruf, angka, spasi dan . _ - @ ' (1-{MAX_BY} "
                    "karakter; tanpa karakter kontrol)" + (f": {shown} ditolak" if shown else "")]},
            {"by": ["invalid_actor_name"]})
    return named


def cli_actor(role: str = "cli", by: str | None = None) -> Actor:
    """Who runs a command: ``cli:`` and the name the operator gives (``--by``,
    checked by :func:`named_cli_actor`), else ``cli:`` and the operating system's
    user, in a safe alphabet. Always ``cli:``, in both apps: a command is never
    taken for a signed-in user of that name (``--by sup1`` is not the user sup1,
    and a supervisor naming themself does not become an admin who erased a
    record). ``role`` is the trail's role for commands (central: ``cli``; a
    kelurahan: the authority the command acts with, ``admin`` or ``auditor``)."""
    if by is not None:
        return Actor("cli:" + named_cli_actor(by), role)
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = "unknown"
    return Actor("cli:" + ("".join(c for c in name if c in _CLI_NAME)[:32] or "unknown"), role)


def entry_hash(entry: dict[str, Any]) -> str:
    """The SHA-256 of an entry's hashed fields, as canonical JSON."""
    material = canonical_bytes({k: entry[k] for k in HASHED_FIELDS})
    return hashlib.sha256(material).hexdigest()


def next_entry(last: dict[str, Any] | None, at: str, actor: Actor, action: str,
               record_id: str | None = None, changes: dict[str, Any] | None = None,
               reason: str | None = None) -> dict[str, Any]:
    """The entry that follows ``last`` (``{"seq", "entry_hash"}`` or None), hashed."""
    entry = {
        "seq": (int(last["seq"]) + 1) if last else 1,
        "at": at,
        "actor": actor.username,
        "role": actor.role,
        "action": action,
        "record_id": record_id,
        "changes": stored_json(changes or {}),
        "reason": reason,
        "address": actor.address,
        "prev_hash": last["entry_hash"] if last else GENESIS_HASH,
    }
    entry["entry_hash"] = entry_hash(entry)
    return entry


# A broken chain said to a person; the ``problem`` values stay English, as
# ``audit verify --json`` answers them and scripts match them.
PROBLEM_TEXT = {
    "missing entry (deleted?)": "entri hilang (dihapus?)",
    "prev_hash does not match": "prev_hash tidak cocok dengan entri sebelumnya",
    "content changed after writing": "isinya diubah setelah ditulis",
    "seal missing": "segel hilang",
    "seal does not match": "segel tidak cocok",
    "(rewritten without the data folder's key?)": "(ditulis ulang tanpa kunci folder data?)",
    "held value does not match the trail": "nilai yang disimpan di samping entri tidak cocok "
                                           "dengan jejak (diubah di luar aplikasi?)",
    "no such entry": "entrinya tidak ada",
    "which the chain lacks": "yang tidak ada di rantai",
    "values of": "nilai untuk",
    # the record history checked against the trail (server/storage/history_check.py)
    "record history does not match the trail": "riwayat data tidak cocok dengan jejak "
                                                "(diubah di luar aplikasi?)",
    "record history row missing (deleted?)": "baris riwayat data hilang (dihapus?)",
    "record history row without its trail entry": "baris riwayat data tanpa entri jejaknya",
    # central's record targets (central/trail.py)
    "record targets changed after writing": "daftar data sasarannya diubah setelah ditulis",
    "record targets without their entry's digest": "daftar data sasaran tanpa ringkasan di entrinya",
}


def problem_text(problem: str) -> str:
    """A broken entry's ``problem`` in Bahasa Indonesia (the CLI line, the auditor's page)."""
    for english, indonesian in PROBLEM_TEXT.items():
        problem = problem.replace(english, indonesian)
    return problem


# The entry a restore from a backup writes into the restored trail (a kelurahan's:
# server/backup_trail.py; central's: central/storage/audit.py; docs/audit-chain.md
# "Backups, restores and continuity"). Its chained ``changes`` say which seqs the trail
# it replaced had reached: the entry takes the seq after those, so no number is given
# out twice, and the chain check accepts that one gap.
RESTORE_ACTION = "site.restore"
RESTORE_ACTIONS = frozenset({RESTORE_ACTION, "central.restored"})


def declared_gap(entry: dict[str, Any], expected_seq: int) -> bool:
    """Whether ``entry`` (found where ``expected_seq`` was due) is a restore entry
    declaring exactly the seqs it skips: the restored trail ended at
    ``expected_seq - 1`` and the replaced one at the entry's seq minus one."""
    if entry.get("action") not in RESTORE_ACTIONS:
        return False
    try:
        changes = json.loads(entry["changes"]) if isinstance(entry["changes"], str) \
            else entry["changes"]
        restored = changes["restored_last_seq"][1]
        previous = changes["previous_last_seq"][1]
    except (ValueError, TypeError, KeyError, IndexError):
        return False
    return (type(restored) is int and type(previous) is int
            and restored == expected_seq - 1 and previous == int(entry["seq"]) - 1
            and previous > restored)


def restore_facts(entry: dict[str, Any]) -> dict[str, Any]:
    """A restore entry's chained facts as ``{name: value}`` (the new side of each pair;
    other details as they are), and ``lost``: the seqs of the replaced trail this one
    lacks, ``[first, last]``, or None (the restored trail was not behind it)."""
    changes = entry["changes"] if isinstance(entry["changes"], dict) \
        else json.loads(entry["changes"])
    facts = {name: pair[1] if isinstance(pair, list) and len(pair) == 2 else pair
             for name, pair in changes.items()}
    restored, previous = facts.get("restored_last_seq"), facts.get("previous_last_seq")
    facts["lost"] = [restored + 1, previous] if type(restored) is int and type(
        previous) is int and previous > restored else None
    return facts


def verify_entries(entries: Iterable[dict[str, Any]],
                   check: Callable[[dict[str, Any]], str | None] | None = None,
                   after: tuple[int, str] | None = None,
                   ) -> tuple[int, dict[str, Any] | None]:
    """Recompute the chain over entries in ``seq`` order; ``check`` may add a test
    per entry (the kelurahan's keyed seals) returning a problem or None. ``after``
    (seq, entry_hash) of an entry already verified: the entries that follow it.
    A restore's entry may follow a gap it declares (:func:`declared_gap`): the seqs
    the replaced trail used are never given out again. Returns (entries checked,
    None) when intact, else (entries checked, {"seq", "problem"}) naming the first
    broken entry."""
    prev = after[1] if after else GENESIS_HASH
    expected_seq = after[0] + 1 if after else 1
    checked = 0
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq and not (seq > expected_seq and declared_gap(entry, expected_seq)):
            return checked, {"seq": expected_seq, "problem": "missing entry (deleted?)"}
        if entry["prev_hash"] != prev:
            return checked, {"seq": seq, "problem": "prev_hash does not match"}
        if entry_hash({**entry, "seq": seq}) != entry["entry_hash"]:
            return checked, {"seq": seq, "problem": "content changed after writing"}
        problem = check(entry) if check is not None else None
        if problem:
            return checked, {"seq": seq, "problem": problem}
        prev = entry["entry_hash"]
        expected_seq = seq + 1
        checked += 1
    return checked, None


class LastSeen:
    """Entries passed through unchanged, remembering the last one: after an intact
    :func:`verify_entries` it is the last entry verified (its mark)."""

    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self.entries = entries
        self.last: dict[str, Any] | None = None

    def __iter__(self):
        for entry in self.entries:
            self.last = entry
            yield entry
