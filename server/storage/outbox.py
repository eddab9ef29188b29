"""SQL over the approved records waiting to leave for central (the ``sync_outbox``
rows that approval adds, joined with ``enrollments``). The agent reads them here,
so every query on the kelurahan's enrollments stays in ``server/storage``; the
batches built from them are the agent's own tables (:mod:`sync.storage`)."""

from __future__ import annotations

import sqlite3


def drop_stale_outbox(conn: sqlite3.Connection) -> int:
    """Forget pending outbox rows whose record is no longer ``approved`` (central's
    decision arrived by the pull first); they must not be packed."""
    return conn.execute(
        "DELETE FROM sync_outbox WHERE batch_id IS NULL AND enrollment_id IN ("
        " SELECT o.enrollment_id FROM sync_outbox o JOIN enrollments e ON e.id = o.enrollment_id"
        " WHERE o.batch_id IS NULL AND e.status <> 'approved')").rowcount


def pending_records(conn: sqlite3.Connection, limit: int) -> list[sqlite3.Row]:
    """Up to ``limit`` approved records not yet in a batch, oldest queued first."""
    return conn.execute(
        "SELECT e.* FROM sync_outbox o JOIN enrollments e ON e.id = o.enrollment_id"
        " WHERE o.batch_id IS NULL AND e.status = 'approved'"
        " ORDER BY o.queued_at, o.enrollment_id LIMIT ?", (limit,)).fetchall()
