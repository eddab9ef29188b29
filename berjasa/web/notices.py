"""Flash notices about users that keep names out of the session cookie (issue 13
item 10), for the kelurahan pages and central's office pages.

Flask keeps flashed messages in the signed, *readable* session cookie. The cookie
therefore holds only ``user|<id>|<change>``; the text with the name is made on the
server when the next page is shown (:func:`user_text`).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash

USER_CHANGES = {"added": "ditambahkan", "updated": "diperbarui"}


def user_changed(user_id: int, change: str) -> None:
    """Queue "Pengguna <name> ditambahkan/diperbarui." (only the id in the cookie)."""
    flash(f"user|{int(user_id)}|{change}")


def user_text(message: str, username: Callable[[int], str | None]) -> str | None:
    """The text of a :func:`user_changed` notice, ``username`` looking the id up;
    None when ``message`` is not one."""
    kind, _, rest = message.partition("|")
    ref, _, word = rest.partition("|")
    if kind != "user" or not ref.isdigit():
        return None
    name = username(int(ref)) or ""
    return f"Pengguna {name} {USER_CHANGES.get(word, word)}.".replace("  ", " ")
