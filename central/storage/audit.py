"""SQL for central's audit trail (``audit_log`` and its keyed seals ``audit_seals``,
append-only by trigger on both backends). The chain (entry format, hash,
verification) is :mod:`berjasa.audit`, the seal :mod:`berjasa.audit_seal`: each
entry is sealed in its own transaction by a key derived from central's data-folder
key (``Database.data_dir``), which is not in the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from berjasa import audit_seal
from berjasa.audit import Actor, next_entry
from berjasa.pseudonyms import load_key
from central.storage.db import Database, utc_now

# Any fixed number: the PostgreSQL advisory lock that serialises trail appends.
AUDIT_LOCK_KEY = 7371_0003
FILTERS = {"actor": "actor = ?", "action": "action = ?", "since": "at >= ?", "until": "at < ?"}


def append(db: Database, actor: Actor, action: str, record_id: str | None = None,
           changes: dict[str, Any] | None = None, reason: str | None = None) -> int:
    """Append one entry (inside the caller's transaction, if any); its seq."""
    key = seal_key(db)
    with db.transaction():
        if db.dialect == "postgresql":
            db.run("SELECT pg_advisory_xact_lock(?)", (AUDIT_LOCK_KEY,))
        last = db.one("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        entry = next_entry(last, utc_now(), actor, action, record_id, changes, reason)
        db.run("INSERT INTO audit_log (seq, at, actor, role, action, record_id, changes, reason,"
               " address, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (entry["seq"], entry["at"], entry["actor"], entry["role"], entry["action"],
                entry["record_id"], entry["changes"], entry["reason"], entry["address"],
                entry["prev_hash"], entry["entry_hash"]))
        db.run("INSERT INTO audit_seals (seq, mac) VALUES (?, ?)",
               (entry["seq"], audit_seal.seal(key, entry["seq"], entry["entry_hash"])))
    return entry["seq"]


class SealKeyMissing(RuntimeError):
    """A trail entry written on a database opened without central's data folder."""


def seal_key(db: Database) -> bytes:
    """The trail's seal key: derived from the data folder's ``privacy.key``."""
    if db.data_dir is None:
        raise SealKeyMissing("central's audit trail is sealed with the data folder's key: "
                             "open the database with data_dir")
    return audit_seal.seal_key(load_key(db.data_dir))


def _where(filters: dict[str, str]) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for name, clause in FILTERS.items():
        if filters.get(name):
            clauses.append(clause)
            params.append(filters[name])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_entries(db: Database, filters: dict[str, str], limit: int,
                 offset: int = 0) -> list[dict[str, Any]]:
    """Entries matching the filters, newest first."""
    where, params = _where(filters)
    return db.query(f"SELECT * FROM audit_log{where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                    (*params, limit, offset))


def iter_entries(db: Database, filters: dict[str, str] | None = None,
                 page: int = 5000) -> Iterator[dict[str, Any]]:
    """Entries in chain order, fetched a page at a time (bounded memory)."""
    where, params = _where(filters or {})
    where = where + (" AND" if where else " WHERE") + " seq > ?"
    after = 0
    while True:
        rows = db.query(f"SELECT * FROM audit_log{where} ORDER BY seq LIMIT ?",
                        (*params, after, page))
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1]["seq"]


def actions(db: Database) -> list[str]:
    """The distinct actions in the trail (for the filter list)."""
    return [r["action"] for r in db.query("SELECT DISTINCT action FROM audit_log ORDER BY action")]


def iter_sealed(db: Database, page: int = 5000, after: int = 0) -> Iterator[dict[str, Any]]:
    """Every entry (after seq ``after``) in chain order with its seal (``mac``, None
    when it has none), a page at a time."""
    while True:
        rows = db.query("SELECT l.*, s.mac FROM audit_log l LEFT JOIN audit_seals s"
                        " ON s.seq = l.seq WHERE l.seq > ? ORDER BY l.seq LIMIT ?", (after, page))
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1]["seq"]


def first_orphan_seal(db: Database, after: int) -> int | None:
    """The lowest seq after ``after`` that has a seal but no entry (None: none)."""
    row = db.one("SELECT min(s.seq) AS seq FROM audit_seals s LEFT JOIN audit_log l"
                 " ON l.seq = s.seq WHERE s.seq > ? AND l.seq IS NULL", (after,))
    return None if row is None or row["seq"] is None else int(row["seq"])


def entry_hash_at(db: Database, seq: int) -> str | None:
    """The entry_hash stored at ``seq`` (None: no such entry), by primary key."""
    row = db.one("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq,))
    return row["entry_hash"] if row else None


def seal_unsealed(db: Database) -> tuple[int, int]:
    """Seal every entry that has no seal (one transaction); (entries sealed, last seq)."""
    key = seal_key(db)
    with db.transaction():
        rows = db.query("SELECT l.seq, l.entry_hash FROM audit_log l LEFT JOIN audit_seals s"
                        " ON s.seq = l.seq WHERE s.seq IS NULL ORDER BY l.seq")
        for row in rows:
            db.run("INSERT INTO audit_seals (seq, mac) VALUES (?, ?)",
                   (row["seq"], audit_seal.seal(key, row["seq"], row["entry_hash"])))
        last = db.one("SELECT max(seq) AS seq FROM audit_log")
    return len(rows), int(last["seq"] or 0) if last else 0
