"""SQL for central's audit trail (``audit_log``, append-only by trigger on both
backends). The chain (entry format, hash, verification) is :mod:`berjasa.audit`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from berjasa.audit import Actor, next_entry
from central.storage.db import Database, utc_now

# Any fixed number: the PostgreSQL advisory lock that serialises trail appends.
AUDIT_LOCK_KEY = 7371_0003
FILTERS = {"actor": "actor = ?", "action": "action = ?", "since": "at >= ?", "until": "at < ?"}


def append(db: Database, actor: Actor, action: str, record_id: str | None = None,
           changes: dict[str, Any] | None = None, reason: str | None = None) -> int:
    """Append one entry (inside the caller's transaction, if any); its seq."""
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
    return entry["seq"]


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
