"""Account rules both apps share (kelurahan users, central's office users): what
an admin's change to a user means, checked before anything is stored. No SQL and
no HTTP here; each app stores the change and writes its trail."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from typing import Any

from berjasa import passwords
from berjasa.problems import ValidationFailed


def invalid(field: str, message: str, code: str) -> ValidationFailed:
    """A 422 naming one field, with its message (Indonesian) and code."""
    return ValidationFailed({field: [message]}, {field: [code]})


# Latin letters a-z, digits and . _ - @ (e.g. rina.operator, andi@bpkp): a letter of
# another script can look exactly like a Latin one (Cyrillic "о" in "оperator-kota"),
# and two accounts that look alike are two actors in the trail that read as one.
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


def check_username(username: Any, taken: Iterable[str] = ()) -> str:
    """A new username as stored: trimmed, in its compatibility form (NFKC: a
    full-width "ｏｐｅｒａｔｏｒ" is "operator"), 1-64 Latin letters, digits and . _ - @, and
    not the same as one in ``taken`` apart from case or width (two accounts that read
    alike would be two actors in the trail that look like one)."""
    name = unicodedata.normalize("NFKC", username.strip()) if isinstance(username, str) else ""
    if not _USERNAME.fullmatch(name):
        raise invalid("username", "Nama pengguna harus 1-64 huruf latin (a-z), angka atau . _ - @ "
                      "(tanpa spasi).", "invalid_username")
    folded = name.casefold()
    if any(unicodedata.normalize("NFKC", other).casefold() == folded for other in taken):
        raise invalid("username", "Nama pengguna sudah dipakai (huruf besar/kecil tidak "
                      "membedakan nama).", "exists")
    return name


def planned_change(user: dict[str, Any], actor_name: str, roles: Collection[str], *,
                   role: str | None = None, active: bool | None = None,
                   password: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The column values to store and the audit entry's changes (never the password)
    for a change of role, active flag or password; both empty when nothing changes.
    An admin may not change their own role or deactivate their own account."""
    own = user["username"].casefold() == actor_name.casefold()
    values: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    if role is not None and role != user["role"]:
        if role not in roles:
            raise invalid("role", "Peran tidak dikenal.", "invalid_choice")
        if own:
            raise invalid("role", "Anda tidak dapat mengubah peran Anda sendiri.", "own_role")
        values["role"], changes["role"] = role, [user["role"], role]
    if active is not None and int(active) != int(user["active"]):
        if own and not active:
            raise invalid("active", "Anda tidak dapat menonaktifkan akun sendiri.", "own_account")
        values["active"], changes["active"] = int(active), [bool(user["active"]), bool(active)]
    if password is not None:
        try:
            values["password_hash"] = passwords.hash_password(password, user["username"])
        except passwords.WeakPassword as exc:
            raise invalid("password", str(exc), "weak_password") from exc
        changes["password"] = ["(lama)", "(diganti)"]
    return values, changes


def ends_lockout(values: dict[str, Any]) -> bool:
    """Whether a planned change (:func:`planned_change`'s values) ends the user's login
    lockout: a new password, or the account enabled again. The lockout message tells a
    locked-out user to ask an admin for a new password, so after the reset the user
    signs in at once; the failures forgotten are named in the change's trail entry
    (``login_failures_cleared``)."""
    return "password_hash" in values or values.get("active") == 1
