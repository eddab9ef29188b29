"""Server-side browser sessions for the page apps (kelurahan and central).

The signed cookie holds only a random session id; the app's session table holds
its SHA-256 with the user and an expiry, so logout, deactivating a user or
changing their role ends the session at the next request. The SQL lives in each
app's storage module, passed in as ``store``: a module with
``insert_session(conn, id_hash, user_id, created_at, expires_at, address)``,
``user_for_session(conn, id_hash, now)`` (the active user or None),
``revoke_session(conn, id_hash, now)`` and ``revoke_user_sessions(conn, user_id, now)``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask, Request, Response, has_request_context, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer

from berjasa.paths import write_private


def now_text() -> str:
    """Now, UTC, ISO-8601 with microseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def secret_key(data_dir: Path) -> str:
    """The session-signing key, made once per installation and kept in the data folder."""
    path = data_dir / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48).encode())
    return path.read_text(encoding="utf-8").strip()


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(store: ModuleType, conn: Any, user: dict[str, Any], address: str | None,
                  ttl_minutes: int) -> None:
    """Log a user in: a fresh cookie (no fixation), a new CSRF token, a stored session."""
    session_id = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(minutes=ttl_minutes)
    store.insert_session(conn, _digest(session_id), user["id"], now_text(),
                         expires.isoformat(timespec="microseconds"), address)
    session.clear()
    session["sid"] = session_id
    session["csrf"] = secrets.token_urlsafe(32)


def session_user(store: ModuleType, conn: Any) -> dict[str, Any] | None:
    """The user of this request's session, if it is valid now (and the user active)."""
    session_id = session.get("sid")
    if not isinstance(session_id, str) or len(session_id) > 100:
        return None
    return store.user_for_session(conn, _digest(session_id), now_text())


def end_session(store: ModuleType, conn: Any) -> None:
    """Log out: revoke the stored session and clear the cookie."""
    session_id = session.get("sid")
    if isinstance(session_id, str):
        store.revoke_session(conn, _digest(session_id), now_text())
    session.clear()


def end_user_sessions(store: ModuleType, conn: Any, user_id: int) -> None:
    """Revoke every session of a user (inside the caller's transaction)."""
    store.revoke_user_sessions(conn, user_id, now_text())


class PageSessions:
    """The page sessions of one app, bound to its session table's storage module
    (``store``, as described above): what each app's sessions service exposes."""

    def __init__(self, store: ModuleType) -> None:
        self.store = store

    def start(self, conn: Any, user: dict[str, Any], address: str | None,
              ttl_minutes: int) -> None:
        """A fresh session cookie for a signed-in user."""
        start_session(self.store, conn, user, address, ttl_minutes)

    def current_user(self, conn: Any) -> dict[str, Any] | None:
        """The active user of this request's session (a disabled user's is refused)."""
        return session_user(self.store, conn)

    def end(self, conn: Any) -> None:
        """Revoke this request's session and clear the cookie."""
        end_session(self.store, conn)

    def end_for_user(self, conn: Any, user_id: int) -> None:
        """Revoke every session of a user (inside the caller's transaction)."""
        end_user_sessions(self.store, conn, user_id)


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookie, the same bytes, with its signing serializer
    made once per secret key instead of on every request (Flask makes a new one
    each time it opens or saves a session; that cost more than a token lookup)."""

    def __init__(self) -> None:
        self._signing: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's session; a request that sends no cookie at all (the JSON API's
        bearer-token calls) gets Flask's answer for a missing session cookie, a new
        empty session, without parsing cookies or finding the serializer."""
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's save; a session nobody read, changed or filled (every bearer-token
        call of the JSON API) is Flask's early return without working out the
        cookie's name, domain, path and flags first (~65K instructions a request)."""
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when the app says so, and whenever this request came over HTTPS
        (directly, or through central's trusted HTTPS proxy): the cookie is then
        never sent back over plain HTTP."""
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer for the app's current keys (made again when they change)."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signing = self._signing
        if signing is None or signing[0] != keys:
            signing = self._signing = (keys, super().get_signing_serializer(app))
        return signing[1]
