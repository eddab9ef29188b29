"""SQL of the sync agent about records beyond its batches (migrations/kelurahan/0003_sync.sql
and later): notices from central that change no status, the records central holds that
this laptop does not (``sync_central_only``), a restore waiting for its recovery from
central, and the erasures made here that central has not confirmed. The batches,
attempts, device, state and lease are :mod:`sync.storage`.

Functions take the connection first and return plain dicts.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from berjasa.database import transaction, utc_now
from server.storage import enrollments as enrollment_store
from server.storage import privacy as privacy_store
from sync.storage import get_state, set_state


def add_notice(conn: sqlite3.Connection, seq: int, enrollment_id: str, kind: str,
               payload: dict[str, Any]) -> None:
    """Keep a notice from central that changes no status (idempotent by seq)."""
    conn.execute("INSERT OR IGNORE INTO sync_notices (seq, enrollment_id, kind, payload, received_at)"
                 " VALUES (?, ?, ?, ?, ?)",
                 (seq, enrollment_id, kind, json.dumps(payload, ensure_ascii=False), utc_now()))


def notice_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Notices per kind."""
    return {row[0]: row[1] for row in
            conn.execute("SELECT kind, count(*) FROM sync_notices GROUP BY kind")}


# --- records central holds that this laptop does not ---------------------------


def note_central_only(conn: sqlite3.Connection, record_id: str, kind: str,
                      central_status: str | None, seq: int) -> None:
    """A pulled entry about a record id the register does not hold (migration 0014):
    kept (its kind, central status and seq), never its data."""
    now = utc_now()
    conn.execute(
        "INSERT INTO sync_central_only (record_id, central_status, last_kind, last_seq,"
        " first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(record_id) DO UPDATE SET"
        " central_status = coalesce(excluded.central_status, central_status),"
        " last_kind = excluded.last_kind, last_seq = excluded.last_seq,"
        " last_seen_at = excluded.last_seen_at",
        (record_id, central_status, kind, seq, now, now))


def forget_central_only(conn: sqlite3.Connection, record_ids: list[str]) -> None:
    """These records are here again (recovered), or central holds them no more."""
    conn.executemany("DELETE FROM sync_central_only WHERE record_id = ?",
                     [(record_id,) for record_id in record_ids])


def central_only(conn: sqlite3.Connection) -> dict[str, Any]:
    """How many records central holds that this laptop does not, by central status
    (as far as the entries pulled tell): ``{"records": N, "statuses": {...}}``."""
    # counted live: a record stored here again since (a phone re-sent it, the
    # enumerator's copy, a recovery) or erased here since is not missing any more
    rows = conn.execute("SELECT record_id, coalesce(central_status, '?') AS status"
                        " FROM sync_central_only").fetchall()
    ids = [row["record_id"] for row in rows]
    here = set(enrollment_store.intake_keys(conn, ids)) | privacy_store.erased_ids(conn, ids)
    statuses: dict[str, int] = {}
    for row in rows:
        if row["record_id"] not in here:
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {"records": sum(statuses.values()), "statuses": dict(sorted(statuses.items()))}


def central_only_ids(conn: sqlite3.Connection) -> list[str]:
    """The ids of those records."""
    return [row[0] for row in conn.execute("SELECT record_id FROM sync_central_only"
                                           " ORDER BY first_seen_at, record_id")]


# A restore (berjasa restore) leaves this in the restored database: the register is
# as old as its backup; `sync recover` takes back what central holds, and clears it.
RESTORED_STATE = "restored_from_backup"


def note_restored(conn: sqlite3.Connection, backup_created_at: str) -> None:
    """Mark a register just restored from a backup made at ``backup_created_at``."""
    with transaction(conn):
        set_state(conn, RESTORED_STATE, json.dumps(
            {"backup_created_at": backup_created_at, "restored_at": utc_now()}, sort_keys=True))


def restored_from_backup(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """{"backup_created_at", "restored_at"} of a restore not yet followed by a
    recovery from central, or None."""
    text = get_state(conn, RESTORED_STATE)
    return json.loads(text) if text else None


# --- erasures for central (server/privacy.py fills the table) ------------------


def unsent_erasures(conn: sqlite3.Connection, limit: int = 1000) -> list[dict[str, Any]]:
    """Erasures made here that central has not confirmed yet, oldest first: record
    ids, times and the reason recorded (a letter number; docs/privacy.md)."""
    rows = conn.execute("SELECT record_id, erased_at, origin, reason FROM privacy_erasures"
                        " WHERE sent_at IS NULL ORDER BY id LIMIT ?", (limit,))
    return [dict(r) for r in rows]


def mark_erasures_sent(conn: sqlite3.Connection, results: dict[str, str]) -> None:
    """Central confirmed these erasures: {record_id: result}."""
    with transaction(conn):
        conn.executemany("UPDATE privacy_erasures SET sent_at = ?, central_result = ?"
                         " WHERE record_id = ?", [(utc_now(), r, rid) for rid, r in results.items()])
