"""User management for central's admin: list, add, disable/enable, reset a
password, change a role. Every change is audited by :mod:`central.accounts`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from berjasa.problems import NotFound, ValidationFailed
from central import accounts
from central.app import get_db
from central.http import current_actor


def render_users(status_code: int = 200, errors: dict | None = None, form: dict | None = None):
    """The user list with the add form."""
    return render_template("central/users.html", users=accounts.list_users(get_db()),
                           roles=accounts.ROLES, errors=errors or {}, form=form or {}), status_code


def users_page():
    """``GET /admin/users``."""
    return render_users()


def create_user():
    """``POST /admin/users``: add a user."""
    form = {"username": request.form.get("username", ""), "role": request.form.get("role", "")}
    try:
        accounts.add_user(get_db(), form["username"], form["role"],
                          request.form.get("password", ""), current_actor())
    except ValidationFailed as exc:
        return render_users(422, exc.errors, form)
    flash(f"Pengguna {form['username'].strip()} ditambahkan.")
    return redirect(url_for("pages.users"), code=303)


def update_user(user_id: str):
    """``POST /admin/users/<id>``: disable, enable, reset the password, change the role."""
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19):
        raise NotFound()
    action = request.form.get("action", "")
    changes: dict = {}
    if action == "role":
        changes["role"] = request.form.get("role", "")
    elif action in ("disable", "enable"):
        changes["active"] = action == "enable"
    elif action == "password":
        changes["password"] = request.form.get("password", "")
    else:
        return render_users(422, {"action": ["Tindakan tidak dikenal."]})
    try:
        user = accounts.update_user_by_id(get_db(), int(user_id), current_actor(), **changes)
    except ValidationFailed as exc:
        return render_users(422, exc.errors)
    flash(f"Pengguna {user['username']} diperbarui.")
    return redirect(url_for("pages.users"), code=303)
