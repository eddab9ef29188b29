"""Central's office users and sign-in: the rules, no HTTP and no SQL here.

Roles (design.md "Central office"): ``operator`` (imports, exports, dashboard),
``verifier`` (decides likely duplicates and identity mismatches, sends records
back), ``admin`` (users, devices), ``auditor`` (reads everything, the trail
included, changes nothing). Passwords are argon2id (:mod:`berjasa.passwords`),
the lockout rule is the kelurahan's (:mod:`berjasa.web.lockout`). A failed
sign-in never stores the name typed in clear: failures are counted under a keyed
hash of it, and the trail names the account only when it exists.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from berjasa import passwords
from berjasa.accounts import check_username, ends_lockout, planned_change
from berjasa.accounts import invalid as _invalid
from berjasa.audit import Actor
from berjasa.problems import BadCredentials, NotFound
from berjasa.web import lockout
from berjasa.web import sessions as web_sessions
from central.storage import audit as trail
from central.storage import users
from central.storage.db import Database

OPERATOR, VERIFIER, ADMIN, AUDITOR = "operator", "verifier", "admin", "auditor"
ROLES = (OPERATOR, VERIFIER, ADMIN, AUDITOR)
ROLE_LABELS = {OPERATOR: "Operator", VERIFIER: "Verifikator", ADMIN: "Admin",
               AUDITOR: "Auditor"}


def add_user(db: Database, username: Any, role: Any, password: Any, actor: Actor) -> int:
    """Create an office user (argon2 hash); audited."""
    name = check_username(username, (u["username"] for u in users.list_users(db)))
    if role not in ROLES:
        raise _invalid("role", "Peran tidak dikenal (operator, verifier, admin, auditor).",
                       "invalid_choice")
    try:
        password_hash = passwords.hash_password(password if isinstance(password, str) else "", name)
    except passwords.WeakPassword as exc:
        raise _invalid("password", str(exc), "weak_password") from exc
    with db.transaction():
        try:
            user_id = users.create_user(db, name, role, password_hash)
        except users.UserExists as exc:
            raise _invalid("username", "Nama pengguna sudah dipakai.", "exists") from exc
        trail.append(db, actor, "user.create", f"user:{name}", {"role": [None, role]})
    return user_id


def _user_by_name(db: Database, username: str) -> dict[str, Any]:
    user = users.get_user_by_name(db, username.strip())
    if user is None:
        raise NotFound(f"Pengguna {username.strip()!r} tidak ada.")
    return user


def update_user(db: Database, user: dict[str, Any], actor: Actor, *, role: str | None = None,
                active: bool | None = None, password: str | None = None) -> dict[str, Any]:
    """Change role, active flag or password; every change ends the user's sessions
    at once (the next request of a disabled user is refused) and is audited. An
    admin cannot disable or demote their own account."""
    values, changes = planned_change(user, actor.username, ROLES, role=role, active=active,
                                     password=password)
    if not values:
        return user
    action = ("user.disable" if values.get("active") == 0 else
              "user.enable" if values.get("active") == 1 else
              "user.reset_password" if "password_hash" in values else "user.update")
    with db.transaction():
        users.update_user(db, user["id"], **values)
        web_sessions.end_user_sessions(users, db, user["id"])
        if ends_lockout(values):
            # failures are counted under the keyed hash of the name typed (its folded
            # form: what a sign-in as this user is counted under)
            if db.data_dir is None:  # the trail entry below needs it too
                raise trail.SealKeyMissing("open central's database with data_dir")
            key = name_key(web_sessions.secret_key(db.data_dir), user["username"])
            changes["login_failures_cleared"] = users.clear_login_failures(db, key)
        trail.append(db, actor, action, f"user:{user['username']}", changes)
    return {**user, **{k: v for k, v in values.items() if k != "password_hash"}}


def disable_user(db: Database, username: str, actor: Actor) -> dict[str, Any]:
    """``central user disable NAME``."""
    return update_user(db, _user_by_name(db, username), actor, active=False)


def enable_user(db: Database, username: str, actor: Actor) -> dict[str, Any]:
    """``central user enable NAME``."""
    return update_user(db, _user_by_name(db, username), actor, active=True)


def reset_password(db: Database, username: str, password: str, actor: Actor) -> dict[str, Any]:
    """``central user reset-password NAME``."""
    return update_user(db, _user_by_name(db, username), actor, password=password)


def update_user_by_id(db: Database, user_id: int, actor: Actor, **changes: Any) -> dict[str, Any]:
    """The admin page's change of one user."""
    user = users.get_user(db, user_id)
    if user is None:
        raise NotFound("Pengguna tidak ada.")
    return update_user(db, user, actor, **changes)


def username(db: Database, user_id: int) -> str | None:
    """A user's name by id (the page notices name the user only on the server)."""
    user = users.get_user(db, user_id)
    return user["username"] if user else None


def list_users(db: Database) -> list[dict[str, Any]]:
    """Every office user (no password hashes)."""
    return users.list_users(db)


def name_key(secret: str, username: str) -> str:
    """The keyed hash a failed sign-in is counted under (never the name in clear)."""
    return hmac.new(secret.encode("utf-8"), username.casefold().encode("utf-8"),
                    hashlib.sha256).hexdigest()


def authenticate(db: Database, username: Any, password: Any, address: str,
                 settings: dict[str, Any], secret: str) -> dict[str, Any]:
    """Check a sign-in; count and audit failures; 429 while locked out."""
    username = username.strip()[:64] if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    key = name_key(secret, username)
    limit = settings["login_max_failures"]
    lockout.check_not_locked((users.last_failures(db, name_key=key, limit=limit),
                              users.last_failures(db, address=address, limit=limit)), settings)
    user = users.get_user_by_name(db, username) if username else None
    ok = passwords.verify_password(user["password_hash"] if user else None, password)
    if not ok or not user["active"]:
        # The trail names an existing account; a name nobody has is only its keyed hash.
        shown = user["username"] if user else f"?{key[:16]}"
        with db.transaction():
            users.record_login_failure(db, key, address)
            trail.append(db, Actor(shown, user["role"] if user else "unknown", address),
                         "login.failed", None,
                         {"known_user": user is not None, "active": bool(user and user["active"])})
        raise BadCredentials()
    with db.transaction():
        users.clear_login_failures(db, key)
        trail.append(db, Actor(user["username"], user["role"], address), "login")
    return user
