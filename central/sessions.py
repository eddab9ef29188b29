"""Central's page sessions: the shared :mod:`berjasa.web.sessions` over central's
own session table (:mod:`central.storage.users`)."""

from __future__ import annotations

from typing import Any

from berjasa.web import sessions as web_sessions
from central.storage import users as store
from central.storage.db import Database


def start(db: Database, user: dict[str, Any], address: str | None, ttl_minutes: int) -> None:
    """A fresh session cookie for a signed-in user."""
    web_sessions.start_session(store, db, user, address, ttl_minutes)


def current_user(db: Database) -> dict[str, Any] | None:
    """The active user of this request's session (a disabled user's is refused)."""
    return web_sessions.session_user(store, db)


def end(db: Database) -> None:
    """Revoke this request's session and clear the cookie."""
    web_sessions.end_session(store, db)
