"""The admin's user page (list, add, change role, password or active flag), shared
by the kelurahan pages and central's office pages. Each app binds it to its own
template, roles, services and notices; the forms' field names and the answers
(303 back to the list, 422 with the page and the errors) are the same in both."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from berjasa.audit import Actor
from berjasa.problems import NotFound, ValidationFailed
from berjasa.web import notices


@dataclass(frozen=True)
class UserPages:
    """The three views of ``/admin/users`` for one app."""

    template: str
    roles: Sequence[str]
    connection: Callable[[], Any]  # this request's database
    actor: Callable[[], Actor]  # the signed-in admin
    list_users: Callable[[Any], list[dict[str, Any]]]
    add_user: Callable[[Any, str, str, str, Actor], Any]  # -> the new user's id
    update_user: Callable[..., dict[str, Any]]  # (conn, user_id, actor, **changes) -> user
    toggle_actions: tuple[str, str]  # the form's action values that (enable, disable)
    empty_password: str | None = None  # a message: an empty new password is refused

    def render(self, status_code: int = 200, errors: dict | None = None,
               form: dict | None = None) -> tuple[str, int]:
        """The user list with the add form."""
        return render_template(self.template, users=self.list_users(self.connection()),
                               roles=self.roles, errors=errors or {}, form=form or {}), status_code

    def page(self) -> tuple[str, int]:
        """``GET /admin/users``."""
        return self.render()

    def create(self) -> Response | tuple[str, int]:
        """``POST /admin/users``: add a user."""
        form = {"username": request.form.get("username", ""), "role": request.form.get("role", "")}
        try:
            user_id = self.add_user(self.connection(), form["username"], form["role"],
                                    request.form.get("password", ""), self.actor())
        except ValidationFailed as exc:
            return self.render(422, exc.errors, form)
        # the notice on the next page names the user by id (no name in the cookie)
        notices.user_changed(user_id, "added")
        return redirect(url_for("pages.users"), code=303)

    def update(self, user_id: str) -> Response | tuple[str, int]:
        """``POST /admin/users/<id>``: change the role, the password or the active flag."""
        # Not Werkzeug's int converter: it calls int() on any run of digits (5,000 digits: 500).
        if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19):
            raise NotFound()
        action = request.form.get("action", "")
        enable, disable = self.toggle_actions
        changes: dict[str, Any] = {}
        if action == "role":
            changes["role"] = request.form.get("role", "")
        elif action in (enable, disable):
            changes["active"] = action == enable
        elif action == "password":
            changes["password"] = request.form.get("password", "")
            if not changes["password"] and self.empty_password:
                return self.render(422, {"password": [self.empty_password]})
        else:
            return self.render(422, {"action": ["Tindakan tidak dikenal."]})
        try:
            user = self.update_user(self.connection(), int(user_id), self.actor(), **changes)
        except ValidationFailed as exc:
            return self.render(422, exc.errors)
        notices.user_changed(user["id"], "updated")
        return redirect(url_for("pages.users"), code=303)
