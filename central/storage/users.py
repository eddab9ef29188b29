"""SQL for central's office users, their page sessions and failed sign-ins.

The session functions have the signatures :mod:`berjasa.web.sessions` expects of
a store (``conn`` is a :class:`central.storage.db.Database`)."""

from __future__ import annotations

from typing import Any

from central.storage.db import Database, integrity_errors, utc_now


class UserExists(Exception):
    """A user with this name already exists."""


def create_user(db: Database, username: str, role: str, password_hash: str) -> int:
    """Add a user and return its id."""
    now = utc_now()
    try:
        with db.transaction():
            row = db.one("INSERT INTO users (username, role, password_hash, active, created_at,"
                         " updated_at) VALUES (?, ?, ?, 1, ?, ?) RETURNING id",
                         (username, role, password_hash, now, now))
    except integrity_errors() as exc:
        raise UserExists(username) from exc
    return int(row["id"])


def get_user_by_name(db: Database, username: str) -> dict[str, Any] | None:
    """A user by exact name."""
    return db.one("SELECT * FROM users WHERE username = ?", (username,))


def get_user(db: Database, user_id: int) -> dict[str, Any] | None:
    """A user by id."""
    return db.one("SELECT * FROM users WHERE id = ?", (user_id,))


def list_users(db: Database) -> list[dict[str, Any]]:
    """All users without their password hashes."""
    return db.query("SELECT id, username, role, active, created_at, updated_at FROM users"
                    " ORDER BY username")


def update_user(db: Database, user_id: int, **values: Any) -> None:
    """Change a user's role, password hash or active flag."""
    allowed = {k: v for k, v in values.items() if k in ("role", "password_hash", "active")}
    if not allowed:
        return
    sets = ", ".join(f"{k} = ?" for k in allowed)
    db.run(f"UPDATE users SET {sets}, updated_at = ? WHERE id = ?",
           (*allowed.values(), utc_now(), user_id))


def record_login_failure(db: Database, name_key: str, address: str) -> None:
    """Count one failed sign-in (the name only as a keyed hash)."""
    db.run("INSERT INTO login_failures (at, name_key, address) VALUES (?, ?, ?)",
           (utc_now(), name_key, address))


def last_failures(db: Database, *, name_key: str | None = None, address: str | None = None,
                  limit: int = 10) -> list[str]:
    """Times of the latest failed sign-ins for a name or an address, newest first."""
    column, value = ("name_key", name_key) if name_key is not None else ("address", address)
    rows = db.query(f"SELECT at FROM login_failures WHERE {column} = ? ORDER BY at DESC LIMIT ?",
                    (value, limit))
    return [row["at"] for row in rows]


def clear_login_failures(db: Database, name_key: str) -> int:
    """Forget a name's failures (a successful sign-in, a password reset); how many."""
    return db.run("DELETE FROM login_failures WHERE name_key = ?", (name_key,))


def insert_session(db: Database, id_hash: str, user_id: int, created_at: str, expires_at: str,
                   address: str | None) -> None:
    """Store a new page session."""
    db.run("INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at, address)"
           " VALUES (?, ?, ?, ?, ?)", (id_hash, user_id, created_at, expires_at, address))


def user_for_session(db: Database, id_hash: str, now: str) -> dict[str, Any] | None:
    """The active user of an unexpired, unrevoked session."""
    return db.one("SELECT u.id, u.username, u.role, u.active FROM web_sessions s"
                  " JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?"
                  " AND s.revoked_at IS NULL AND s.expires_at > ? AND u.active = 1",
                  (id_hash, now))


def revoke_session(db: Database, id_hash: str, now: str) -> None:
    """End one session (logout)."""
    db.run("UPDATE web_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
           (now, id_hash))


def revoke_user_sessions(db: Database, user_id: int, now: str) -> None:
    """End every session of a user (disabled, password or role changed)."""
    db.run("UPDATE web_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
           (now, user_id))
