"""SQL of the sync agent (migrations/kelurahan/0003_sync.sql): stored batches and
their outbox claims, attempts, device identity, agent state, the USB files and the
run lease; what it keeps about records beyond its batches (notices, records central
holds that this laptop does not, a restore, erasures for central) is
:mod:`sync.storage_central`. The records waiting in the outbox are read from the kelurahan's
``enrollments`` by :mod:`server.storage.outbox` (no SQL on server tables here).

Functions take the connection first and return plain dicts. Callers group them
in :func:`berjasa.database.transaction` where several writes must land together
(a batch and its outbox rows; an answer and the records' new statuses).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from berjasa.database import transaction, utc_now

# --- outbox -------------------------------------------------------------------


class StaleBatch(Exception):
    """A record of a freshly built batch left the outbox meanwhile (erased, or
    claimed by another run): the batch must not be stored or sent."""


def add_batch(conn: sqlite3.Connection, batch_id: str, content_hash: str, record_ids: list[str],
              body: bytes, headers: dict[str, str]) -> None:
    """Store a built batch and tie its records to it (call inside a transaction).
    Raises :class:`StaleBatch` (the caller's transaction rolls back) when any of
    its records is no longer waiting in the outbox, e.g. erased while it was packed."""
    conn.execute(
        "INSERT INTO sync_batches (batch_id, content_hash, record_ids, record_count, body,"
        " headers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (batch_id, content_hash, json.dumps(record_ids), len(record_ids), body,
         json.dumps(headers, sort_keys=True), utc_now()))
    claimed = conn.executemany(
        "UPDATE sync_outbox SET batch_id = ? WHERE enrollment_id = ? AND batch_id IS NULL",
        [(batch_id, rid) for rid in record_ids]).rowcount
    if claimed != len(record_ids):
        raise StaleBatch(batch_id)


def batch_is_pending(conn: sqlite3.Connection, batch_id: str) -> bool:
    """Whether a stored batch is still waiting for its answer (an erasure drops
    a batch holding the erased person: it must not be sent)."""
    return conn.execute("SELECT 1 FROM sync_batches WHERE batch_id = ? AND state = 'pending'",
                        (batch_id,)).fetchone() is not None


def unanswered_batches(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Batches built but not answered yet, oldest first (resent byte for byte)."""
    rows = conn.execute("SELECT * FROM sync_batches WHERE state = 'pending'"
                        " ORDER BY created_at, batch_id").fetchall()
    return [_batch(row) for row in rows]


def unanswered_batch_ids(conn: sqlite3.Connection) -> list[str]:
    """The ids of the batches built but not answered yet, oldest first."""
    return [row[0] for row in conn.execute("SELECT batch_id FROM sync_batches WHERE state = 'pending'"
                                           " ORDER BY created_at, batch_id")]


def get_batch(conn: sqlite3.Connection, batch_id: str) -> dict[str, Any] | None:
    """One stored batch."""
    row = conn.execute("SELECT * FROM sync_batches WHERE batch_id = ?", (batch_id,)).fetchone()
    return _batch(row) if row else None


def _batch(row: sqlite3.Row) -> dict[str, Any]:
    batch = dict(row)
    batch["record_ids"] = json.loads(batch["record_ids"])
    batch["headers"] = json.loads(batch["headers"])
    return batch


def note_send(conn: sqlite3.Connection, batch_id: str, error: str | None) -> None:
    """Count one send of a batch and keep its last error (None when it went through)."""
    with transaction(conn):
        conn.execute("UPDATE sync_batches SET sends = sends + 1, last_error = ? WHERE batch_id = ?",
                     (error, batch_id))


def mark_answered(conn: sqlite3.Connection, batch_id: str, answer: bytes, accepted: int,
                  refused: int) -> bool:
    """Keep central's answer and empty the batch's outbox rows (inside the caller's
    transaction, with the records' status changes). False when it was already
    answered (two runs racing: the first one's answer stands)."""
    changed = conn.execute(
        "UPDATE sync_batches SET state = 'answered', answered_at = ?, answer = ?, accepted = ?,"
        " refused = ? WHERE batch_id = ? AND state = 'pending'",
        (utc_now(), answer, accepted, refused, batch_id)).rowcount
    conn.execute("DELETE FROM sync_outbox WHERE batch_id = ?", (batch_id,))
    # central holds it now: a file on a stick holding it can do no harm any more
    conn.execute("DELETE FROM sync_usb_files WHERE batch_id = ?", (batch_id,))
    return changed == 1


def outbox_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Records waiting: not yet packed, and packed in a batch awaiting an answer."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE batch_id IS NULL) AS queued,"
        " count(*) FILTER (WHERE batch_id IS NOT NULL) AS in_batches FROM sync_outbox").fetchone()
    batches = conn.execute("SELECT count(*) FROM sync_batches WHERE state = 'pending'").fetchone()[0]
    return {"queued": row["queued"], "in_batches": row["in_batches"], "batches_unanswered": batches}


