"""SQL for users, API tokens and failed logins."""

from __future__ import annotations

import sqlite3
from typing import Any

from berjasa.database import utc_now


class UserExists(Exception):
    """A user with this name already exists."""


def create_user(conn: sqlite3.Connection, username: str, role: str, password_hash: str) -> int:
    """Add a user and return its id."""
    now = utc_now()
    try:
        cursor = conn.execute(
            "INSERT INTO users (username, role, password_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (username, role, password_hash, now, now),
        )
    except sqlite3.IntegrityError as exc:
        raise UserExists(username) from exc
    return cursor.lastrowid


def get_user_by_name(conn: sqlite3.Connection, username: str) -> dict[str, Any] | None:
    """A user by name (case-insensitive)."""
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    return dict(row) if row else None


def get_user(conn: sqlite3.Connection, user_id: int) -> dict[str, Any] | None:
    """A user by id."""
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return dict(row) if row else None


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """All users without their password hashes."""
    rows = conn.execute(
        "SELECT id, username, role, active, created_at, updated_at FROM users ORDER BY username")
    return [dict(row) for row in rows]


def update_user(conn: sqlite3.Connection, user_id: int, **values: Any) -> None:
    """Change a user's role, password hash or active flag."""
    allowed = {k: v for k, v in values.items() if k in ("role", "password_hash", "active")}
    if not allowed:
        return
    sets = ", ".join(f"{k} = :{k}" for k in allowed)
    conn.execute(f"UPDATE users SET {sets}, updated_at = :now WHERE id = :id",
                 {**allowed, "now": utc_now(), "id": user_id})


def insert_token(conn: sqlite3.Connection, token_hash: str, user_id: int, expires_at: str) -> None:
    """Store a new token (hashed)."""
    conn.execute(
        "INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash, user_id, utc_now(), expires_at),
    )


def user_for_token(conn: sqlite3.Connection, token_hash: str, now: str, issued_by: str,
                   expiring_by: str) -> dict[str, Any] | None:
    """The active user holding an unexpired, unrevoked token that was issued no later
    than ``issued_by`` and expires no later than ``expiring_by`` (all UTC text): a
    token a clock running ahead issued does not outlive the clock's correction."""
    row = conn.execute(
        "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?"
        " AND t.created_at <= ? AND t.expires_at <= ? AND u.active = 1",
        (token_hash, now, issued_by, expiring_by),
    ).fetchone()
    return dict(row) if row else None


def revoke_token(conn: sqlite3.Connection, token_hash: str) -> None:
    """Revoke one token (logout)."""
    conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                 (utc_now(), token_hash))


def revoke_tokens(conn: sqlite3.Connection, user_id: int) -> None:
    """Revoke every token of a user (password change, deactivation)."""
    conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                 (utc_now(), user_id))


def record_login_failure(conn: sqlite3.Connection, username: str, address: str) -> None:
    """Count one failed login."""
    conn.execute("INSERT INTO login_failures (at, username, address) VALUES (?, ?, ?)",
                 (utc_now(), username, address))


def last_failures(conn: sqlite3.Connection, *, username: str | None = None,
                  address: str | None = None, limit: int = 10) -> list[str]:
    """Times of the latest failed logins for a user or an address, newest first."""
    column, value = ("username", username) if username is not None else ("address", address)
    rows = conn.execute(
        f"SELECT at FROM login_failures WHERE {column} = ? ORDER BY at DESC LIMIT ?",
        (value, limit))
    return [row[0] for row in rows]


def clear_login_failures(conn: sqlite3.Connection, username: str) -> int:
    """Forget a user's failures (a successful login, a password reset); how many."""
    return conn.execute("DELETE FROM login_failures WHERE username = ?", (username,)).rowcount


def get_site(conn: sqlite3.Connection, key: str) -> str | None:
    """A value describing this installation (e.g. its kelurahan code)."""
    row = conn.execute("SELECT value FROM site WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def set_site(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Set a value describing this installation."""
    conn.execute("INSERT INTO site (key, value) VALUES (?, ?)"
                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
