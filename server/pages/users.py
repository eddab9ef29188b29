"""User management for the admin: list, add, change role, reset password,
deactivate or reactivate (the shared :class:`berjasa.web.user_pages.UserPages`).
Every change is audited by :mod:`server.user_admin`."""

from __future__ import annotations

from berjasa.web.user_pages import UserPages
from server import accounts, user_admin
from server.db import get_db
from server.http import current_actor

PAGES = UserPages(
    template="pages/users.html", roles=accounts.ROLES, connection=get_db, actor=current_actor,
    list_users=user_admin.list_users, add_user=user_admin.create_user,
    update_user=user_admin.update_user, toggle_actions=("activate", "deactivate"),
    empty_password="Kata sandi baru wajib diisi.")