# --- attempts -----------------------------------------------------------------


def start_attempt(conn: sqlite3.Connection, trigger: str) -> int:
    """Record the start of a run; its id."""
    with transaction(conn):
        return conn.execute("INSERT INTO sync_attempts (started_at, trigger) VALUES (?, ?)",
                            (utc_now(), trigger)).lastrowid


INTERRUPTED = ("Terhenti sebelum selesai (proses dimatikan atau listrik padam); dicatat oleh "
               "sinkronisasi berikutnya.")


def close_interrupted_attempts(conn: sqlite3.Connection, before_id: int) -> int:
    """Close the runs before ``before_id`` that never finished (a killed agent): only
    the holder of the run lock calls this, so none of them still runs. How many."""
    with transaction(conn):
        return conn.execute("UPDATE sync_attempts SET finished_at = ?, result = 'failed', error = ?"
                            " WHERE finished_at IS NULL AND id < ?",
                            (utc_now(), INTERRUPTED, before_id)).rowcount


def finish_attempt(conn: sqlite3.Connection, attempt_id: int, values: dict[str, Any]) -> None:
    """Close a run with its counts, result and error."""
    allowed = ("result", "batches_sent", "records_sent", "records_answered", "updates_applied",
               "bytes_up", "bytes_down", "error")
    columns = {k: values[k] for k in allowed if k in values}
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    with transaction(conn):
        conn.execute(f"UPDATE sync_attempts SET finished_at = :_at, {assignments} WHERE id = :_id",
                     {**columns, "_at": utc_now(), "_id": attempt_id})


