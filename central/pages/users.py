"""User management for central's admin: list, add, disable/enable, reset a
password, change a role (the shared :class:`berjasa.web.user_pages.UserPages`).
Every change is audited by :mod:`central.accounts`."""

from __future__ import annotations

from flask import flash

from berjasa.web.user_pages import UserPages
from central import accounts
from central.app import get_db
from central.http import current_actor

PAGES = UserPages(
    template="central/users.html", roles=accounts.ROLES, connection=get_db, actor=current_actor,
    list_users=accounts.list_users, add_user=accounts.add_user,
    update_user=accounts.update_user_by_id, toggle_actions=("enable", "disable"),
    added=lambda _user_id, name: flash(f"Pengguna {name} ditambahkan."),
    updated=lambda user: flash(f"Pengguna {user['username']} diperbarui."))
users_page = PAGES.page
create_user = PAGES.create
update_user = PAGES.update
