"""SQL for the duplicate-hint key and hashes the agent brings from central
(tables hint_keys, hint_hashes of kelurahan migration 0006)."""

from __future__ import annotations

import sqlite3


def replace_key(conn: sqlite3.Connection, key_id: str, secret: bytes, created_at: str,
                received_at: str) -> None:
    """A new key from central: the old key and every hash made with it go."""
    conn.execute("DELETE FROM hint_hashes")
    conn.execute("DELETE FROM hint_keys")
    conn.execute("INSERT INTO hint_keys (key_id, secret, created_at, received_at) VALUES (?, ?, ?, ?)",
                 (key_id, secret, created_at, received_at))


def add_hashes(conn: sqlite3.Connection, key_id: str, entries: list[tuple[str, bytes]]) -> None:
    conn.executemany("INSERT INTO hint_hashes (key_id, kelurahan_code, hashes) VALUES (?, ?, ?)",
                     [(key_id, code, blob) for code, blob in entries])


def held_records(conn: sqlite3.Connection) -> int:
    """How many records' hashes the kelurahan holds (16 bytes each)."""
    row = conn.execute("SELECT coalesce(sum(length(hashes)), 0) FROM hint_hashes").fetchone()
    return int(row[0]) // 16
