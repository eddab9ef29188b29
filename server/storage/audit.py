"""The append-only, hash-chained audit trail of the kelurahan register.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any row breaks the chain from that row on. Triggers refuse
UPDATE and DELETE; :func:`verify_chain` finds what a hand edit of the file did.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from berjasa.database import utc_now

GENESIS_HASH = "0" * 64
HASHED_FIELDS = ("seq", "at", "actor", "role", "action", "record_id", "changes", "reason",
                 "address", "prev_hash")


@dataclass(frozen=True)
class Actor:
    """Who acts: the username, their role and the address they came from."""

    username: str
    role: str
    address: str | None = None


SYSTEM = Actor("system", "system")


def entry_hash(entry: dict[str, Any]) -> str:
    """The SHA-256 of an entry's hashed fields, as canonical JSON."""
    material = json.dumps({k: entry[k] for k in HASHED_FIELDS}, sort_keys=True,
                          ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def record_audit_entry(conn: sqlite3.Connection, actor: Actor, action: str,
                       record_id: str | None = None, changes: dict[str, Any] | None = None,
                       reason: str | None = None) -> int:
    """Append one entry inside the caller's transaction and return its sequence number."""
    last = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    entry = {
        "seq": (last["seq"] + 1) if last else 1,
        "at": utc_now(),
        "actor": actor.username,
        "role": actor.role,
        "action": action,
        "record_id": record_id,
        "changes": json.dumps(changes or {}, sort_keys=True, ensure_ascii=False),
        "reason": reason,
        "address": actor.address,
        "prev_hash": last["entry_hash"] if last else GENESIS_HASH,
    }
    entry["entry_hash"] = entry_hash(entry)
    conn.execute(
        "INSERT INTO audit_log (seq, at, actor, role, action, record_id, changes, reason,"
        " address, prev_hash, entry_hash) VALUES (:seq, :at, :actor, :role, :action,"
        " :record_id, :changes, :reason, :address, :prev_hash, :entry_hash)",
        entry,
    )
    return entry["seq"]


def iter_entries(conn: sqlite3.Connection, since: str | None = None,
                 record_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Entries in chain order, optionally from a time or for one record."""
    sql = "SELECT * FROM audit_log WHERE 1=1"
    params: list[Any] = []
    if since:
        sql += " AND at >= ?"
        params.append(since)
    if record_id:
        sql += " AND record_id = ?"
        params.append(record_id)
    for row in conn.execute(sql + " ORDER BY seq", params):
        yield dict(row)


def list_entries(conn: sqlite3.Connection, *, after_seq: int = 0, limit: int = 100,
                 since: str | None = None, record_id: str | None = None,
                 action: str | None = None) -> list[dict[str, Any]]:
    """A page of entries in chain order, after a sequence number."""
    sql = "SELECT * FROM audit_log WHERE seq > ?"
    params: list[Any] = [after_seq]
    for column, value in (("at >=", since), ("record_id =", record_id), ("action =", action)):
        if value:
            sql += f" AND {column} ?"
            params.append(value)
    rows = conn.execute(sql + " ORDER BY seq LIMIT ?", (*params, limit))
    return [dict(row) for row in rows]


def verify_chain(conn: sqlite3.Connection) -> tuple[int, dict[str, Any] | None]:
    """Recompute the chain. Returns (entries checked, None) when intact, else
    (entries checked, {"seq", "problem"}) naming the first broken entry."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in iter_entries(conn):
        if entry["seq"] != expected_seq:
            return checked, {"seq": expected_seq, "problem": "missing entry (deleted?)"}
        if entry["prev_hash"] != prev:
            return checked, {"seq": entry["seq"], "problem": "prev_hash does not match"}
        if entry_hash(entry) != entry["entry_hash"]:
            return checked, {"seq": entry["seq"], "problem": "content changed after writing"}
        prev = entry["entry_hash"]
        expected_seq += 1
        checked += 1
    return checked, None
