"""SQL for the data-subject requests of UU PDP: everything held about one NIK,
and its erasure."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from server.storage.enrollments import _from_row


def enrollments_for_nik(conn: sqlite3.Connection, nik: str) -> list[dict[str, Any]]:
    """Every enrollment (any status) with this NIK."""
    rows = conn.execute("SELECT * FROM enrollments WHERE nik = ? ORDER BY received_at", (nik,))
    return [_from_row(row) for row in rows]


def audit_entries_for(conn: sqlite3.Connection, record_ids: list[str]) -> list[dict[str, Any]]:
    """Audit entries about these records."""
    if not record_ids:
        return []
    marks = ", ".join("?" for _ in record_ids)
    rows = conn.execute(f"SELECT seq, at, actor, role, action, record_id, changes, reason"
                        f" FROM audit_log WHERE record_id IN ({marks}) ORDER BY seq", record_ids)
    return [{**dict(row), "changes": json.loads(row["changes"])} for row in rows]


def redact_enrollment(conn: sqlite3.Connection, enrollment_id: str,
                      values: dict[str, Any]) -> None:
    """Overwrite personal fields of one record and blank its history's values."""
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    conn.execute(f"UPDATE enrollments SET {assignments}, version = version + 1 WHERE id = :_id",
                 {**values, "_id": enrollment_id})
    conn.execute("UPDATE enrollment_history SET old_values = '{}', new_values = '{}'"
                 " WHERE enrollment_id = ?", (enrollment_id,))
