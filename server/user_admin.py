"""User management by the admin (pages): add users, change a role, reset a
password, deactivate or reactivate. Every change is audited (before/after, never
the password) and ends the user's tokens and page sessions when it changes what
they may do. Plain functions over a connection."""

from __future__ import annotations

import sqlite3
from typing import Any

from berjasa import passwords
from berjasa.accounts import ends_lockout, invalid, planned_change
from berjasa.database import transaction
from berjasa.problems import NotFound
from server import accounts, sessions
from server.storage import users
from server.storage.audit import Actor, record_audit_entry


def create_user(conn: sqlite3.Connection, username: str, role: str, password: str,
                actor: Actor) -> int:
    """Add a user (audited by :func:`server.accounts.add_user`); 422 on bad input."""
    if role not in accounts.ROLES:
        raise invalid("role", "Peran tidak dikenal.", "invalid_choice")
    try:
        return accounts.add_user(conn, username, role, password, actor)
    except users.UserExists as exc:
        raise invalid("username", "Nama pengguna sudah dipakai.", "user_exists") from exc
    except passwords.WeakPassword as exc:
        raise invalid("password", str(exc), "weak_password") from exc
    except ValueError as exc:
        raise invalid("username", str(exc), "invalid_username") from exc


def update_user(conn: sqlite3.Connection, user_id: int, actor: Actor, *, role: str | None = None,
                active: bool | None = None, password: str | None = None) -> dict[str, Any]:
    """Change one user; an admin may not lock themselves out."""
    with transaction(conn):
        user = users.get_user(conn, user_id)
        if user is None:
            raise NotFound()
        values, changes = planned_change(user, actor.username, accounts.ROLES, role=role,
                                         active=active, password=password)
        if not values:
            return user
        users.update_user(conn, user_id, **values)
        # A changed role, password or deactivation ends what the old grant allowed.
        users.revoke_tokens(conn, user_id)
        sessions.end_for_user(conn, user_id)
        if ends_lockout(values):
            # the lockout message says to ask an admin for a new password: a reset
            # (or enabling the user again) lets them in at once, their failures
            # leave the count of their address too
            changes["login_failures_cleared"] = users.clear_login_failures(conn, user["username"])
        record_audit_entry(conn, actor, "user.update", f"user:{user['username']}", changes)
    return users.get_user(conn, user_id)


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every user, for the admin's list."""
    return users.list_users(conn)


def username(conn: sqlite3.Connection, user_id: int) -> str | None:
    """A user's name by id (None when there is no such user)."""
    user = users.get_user(conn, user_id)
    return user["username"] if user else None


def update_user_named(conn: sqlite3.Connection, name: str, actor: Actor, **change: Any
                      ) -> dict[str, Any]:
    """:func:`update_user` for the user called ``name`` (the command line names users);
    404 when there is none."""
    user = users.get_user_by_name(conn, name)
    if user is None:
        raise NotFound(f"Pengguna {name!r} tidak ada.")
    return update_user(conn, int(user["id"]), actor, **change)
