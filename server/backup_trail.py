"""The audit entries of the whole register leaving the laptop or being replaced
(h2 report item 5; docs/audit-chain.md "Backups, restores and continuity").

* ``site.backup``: who wrote an encrypted backup, the file, its SHA-256 and size,
  when, and the last seq of the trail it holds.
* ``site.restore``: written into the restored trail, right after a restore: who,
  from which backup (file, SHA-256, when it was made) and what the trail it
  replaced had reached (last seq and hash, and the copy kept beside it). Its seq
  follows that replaced trail's last, not the backup's: the numbers the replaced
  trail gave out are never given out again, and ``audit verify`` accepts exactly
  the gap the entry declares (:func:`berjasa.audit.declared_gap`) and reports it.

A restored database may be older than the program (``berjasa migrate`` first): the
restore leaves its facts in ``restore.pending.json`` in the data folder, and the
entry is written as soon as the database can take it (the restore itself, else
``migrate``, ``init`` or the server's start), before anything else is appended.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from berjasa.audit import RESTORE_ACTION, Actor, restore_facts
from berjasa.database import transaction, utc_now
from berjasa.paths import write_private
from server.storage.audit import record_audit_entries, record_audit_entry

PENDING_FILE = "restore.pending.json"
BACKUP_ACTION = "site.backup"


def trail_head(db_path: Path) -> dict[str, Any]:
    """What a database's trail had reached, read before it is replaced: ``{"state":
    "held", "seq", "entry_hash"}``, ``{"state": "empty"}``, ``{"state": "none"}``
    (no database) or ``{"state": "unreadable"}`` (damaged: the usual reason to restore)."""
    if not Path(db_path).exists():
        return {"state": "none"}
    try:
        conn = sqlite3.connect(f"file:{Path(db_path).as_posix()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
                               ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return {"state": "unreadable"}
    if row is None:
        return {"state": "empty"}
    return {"state": "held", "seq": int(row[0]), "entry_hash": str(row[1])}


def record_backup(conn: sqlite3.Connection, actor: Actor, file: str, sha256: str, size: int,
                  made_at: str, last_seq: int | None) -> int | None:
    """The ``site.backup`` entry of a backup just written; its seq (None for a
    database older than the trail's tables: ``berjasa migrate`` first)."""
    if not _has_trail_tables(conn):
        return None
    with transaction(conn):
        return record_audit_entry(conn, actor, BACKUP_ACTION, None, {
            "file": [None, file], "sha256": [None, sha256], "bytes": [None, size],
            "made_at": [None, made_at], "last_seq": [None, last_seq]})


def note_restore(data_dir: Path, actor: Actor, backup: Path, sha256: str, made_at: str,
                 previous: dict[str, Any], previous_copy: str | None) -> None:
    """Leave the facts of a restore just made for :func:`record_pending_restore`."""
    facts = {"actor": {"username": actor.username, "role": actor.role},
             "backup": str(backup), "backup_sha256": sha256, "backup_made_at": made_at,
             "restored_at": utc_now(), "previous": previous, "previous_copy": previous_copy}
    write_private(Path(data_dir) / PENDING_FILE, json.dumps(facts, sort_keys=True).encode())


def record_pending_restore(conn: sqlite3.Connection, data_dir: Path) -> int | None:
    """Write the ``site.restore`` entry a restore left pending, when the database
    has the trail's tables (else it waits for ``migrate``); its seq, or None."""
    path = Path(data_dir) / PENDING_FILE
    if not path.exists() or not _has_trail_tables(conn):
        return None
    facts = json.loads(path.read_text(encoding="utf-8"))
    previous = facts.get("previous") or {}
    previous_seq = previous.get("seq") if previous.get("state") == "held" else None
    with transaction(conn):
        last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0] or 0
        changes = {
            "backup": [None, facts["backup"]], "backup_sha256": [None, facts["backup_sha256"]],
            "backup_made_at": [None, facts["backup_made_at"]],
            "restored_at": [None, facts["restored_at"]],
            "restored_last_seq": [None, last],
            "previous_trail": [None, facts.get("previous_copy") or previous.get("state")],
            "previous_last_seq": [None, previous_seq],
            "previous_last_hash": [None, previous.get("entry_hash")],
        }
        who = facts["actor"]
        # the seqs the replaced trail used stay its own: the next one follows them
        first = previous_seq + 1 if previous_seq is not None and previous_seq > last else None
        [seq] = record_audit_entries(conn, Actor(who["username"], who["role"]),
                                     [(RESTORE_ACTION, None, changes, None)], first_seq=first)
    path.unlink()
    return seq


def _has_trail_tables(conn: sqlite3.Connection) -> bool:
    names = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name IN ('audit_log', 'audit_seals', 'audit_values')")}
    return len(names) == 3


def restores(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The restores among these ``site.restore`` entries, as ``audit verify`` and the
    auditor read them: when, who, from which backup, and which seqs of the replaced
    trail this trail lacks (``lost``: [first, last], or None)."""
    out = []
    for entry in entries:
        facts = restore_facts(entry)
        out.append({"seq": entry["seq"], "at": entry["at"], "actor": entry["actor"],
                    "backup": facts.get("backup"), "backup_made_at": facts.get("backup_made_at"),
                    "backup_sha256": facts.get("backup_sha256"),
                    "previous_trail": facts.get("previous_trail"), "lost": facts["lost"]})
    return out
