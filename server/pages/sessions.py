"""Browser sessions for the supervisor pages.

The signed Flask cookie (HttpOnly, SameSite) carries a random session id and the
CSRF token; the database keeps the id's SHA-256 with the user and an expiry, so
logout, deactivating a user or changing their role ends the session at once.
The user found here goes through the same role matrix as a bearer token
(:func:`server.http.authorize`).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import session

from berjasa.database import transaction, utc_now
from server.storage import sessions as store


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(conn: sqlite3.Connection, user: dict[str, Any], address: str | None,
                  ttl_minutes: int) -> None:
    """Log a user in: a fresh cookie (no fixation), a new CSRF token, a stored session."""
    session_id = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(minutes=ttl_minutes)
    with transaction(conn):
        store.insert_session(conn, _digest(session_id), user["id"], utc_now(),
                             expires.isoformat(timespec="microseconds"), address)
    session.clear()
    session["sid"] = session_id
    session["csrf"] = secrets.token_urlsafe(32)


def session_user(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The user of this request's page session, if it is valid now."""
    session_id = session.get("sid")
    if not isinstance(session_id, str) or len(session_id) > 100:
        return None
    return store.user_for_session(conn, _digest(session_id), utc_now())


def end_session(conn: sqlite3.Connection) -> None:
    """Log out: revoke the stored session and clear the cookie."""
    session_id = session.get("sid")
    if isinstance(session_id, str):
        store.revoke_session(conn, _digest(session_id), utc_now())
    session.clear()


def end_user_sessions(conn: sqlite3.Connection, user_id: int) -> None:
    """Revoke every page session of a user (inside the caller's transaction)."""
    store.revoke_user_sessions(conn, user_id, utc_now())
