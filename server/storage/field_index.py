"""Reads for the field client's duplicate hints (the only SQL behind /api/v1/field)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator


def identity_rows(conn: sqlite3.Connection) -> Iterator[tuple[str, str, str]]:
    """(nik, full_name, birth_date) of every record the kelurahan holds, whatever its
    status: a rejected record's NIK is still worth a second look at the door."""
    for row in conn.execute("SELECT nik, full_name, birth_date FROM enrollments"):
        yield row[0], row[1], row[2]


def newest_hint_secret(conn: sqlite3.Connection) -> bytes | None:
    """Central's newest hint key (as the sync agent stored it), or None."""
    row = conn.execute("SELECT secret FROM hint_keys ORDER BY received_at DESC, rowid DESC LIMIT 1").fetchone()
    return bytes(row[0]) if row else None


def central_hash_blobs(conn: sqlite3.Connection, key_id: str,
                       kelurahan_codes: frozenset[str] | None) -> Iterator[bytes]:
    """Central's 16-byte record hashes under ``key_id``, for these kelurahan (None: all)."""
    rows = conn.execute("SELECT kelurahan_code, hashes FROM hint_hashes WHERE key_id = ?", (key_id,))
    for code, blob in rows:
        if kelurahan_codes is None or code in kelurahan_codes:
            yield bytes(blob)


def fetches_since(conn: sqlite3.Connection, username: str, since: str) -> int:
    return conn.execute("SELECT count(*) FROM field_index_fetches WHERE username = ? AND at >= ?",
                        (username, since)).fetchone()[0]


def add_fetch(conn: sqlite3.Connection, username: str, what: str, key_id: str, at: str,
              address: str | None) -> None:
    conn.execute("INSERT INTO field_index_fetches (username, what, key_id, at, address) "
                 "VALUES (?, ?, ?, ?, ?)", (username, what, key_id, at, address))


def signature(conn: sqlite3.Connection) -> tuple:
    """Changes whenever a record or a central hash that feeds the filter changes
    (count, newest rowid, newest edit; central hashes' count and newest id)."""
    own = conn.execute("SELECT count(*), max(rowid), max(updated_at) FROM enrollments").fetchone()
    central = conn.execute("SELECT count(*), max(id) FROM hint_hashes").fetchone()
    return (*tuple(own), *tuple(central))
