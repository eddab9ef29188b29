"""SQL for the data-subject requests of UU PDP: everything held about one NIK,
its erasure (register, history, sync batches, notices, audit values), the
erasures queue for central, and the compaction that leaves no readable trace."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from berjasa.database import checkpoint_truncate
from server.storage.enrollments import from_row


def enrollments_for_nik(conn: sqlite3.Connection, nik: str) -> list[dict[str, Any]]:
    """Every enrollment (any status) with this NIK."""
    rows = conn.execute("SELECT * FROM enrollments WHERE nik = ? ORDER BY received_at", (nik,))
    return [from_row(row) for row in rows]


def enrollment_by_id(conn: sqlite3.Connection, record_id: str) -> dict[str, Any] | None:
    """One enrollment by id, or None."""
    row = conn.execute("SELECT * FROM enrollments WHERE id = ?", (record_id,)).fetchone()
    return from_row(row) if row else None


def audit_entries_for(conn: sqlite3.Connection, record_ids: list[str]) -> list[dict[str, Any]]:
    """Audit entries about these records (chained form)."""
    if not record_ids:
        return []
    marks = ", ".join("?" for _ in record_ids)
    rows = conn.execute(f"SELECT seq, at, actor, role, action, record_id, changes, reason"
                        f" FROM audit_log WHERE record_id IN ({marks}) ORDER BY seq", record_ids)
    return [dict(row) for row in rows]


# --- sync batches holding a record ---------------------------------------------


def batches_holding(conn: sqlite3.Connection, record_id: str) -> list[dict[str, Any]]:
    """Stored batches whose records include ``record_id``: id and state."""
    rows = conn.execute(
        "SELECT batch_id, state FROM sync_batches WHERE batch_id IN ("
        " SELECT batch_id FROM sync_outbox WHERE enrollment_id = ? AND batch_id IS NOT NULL)"
        " OR (instr(record_ids, ?) > 0 AND length(body) > 0)",
        (record_id, json.dumps(record_id))).fetchall()
    return [dict(r) for r in rows]


def usb_files_holding(conn: sqlite3.Connection, batch_id: str) -> list[dict[str, Any]]:
    """The files `sync export` wrote this unanswered batch into (path, hash, when)."""
    rows = conn.execute("SELECT file, sha256, written_at FROM sync_usb_files WHERE batch_id = ?"
                        " ORDER BY written_at", (batch_id,))
    return [dict(r) for r in rows]


def drop_pending_batch(conn: sqlite3.Connection, batch_id: str) -> int:
    """Forget an unanswered batch: its other records go back to the outbox (the
    next run packs them under a new batch id); the stored body is deleted."""
    freed = conn.execute("UPDATE sync_outbox SET batch_id = NULL WHERE batch_id = ?",
                         (batch_id,)).rowcount
    conn.execute("DELETE FROM sync_batches WHERE batch_id = ? AND state = 'pending'", (batch_id,))
    return freed


def strip_answered_body(conn: sqlite3.Connection, batch_id: str) -> None:
    """An answered batch keeps only what the protocol needs (id, content hash,
    record ids, central's answer); its body and signed headers go."""
    conn.execute("UPDATE sync_batches SET body = x'', headers = '{}' WHERE batch_id = ?"
                 " AND state = 'answered'", (batch_id,))


def delete_record(conn: sqlite3.Connection, record_id: str) -> None:
    """Remove a record and everything keyed by it (outbox row, history, notices)."""
    for sql in ("DELETE FROM sync_outbox WHERE enrollment_id = ?",
                "DELETE FROM sync_notices WHERE enrollment_id = ?",
                "DELETE FROM enrollment_history WHERE enrollment_id = ?",
                "DELETE FROM enrollments WHERE id = ?"):
        conn.execute(sql, (record_id,))


# --- erasures ------------------------------------------------------------------


def add_erasure(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Remember an erasure (inside the erasing transaction)."""
    conn.execute(
        "INSERT INTO privacy_erasures (record_id, pseudonym, erased_at, erased_by, origin, reason,"
        " sent_at, central_result, enumerator) VALUES (:record_id, :pseudonym, :erased_at,"
        " :erased_by, :origin, :reason, :sent_at, :central_result, :enumerator)",
        {"sent_at": None, "central_result": None, "enumerator": None, **row})


def set_erasure_enumerator(conn: sqlite3.Connection, record_id: str, enumerator: str) -> None:
    """Name the enumerator of an erasure noted without one (whose phone to tell)."""
    conn.execute("UPDATE privacy_erasures SET enumerator = ? WHERE record_id = ?"
                 " AND enumerator IS NULL", (enumerator, record_id))


def owe_compaction(conn: sqlite3.Connection) -> None:
    """An erasure made inside a longer transaction: the next agent run, purge or
    erasure compacts (:func:`finish_compaction`)."""
    _marker(conn).touch(mode=0o600)


def erasures_by_pseudonym(conn: sqlite3.Connection, pseudonym: str) -> list[dict[str, Any]]:
    """Erasures already made for this NIK (by its pseudonym)."""
    rows = conn.execute("SELECT * FROM privacy_erasures WHERE pseudonym = ? ORDER BY id",
                        (pseudonym,))
    return [dict(r) for r in rows]


def erasure_of_record(conn: sqlite3.Connection, record_id: str) -> dict[str, Any] | None:
    """The erasure of one record id, if it was erased."""
    row = conn.execute("SELECT * FROM privacy_erasures WHERE record_id = ?", (record_id,)).fetchone()
    return dict(row) if row else None


def erased_ids(conn: sqlite3.Connection, record_ids: list[str]) -> set[str]:
    """Which of these record ids were erased (intake refuses them again)."""
    found: set[str] = set()
    for start in range(0, len(record_ids), 900):
        chunk = record_ids[start:start + 900]
        marks = ", ".join("?" * len(chunk))
        found.update(r[0] for r in conn.execute(
            f"SELECT record_id FROM privacy_erasures WHERE record_id IN ({marks})", chunk))
    return found


def erased_for_enumerator(conn: sqlite3.Connection, enumerator: str,
                          since: str | None = None) -> list[dict[str, Any]]:
    """The ids and times of the erased records ``enumerator`` recorded, erased at or
    after ``since`` (all when None), oldest first (index
    ``privacy_erasures_enumerator``)."""
    sql = "SELECT record_id, erased_at FROM privacy_erasures WHERE enumerator = ?"
    params: tuple = (enumerator,)
    if since:
        sql, params = sql + " AND erased_at >= ?", (enumerator, since)
    return [dict(row) for row in conn.execute(sql + " ORDER BY erased_at, record_id", params)]


def any_erasure(conn: sqlite3.Connection, not_by: str) -> bool:
    """Whether any erasure not made by ``not_by`` is held (most intakes: none yet,
    and then no NIK needs its pseudonym computed)."""
    return conn.execute("SELECT 1 FROM privacy_erasures WHERE erased_by <> ? LIMIT 1",
                        (not_by,)).fetchone() is not None


def erasure_times(conn: sqlite3.Connection, pseudonyms: list[str],
                  not_by: str) -> dict[str, str]:
    """{pseudonym: the latest ``erased_at``} of the erasures held for these NIK
    pseudonyms, leaving out those made by ``not_by`` (the retention purge: nobody
    asked for it). One probe of ``privacy_erasures_pseudonym`` per pseudonym, one
    statement per 900 of them."""
    found: dict[str, str] = {}
    for start in range(0, len(pseudonyms), 900):
        chunk = pseudonyms[start:start + 900]
        marks = ", ".join("?" * len(chunk))
        found.update((row[0], row[1]) for row in conn.execute(
            f"SELECT pseudonym, max(erased_at) FROM privacy_erasures WHERE pseudonym IN ({marks})"
            " AND erased_by <> ? GROUP BY pseudonym", (*chunk, not_by)))
    return found


# --- retention (berjasa privacy purge) ------------------------------------------


def rejected_before(conn: sqlite3.Connection, cutoff: str) -> list[dict[str, Any]]:
    """Records rejected at the kelurahan whose last change is older than ``cutoff``."""
    rows = conn.execute("SELECT * FROM enrollments WHERE status = 'rejected' AND updated_at < ?"
                        " ORDER BY updated_at", (cutoff,))
    return [from_row(row) for row in rows]


def delete_erasure_traces(conn: sqlite3.Connection, cutoff: str) -> int:
    """Erasure rows central confirmed before ``cutoff`` (pseudonym, id, reason)."""
    return conn.execute("DELETE FROM privacy_erasures WHERE sent_at IS NOT NULL AND sent_at < ?",
                        (cutoff,)).rowcount


def strip_answered_bodies(conn: sqlite3.Connection, cutoff: str) -> int:
    """Empty the bodies of batches central answered before ``cutoff``."""
    return conn.execute("UPDATE sync_batches SET body = x'', headers = '{}' WHERE state = 'answered'"
                        " AND answered_at < ? AND length(body) > 0", (cutoff,)).rowcount


# table -> time column; rows older than the logs cutoff go (tables a later
# migration has not created yet are skipped)
LOG_TABLES = {"sync_attempts": "started_at", "login_failures": "at", "web_sessions": "expires_at",
              "api_tokens": "expires_at", "field_index_fetches": "at", "receipt_lookups": "at"}


def delete_logs(conn: sqlite3.Connection, cutoff: str) -> int:
    """Operational records older than ``cutoff`` (never the audit trail)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    deleted = 0
    for table, column in LOG_TABLES.items():
        if table in present:
            extra = " AND finished_at IS NOT NULL" if table == "sync_attempts" else ""
            deleted += conn.execute(f"DELETE FROM {table} WHERE {column} < ?{extra}",
                                    (cutoff,)).rowcount
    return deleted


# --- compaction ----------------------------------------------------------------

# How long a compaction waits for readers still on an old snapshot
# (berjasa.database.checkpoint_truncate).
CHECKPOINT_WAIT_SECONDS = 10.0
# Beside the database while a compaction is owed: an erasure whose checkpoint a
# reader blocked (or a process killed mid-compaction); the next agent run,
# ``privacy purge`` or erasure finishes it.
PENDING_MARKER = "compaction.pending"


def _marker(conn_or_folder: sqlite3.Connection | Path) -> Path:
    if isinstance(conn_or_folder, sqlite3.Connection):
        folder = Path(conn_or_folder.execute("PRAGMA database_list").fetchone()[2]).parent
    else:
        folder = Path(conn_or_folder)
    return folder / PENDING_MARKER


# The copies `berjasa migrate` leaves in backups/ (server/install.py): plain SQLite files.
MIGRATION_COPIES = "kelurahan-sebelum-migrasi-*.db"


def drop_copies_holding(conn: sqlite3.Connection, nik: str) -> list[str]:
    """Delete the pre-migration copies in the data folder's ``backups/`` that hold
    this NIK, or that cannot be read to tell (no file of the folder may keep an
    erased person readable, and such a copy is only a way back from a failed
    upgrade, which would bring the person back too); the names deleted."""
    folder = Path(conn.execute("PRAGMA database_list").fetchone()[2]).parent / "backups"
    dropped = []
    for path in sorted(folder.glob(MIGRATION_COPIES)):
        if _holds_nik(path, nik):
            for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                part.unlink(missing_ok=True)
            dropped.append(path.name)
    return dropped


def _holds_nik(path: Path, nik: str) -> bool:
    try:
        copy = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
        try:
            return copy.execute("SELECT 1 FROM enrollments WHERE nik = ? LIMIT 1",
                                (nik,)).fetchone() is not None
        finally:
            copy.close()
    except sqlite3.Error:
        return True  # unreadable: it may hold the person


def compaction_pending(data_dir: Path) -> bool:
    """Whether an erasure's compaction is still owed in this data folder."""
    return _marker(data_dir).exists()


def compact(conn: sqlite3.Connection) -> dict[str, Any]:
    """Leave nothing of deleted rows readable: checkpoint the WAL into the file,
    rebuild the file (VACUUM), and truncate the WAL again. ``secure_delete`` (on
    for every connection) already zeroed the deleted cells. A reader on an old
    snapshot blocks the checkpoint (the old pages stay in the file): after
    :data:`CHECKPOINT_WAIT_SECONDS` this answers ``checkpoint_busy`` and leaves the
    marker for :func:`finish_compaction`."""
    marker = _marker(conn)
    marker.touch(mode=0o600)  # owner-only, as every file of the data folder
    deadline = time.monotonic() + CHECKPOINT_WAIT_SECONDS
    first = checkpoint_truncate(conn, deadline)
    conn.execute("VACUUM")
    done = checkpoint_truncate(conn, deadline)
    if done:
        marker.unlink(missing_ok=True)
    return {"checkpoint_busy": not done, "first_busy": not first}


def finish_compaction(conn: sqlite3.Connection) -> bool | None:
    """Compact when an earlier compaction is owed; None when none was, else whether
    it is done now."""
    if not _marker(conn).exists():
        return None
    return not compact(conn)["checkpoint_busy"]
