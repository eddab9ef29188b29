"""SQL for supervisor page sessions (the cookie holds a random id; the table
holds its SHA-256, so a copied database gives no usable session)."""

from __future__ import annotations

import sqlite3
from typing import Any


def insert_session(conn: sqlite3.Connection, id_hash: str, user_id: int, created_at: str,
                   expires_at: str, address: str | None) -> None:
    """Store a new session."""
    conn.execute(
        "INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at, address)"
        " VALUES (?, ?, ?, ?, ?)",
        (id_hash, user_id, created_at, expires_at, address),
    )


def user_for_session(conn: sqlite3.Connection, id_hash: str, now: str) -> dict[str, Any] | None:
    """The active user of an unexpired, unrevoked session."""
    row = conn.execute(
        "SELECT u.* FROM web_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.active = 1",
        (id_hash, now),
    ).fetchone()
    return dict(row) if row else None


def revoke_session(conn: sqlite3.Connection, id_hash: str, now: str) -> None:
    """End one session (logout)."""
    conn.execute("UPDATE web_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
                 (now, id_hash))


def revoke_user_sessions(conn: sqlite3.Connection, user_id: int, now: str) -> None:
    """End every session of a user (deactivated, password or role changed)."""
    conn.execute("UPDATE web_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                 (now, user_id))
