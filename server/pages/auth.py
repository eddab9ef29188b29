"""Page login and logout. The same lockout rules as the token endpoint
(:func:`server.accounts.authenticate`): failures are counted per user and per
address, audited and logged, and a locked-out login gets a 429 page."""

from __future__ import annotations

import logging

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from berjasa.problems import BadCredentials, TooManyAttempts
from berjasa.web.pages import safe_next
from server import accounts, sessions
from server.db import get_db
from server.http import current_actor

log = logging.getLogger("berjasa.server")
HOMES = {"supervisor": "pages.queue", "auditor": "pages.queue", "admin": "pages.users"}


def home_for(role: str) -> str:
    """Where a role lands after login (enumerators use the field app)."""
    endpoint = HOMES.get(role)
    return url_for(endpoint) if endpoint else "/app/"


def login() -> Response | tuple[str, int] | str:
    """GET: the login form. POST: check the password, start a session, go home."""
    next_path = safe_next(request.values.get("next"))
    if request.method != "POST":  # only a POST tries a password
        return render_template("pages/login.html", next_path=next_path, username="")
    settings = current_app.config["SETTINGS"]
    username = request.form.get("username", "").strip()[:64]
    address = request.remote_addr or "-"
    conn = get_db()
    try:
        user = accounts.authenticate(conn, username, request.form.get("password", ""), address,
                                     settings,
                                     name_key=accounts.login_name_key(current_app.secret_key))
    except BadCredentials:
        log.warning("page login failed from %s", address)  # the typed name is not logged
        return render_template("pages/login.html", next_path=next_path, username=username,
                               error="Nama pengguna atau kata sandi salah."), 401
    except TooManyAttempts:
        log.warning("page login refused (too many failures) for %r from %s", username, address)
        raise
    sessions.start(conn, user, address, settings["session_ttl_minutes"])
    log.info("page login %s (%s) from %s", user["username"], user["role"], address)
    return redirect(next_path or home_for(user["role"]), code=303)


def logout() -> Response:
    """End the page session (audited) and go back to the login form."""
    conn = get_db()
    actor = current_actor()
    sessions.sign_out(conn, actor)
    log.info("page logout %s", actor.username)
    g.user = None
    return redirect(url_for("pages.login"), code=303)