def recent_attempts(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    rows = conn.execute("SELECT * FROM sync_attempts ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(row) for row in rows]


def last_attempt(conn: sqlite3.Connection, result: str | None = None) -> dict[str, Any] | None:
    """The latest finished run (with that result, when given)."""
    sql = "SELECT * FROM sync_attempts WHERE finished_at IS NOT NULL"
    params: tuple = ()
    if result:
        sql, params = sql + " AND result = ?", (result,)
    row = conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
    return dict(row) if row else None


def last_run(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The latest finished run that was not refused as busy (it met central, or failed)."""
    row = conn.execute("SELECT * FROM sync_attempts WHERE finished_at IS NOT NULL"
                       " AND result <> 'busy' ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else None


def last_push_attempt(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The latest run that reached central: it ended ``ok``, or it sent records
    (a ``partial`` run after an ``ok`` one is the later news, not the ``ok`` one)."""
    row = conn.execute("SELECT * FROM sync_attempts WHERE finished_at IS NOT NULL"
                       " AND (result = 'ok' OR records_sent > 0) ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else None


def last_error(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The latest run that ended with an error: when and what."""
    row = conn.execute("SELECT finished_at, error FROM sync_attempts WHERE error IS NOT NULL"
                       " ORDER BY id DESC LIMIT 1").fetchone()
    return dict(row) if row else None


def totals(conn: sqlite3.Connection) -> dict[str, int]:
    """Records sent and bytes moved over all runs."""
    row = conn.execute("SELECT count(*) AS attempts, coalesce(sum(records_sent), 0) AS records_sent,"
                       " coalesce(sum(bytes_up), 0) AS bytes_up,"
                       " coalesce(sum(bytes_down), 0) AS bytes_down FROM sync_attempts").fetchone()
    return dict(row)


# --- device, state, notices ---------------------------------------------------


def get_device(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The registered device, or None."""
    row = conn.execute("SELECT * FROM sync_device WHERE singleton = 1").fetchone()
    return dict(row) if row else None


def save_device(conn: sqlite3.Connection, device: dict[str, Any]) -> None:
    """Store (or replace, after a new registration) the device identity."""
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO sync_device (singleton, device_id, kelurahan_code, central_url,"
            " key_file, public_key, registered_at, central_public_key, central_next_key)"
            " VALUES (1, :device_id, :kelurahan_code, :central_url, :key_file, :public_key,"
            " :registered_at, :central_public_key, :central_next_key)",
            {"central_public_key": None, "central_next_key": None, **device})


def set_central_keys(conn: sqlite3.Connection, current: str | None, following: str | None) -> None:
    """Pin central's signing key and its announced successor."""
    with transaction(conn):
        conn.execute("UPDATE sync_device SET central_public_key = ?, central_next_key = ?"
                     " WHERE singleton = 1", (current, following))


def get_state(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    """One agent state value (updates cursor, failure count)."""
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else default


def set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Set one agent state value (inside the caller's transaction when there is one)."""
    conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?)"
                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


# The retention purge's state (sync/retention.py): when it last ran, and why the
# clock held it back since (JSON), for ``sync status`` and the supervisor's panel.
RETENTION_LAST_PURGE, RETENTION_HELD_BACK = "retention_last_purge", "retention_skipped"


def retention_state(conn: sqlite3.Connection) -> dict[str, Any]:
    """``{"last_purge": time or None, "held_back": the clock's doubt or None}``."""
    held = get_state(conn, RETENTION_HELD_BACK)
    return {"last_purge": get_state(conn, RETENTION_LAST_PURGE),
            "held_back": json.loads(held) if held else None}


def delete_state(conn: sqlite3.Connection, key: str) -> None:
    """Forget one agent state value (inside the caller's transaction when there is one)."""
    conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))


# sync by USB stick writes no attempt (no run, no link): its last file each way is
# kept in sync_state, for ``sync status`` and the supervisor's panel
USB_EVENTS = {"export": "usb_last_export", "import": "usb_last_import"}


def note_usb(conn: sqlite3.Connection, kind: str, values: dict[str, Any]) -> None:
    """Keep the last USB ``kind`` ("export": a file written for central, "import":
    central's answers applied) with its time and counts."""
    with transaction(conn):
        set_state(conn, USB_EVENTS[kind], json.dumps({"at": utc_now(), **values}, sort_keys=True))


def note_usb_file(conn: sqlite3.Connection, batch_ids: list[str], path: Path, sha256: str) -> None:
    """Remember that these unanswered batches go into the file at ``path``
    (sync/usb.py; call inside a transaction)."""
    at = utc_now()
    conn.executemany("INSERT OR IGNORE INTO sync_usb_files (batch_id, file, sha256, written_at)"
                     " SELECT batch_id, ?, ?, ? FROM sync_batches"
                     " WHERE batch_id = ? AND state = 'pending'",
                     [(str(path), sha256, at, batch_id) for batch_id in batch_ids])


def forget_usb_file(conn: sqlite3.Connection, batch_ids: list[str], path: Path,
                    sha256: str) -> None:
    """A file noted by :func:`note_usb_file` was not written after all."""
    with transaction(conn):
        conn.executemany("DELETE FROM sync_usb_files WHERE batch_id = ? AND file = ? AND sha256 = ?",
                         [(batch_id, str(path), sha256) for batch_id in batch_ids])


def usb_events(conn: sqlite3.Connection) -> dict[str, dict[str, Any] | None]:
    """{"last_export": ..., "last_import": ...}: each None when never done."""
    events: dict[str, dict[str, Any] | None] = {}
    for kind, key in USB_EVENTS.items():
        text = get_state(conn, key)
        events[f"last_{kind}"] = json.loads(text) if text else None
    return events


# --- lease --------------------------------------------------------------------


def acquire_lease(conn: sqlite3.Connection, holder: str, seconds: float, name: str = "agent",
                  takeover: bool = False) -> bool:
    """Take the named lease for ``seconds`` unless another live holder has it
    (``takeover``: the caller knows the holder is dead, e.g. it holds its OS lock).
    ``BEGIN IMMEDIATE`` makes the check and the write one step across processes."""
    now = time.time()
    with transaction(conn):
        row = conn.execute("SELECT holder, expires_at FROM sync_lease WHERE name = ?", (name,)).fetchone()
        if row and row["holder"] != holder and row["expires_at"] > now and not takeover:
            return False
        conn.execute("INSERT INTO sync_lease (name, holder, expires_at) VALUES (?, ?, ?)"
                     " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
                     " expires_at = excluded.expires_at", (name, holder, now + seconds))
    return True


def release_lease(conn: sqlite3.Connection, holder: str, name: str = "agent") -> None:
    """Give the lease back (only if still ours)."""
    with transaction(conn):
        conn.execute("DELETE FROM sync_lease WHERE name = ? AND holder = ?", (name, holder))


def lease_holder(conn: sqlite3.Connection, name: str = "agent") -> dict[str, Any] | None:
    """Who holds the lease now, if anyone."""
    row = conn.execute("SELECT holder, expires_at FROM sync_lease WHERE name = ? AND expires_at > ?",
                       (name, time.time())).fetchone()
    return dict(row) if row else None
