"""SQL for receipts (tanda terima) and their status lookups."""

from __future__ import annotations

import sqlite3
from typing import Any


def receipt_row(conn: sqlite3.Connection, enrollment_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, nik, full_name, birth_date, kelurahan_code, enumerator, captured_at,"
                       " received_at, status, central_status FROM enrollments WHERE id = ?",
                       (enrollment_id,)).fetchone()
    return dict(row) if row else None


def lookups_since(conn: sqlite3.Connection, address: str, since: str) -> int:
    return conn.execute("SELECT count(*) FROM receipt_lookups WHERE address = ? AND at >= ?",
                        (address, since)).fetchone()[0]


def add_lookup(conn: sqlite3.Connection, address: str, at: str) -> None:
    with conn:
        conn.execute("INSERT INTO receipt_lookups (address, at) VALUES (?, ?)", (address, at))
