"""Users, logins and tokens: the rules, with no HTTP in them.

A login is refused with 429 after ``login_max_failures`` failures for one user or
one address within ``login_window_minutes``, for ``login_lockout_minutes`` after
the last of them (design.md). Tokens are random, shown once, stored as SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from berjasa import passwords
from berjasa.accounts import check_username
from berjasa.database import transaction, utc_text
from berjasa.problems import BadCredentials, ValidationFailed
from berjasa.web import lockout
from server.storage import users
from server.storage.audit import Actor, record_audit_entry

ROLES = ("enumerator", "supervisor", "admin", "auditor")


def token_digest(token: str) -> str:
    """How a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(conn: sqlite3.Connection, username: str, role: str, password: str,
             actor: Actor) -> int:
    """Create a user with a hashed password; audited."""
    if role not in ROLES:
        raise ValueError(f"peran tidak dikenal: {role}")
    try:
        username = check_username(username, (u["username"] for u in users.list_users(conn)))
    except ValidationFailed as exc:
        raise ValueError(exc.errors["username"][0]) from exc
    password_hash = passwords.hash_password(password, username)
    with transaction(conn):
        user_id = users.create_user(conn, username, role, password_hash)
        record_audit_entry(conn, actor, "user.create", f"user:{username}",
                           {"role": [None, role]})
    return user_id


def check_not_locked(conn: sqlite3.Connection, username: str, address: str,
                     settings: dict[str, Any]) -> None:
    """Raise TooManyAttempts while the user or the address is locked out."""
    limit = settings["login_max_failures"]
    lockout.check_not_locked((users.last_failures(conn, username=username, limit=limit),
                              users.last_failures(conn, address=address, limit=limit)), settings)


def failed_login_name(user: dict[str, Any] | None, username: str, key: bytes) -> str:
    """What the permanent trail records for a failed login: a known user's name,
    else ``unknown:`` and a keyed hash (HMAC-SHA256 with the installation's secret,
    16 hex digits) of what was typed. The caller chooses that text: it may be a
    password typed in the wrong box, a NIK, markup or a terminal escape, and it must
    not enter a trail kept forever. The same typed name always gives the same hash,
    so repeated guesses still show as one name, and lockout still counts them."""
    if user is not None:
        return user["username"]
    if not username:
        return "-"
    digest = hmac.new(key, b"login-name\0" + username.encode("utf-8", "replace"),
                      hashlib.sha256).hexdigest()
    return f"unknown:{digest[:16]}"


def login_name_key(secret: str | bytes | None) -> bytes:
    """The key for :func:`failed_login_name`, derived from the app's secret."""
    raw = secret.encode() if isinstance(secret, str) else (secret or b"")
    return hashlib.sha256(b"berjasa failed-login names\0" + raw).digest()


def authenticate(conn: sqlite3.Connection, username: Any, password: Any, address: str,
                 settings: dict[str, Any], name_key: bytes = b"") -> dict[str, Any]:
    """Check a username and password; count failures; return the user.
    ``name_key`` keys the hash recorded for an unknown username."""
    username = username if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    user = users.get_user_by_name(conn, username) if username else None
    recorded = failed_login_name(user, username, name_key)
    check_not_locked(conn, recorded, address, settings)
    ok = passwords.verify_password(user["password_hash"] if user else None, password)
    if not ok or not user["active"]:
        with transaction(conn):
            users.record_login_failure(conn, recorded, address)
            record_audit_entry(conn, Actor(recorded, "unknown", address), "login.failed")
        raise BadCredentials()
    with transaction(conn):
        users.clear_login_failures(conn, user["username"])
        record_audit_entry(conn, Actor(user["username"], user["role"], address), "login")
    return user


def issue_token(conn: sqlite3.Connection, user: dict[str, Any],
                settings: dict[str, Any]) -> dict[str, Any]:
    """A new bearer token for a user: returned once, stored hashed."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(minutes=settings["token_ttl_minutes"])
    expires_at = expires.isoformat(timespec="seconds")
    with transaction(conn):
        users.insert_token(conn, token_digest(token), user["id"], expires_at)
    return {"token": token, "role": user["role"], "expires_at": expires_at,
            "username": user["username"]}


def revoke_token(conn: sqlite3.Connection, token: str, actor: Actor) -> None:
    """Log out: the token stops working at once, and the trail says so."""
    with transaction(conn):
        users.revoke_token(conn, token_digest(token))
        record_audit_entry(conn, actor, "logout")


# How far a token's issue time may lie ahead of the clock that checks it (a laptop
# clock corrected by a few minutes must not log every phone out).
TOKEN_CLOCK_SKEW = timedelta(minutes=5)
_SKEW_MICROS = TOKEN_CLOCK_SKEW // timedelta(microseconds=1)


def user_for_bearer(conn: sqlite3.Connection, token: str,
                    ttl_minutes: int) -> dict[str, Any] | None:
    """The user a bearer token belongs to, if it is valid now: unexpired, unrevoked,
    and bounded by its issue time too (h2 report item 9): issued no later than now
    (give or take :data:`TOKEN_CLOCK_SKEW`) and expiring within ``ttl_minutes``
    (``token_ttl_minutes``) from now. A token issued while the laptop's clock ran
    ahead (a year, 2,000 days) has both times in that future: once the clock is put
    right it is refused, instead of working until the wrong expiry."""
    if not token or len(token) > 200:
        return None
    now = time.time_ns() // 1000  # microseconds; the texts as utc_now and isoformat write them
    return users.user_for_token(
        conn, token_digest(token), utc_text(now), utc_text(now + _SKEW_MICROS),
        utc_text(now + ttl_minutes * 60_000_000 + _SKEW_MICROS, seconds_only=True))
