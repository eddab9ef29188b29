"""The furthest central's trail has reached, witnessed in central's data folder
(``audit.head``) where a restore of the database cannot take it back (docs/audit-chain.md
"Central restored from a backup"; no SQL here, a file beside ``privacy.key``).

Central's database is restored from a backup outside berjasa (central.db copied back,
``pg_restore``): its trail then ends where the backup ended, while the entries written
since, which auditors may have exported, had the seqs that follow. The witness holds the
last entry appended (its seq, hash and the hash it followed), written and flushed to
disk before the entry's transaction commits, so it is never behind a committed entry;
:func:`gap` compares it with the trail's head and says when the trail went back, so the
next entry takes the seq after the witnessed one and declares the gap
(:func:`berjasa.audit.declared_gap`).

An append whose transaction rolls back leaves the witness one entry ahead, following
the trail's head: that is not a restore (:func:`gap` tells it apart by ``prev_hash``).
The one case it cannot tell from it: a backup taken just before one single entry that
was then lost with the restore (that seq is given out again). Not covered either: a
data folder restored with the database, or a second data folder writing the same
database (each witnesses only its own appends).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from berjasa.audit import GENESIS_HASH
from berjasa.paths import write_private

HEAD_FILE = "audit.head"


def witness(data_dir: Path, entry: dict[str, Any]) -> None:
    """Remember ``entry`` (being appended, not yet committed) as the furthest reached."""
    content = {"seq": int(entry["seq"]), "entry_hash": entry["entry_hash"],
               "prev_hash": entry["prev_hash"]}
    write_private(Path(data_dir) / HEAD_FILE, json.dumps(content, sort_keys=True).encode())


def witnessed(data_dir: Path) -> dict[str, Any] | None:
    """The witnessed head ``{"seq", "entry_hash", "prev_hash"}``; None when the folder
    has none (an older release, a new folder) or it cannot be read."""
    try:
        held = json.loads((Path(data_dir) / HEAD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(held, dict) or type(held.get("seq")) is not int:
        return None
    return held


def gap(data_dir: Path, last: dict[str, Any] | None) -> dict[str, Any] | None:
    """The witnessed head when the trail, whose last entry is ``last`` (``{"seq",
    "entry_hash"}`` or None), ends before it: the seqs after ``last`` up to the
    witnessed one were given out by the trail a restore replaced. None otherwise."""
    held = witnessed(data_dir)
    if held is None:
        return None
    seq = int(last["seq"]) if last else 0
    if held["seq"] <= seq:
        return None
    if held["seq"] == seq + 1 and held.get("prev_hash") == (last["entry_hash"] if last
                                                             else GENESIS_HASH):
        return None  # the next entry's append rolled back (or was lost alone: see above)
    return held
