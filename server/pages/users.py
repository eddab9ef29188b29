"""User management for the admin: list, add, change role, reset password,
deactivate or reactivate. Every change is audited by :mod:`server.user_admin`."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from berjasa.problems import NotFound, ValidationFailed
from server import accounts, user_admin
from server.db import get_db
from server.http import current_actor
from server.pages import notices


def render_users(status_code: int = 200, errors: dict | None = None, form: dict | None = None):
    """The user list with the add form."""
    return render_template("pages/users.html", users=user_admin.list_users(get_db()),
                           roles=accounts.ROLES, errors=errors or {}, form=form or {}), status_code


def users_page():
    """``GET /admin/users``."""
    return render_users()


def create_user():
    """``POST /admin/users``: add a user."""
    form = {"username": request.form.get("username", ""), "role": request.form.get("role", "")}
    try:
        user_id = user_admin.create_user(get_db(), form["username"], form["role"],
                               request.form.get("password", ""), current_actor())
    except ValidationFailed as exc:
        return render_users(422, exc.errors, form)
    notices.user_changed(user_id, "added")  # no name in the cookie
    return redirect(url_for("pages.users"), code=303)


def update_user(user_id: str):
    """``POST /admin/users/<id>``: change role, password or active flag."""
    # Not Werkzeug's int converter: it calls int() on any run of digits (5,000 digits: 500).
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19):
        raise NotFound()
    action = request.form.get("action", "")
    changes: dict = {}
    if action == "role":
        changes["role"] = request.form.get("role", "")
    elif action in ("deactivate", "activate"):
        changes["active"] = action == "activate"
    elif action == "password":
        changes["password"] = request.form.get("password", "")
        if not changes["password"]:
            return render_users(422, {"password": ["Kata sandi baru wajib diisi."]})
    else:
        return render_users(422, {"action": ["Tindakan tidak dikenal."]})
    try:
        user = user_admin.update_user(get_db(), int(user_id), current_actor(), **changes)
    except ValidationFailed as exc:
        return render_users(422, exc.errors)
    except NotFound:
        raise
    notices.user_changed(user["id"], "updated")
    return redirect(url_for("pages.users"), code=303)
