"""SQL for the duplicate check at review: the records that could be the same
person as a given one (same NIK, or same birth date). The matching itself is
:mod:`server.duplicates`, a plain function."""

from __future__ import annotations

import sqlite3
from typing import Any

CANDIDATE_COLUMNS = ("id", "nik", "kk_number", "full_name", "birth_date", "status",
                     "enumerator", "received_at")


def duplicate_candidates(conn: sqlite3.Connection, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Other records with the same NIK or the same birth date (both indexed)."""
    columns = ", ".join(CANDIDATE_COLUMNS)
    rows = conn.execute(
        f"SELECT {columns} FROM enrollments WHERE id <> ? AND birth_date = ?"
        f" UNION SELECT {columns} FROM enrollments WHERE id <> ? AND nik = ?",
        (record["id"], record["birth_date"], record["id"], record["nik"]),
    )
    return [dict(row) for row in rows]
