"""Reads for the field client's duplicate hints (the only SQL behind /api/v1/field)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator


def identity_rows(conn: sqlite3.Connection) -> Iterator[tuple[str, str, str]]:
    """(nik, full_name, birth_date) of every record the kelurahan holds, whatever its
    status: a rejected record's NIK is still worth a second look at the door."""
    for row in conn.execute("SELECT nik, full_name, birth_date FROM enrollments"):
        yield row[0], row[1], row[2]
