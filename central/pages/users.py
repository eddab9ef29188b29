"""User management for central's admin: list, add, disable/enable, reset a
password, change a role (the shared :class:`berjasa.web.user_pages.UserPages`).
Every change is audited by :mod:`central.accounts`."""

from __future__ import annotations

from flask import get_flashed_messages

from berjasa.web import notices
from berjasa.web.user_pages import UserPages
from central import accounts
from central.app import get_db
from central.http import current_actor

PAGES = UserPages(
    template="central/users.html", roles=accounts.ROLES, connection=get_db, actor=current_actor,
    list_users=accounts.list_users, add_user=accounts.add_user,
    update_user=accounts.update_user_by_id, toggle_actions=("enable", "disable"))


def notice_texts() -> list[str]:
    """The notices waiting for this session, as text (read once): a user notice
    gets its name here, on the server (the cookie holds only the id); the
    verification notices carry no personal data and are shown as flashed."""
    return [notices.user_text(message, lambda user_id: accounts.username(get_db(), user_id))
            or message
            for message in get_flashed_messages()]
