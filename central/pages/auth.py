"""Sign-in and sign-out at central (same lockout rule as the kelurahan pages)."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from berjasa.logs import get_logger
from berjasa.problems import BadCredentials
from berjasa.web.pages import safe_next
from central import accounts, sessions, trail
from central.app import get_db, setting
from central.http import current_actor

log = get_logger("berjasa.central")


def login() -> Response | tuple[str, int] | str:
    """GET: the form. POST: check the password, start a session, go to the dashboard."""
    next_path = safe_next(request.values.get("next"))
    if request.method != "POST":  # only a POST tries a password
        return render_template("central/login.html", next_path=next_path, username="")
    address = request.remote_addr or "-"
    db = get_db()
    settings = {name: setting(name) for name in ("login_max_failures", "login_window_minutes",
                                                 "login_lockout_minutes")}
    try:
        user = accounts.authenticate(db, request.form.get("username", ""),
                                     request.form.get("password", ""), address, settings,
                                     current_app.secret_key)
    except BadCredentials:
        log.warning("central login failed from %s", address)
        return render_template("central/login.html", next_path=next_path,
                               username=request.form.get("username", "")[:64],
                               error="Nama pengguna atau kata sandi salah."), 401
    sessions.start(db, user, address, setting("session_ttl_minutes"))
    log.info("central login %s (%s) from %s", user["username"], user["role"], address)
    return redirect(next_path or url_for("pages.dashboard"), code=303)


def logout() -> Response:
    """End the session (audited) and go back to the login form."""
    db = get_db()
    actor = current_actor()
    sessions.end(db)
    trail.record(db, actor, "logout")
    g.user = None
    return redirect(url_for("pages.login"), code=303)
