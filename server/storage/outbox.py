"""SQL over the approved records waiting to leave for central (the ``sync_outbox``
rows that approval adds, joined with ``enrollments``). The agent reads them here,
so every query on the kelurahan's enrollments stays in ``server/storage``; the
batches built from them are the agent's own tables (:mod:`sync.storage`)."""

from __future__ import annotations

import sqlite3

# What may leave: approved records, and the records central accepted before that
# ``sync resend`` queued again (central answers those idempotently).
_SENDABLE = ("(e.status = 'approved' OR (o.resend = 1"
             " AND e.status IN ('synced', 'registered')))")


def drop_stale_outbox(conn: sqlite3.Connection) -> int:
    """Forget pending outbox rows whose record is no longer ``approved`` (central's
    decision arrived by the pull first) nor queued again for central; they must
    not be packed."""
    return conn.execute(
        "DELETE FROM sync_outbox WHERE batch_id IS NULL AND enrollment_id IN ("
        " SELECT o.enrollment_id FROM sync_outbox o JOIN enrollments e ON e.id = o.enrollment_id"
        f" WHERE o.batch_id IS NULL AND NOT {_SENDABLE})").rowcount


def pending_records(conn: sqlite3.Connection, limit: int) -> list[sqlite3.Row]:
    """Up to ``limit`` records to send not yet in a batch, oldest queued first. A
    record held ``registered`` carries its KPJ as ``kpj_claim`` (sync protocol 3):
    after a restore central keeps it as a claim, so the worker is neither put on a
    new registration file nor taken for an earlier participant."""
    return conn.execute(
        "SELECT e.*, CASE WHEN e.status = 'registered' THEN NULLIF(e.kpj_number, '') END"
        " AS kpj_claim FROM sync_outbox o JOIN enrollments e ON e.id = o.enrollment_id"
        f" WHERE o.batch_id IS NULL AND {_SENDABLE}"
        " ORDER BY o.queued_at, o.enrollment_id LIMIT ?", (limit,)).fetchall()


def queue_accepted_again(conn: sqlite3.Connection, queued_at: str) -> int:
    """Queue every record central accepted (``synced``, ``registered``) and not
    already waiting, to be sent to central again; how many were queued."""
    return conn.execute(
        "INSERT INTO sync_outbox (enrollment_id, queued_at, resend)"
        " SELECT id, ?, 1 FROM enrollments WHERE status IN ('synced', 'registered')"
        " AND id NOT IN (SELECT enrollment_id FROM sync_outbox)", (queued_at,)).rowcount
