"""Security headers, the CSRF hook and login helpers shared by the kelurahan and
central pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response

from berjasa.web.csrf import check_csrf, csrf_token

# Templates both apps' pages use (``web/forms.html``: the login and add-user forms).
TEMPLATES = Path(__file__).parent / "templates"

# No inline script or style anywhere: everything comes from /static/.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def security_headers(response: Response) -> Response:
    """A strict CSP, no framing, no sniffing, and no caching of pages that hold
    personal data."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after login, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if not target.isprintable():
        return None  # browsers drop tabs and newlines: "/\t/evil" would become "//evil"
    return target


def protect(blueprint: Blueprint) -> Blueprint:
    """Make a page blueprint safe: every form that changes something carries this
    session's CSRF token (checked before the request), every page gets the security
    headers, and templates may call ``csrf_token()``."""
    blueprint.before_request(check_csrf)
    blueprint.after_request(security_headers)
    blueprint.context_processor(lambda: {"csrf_token": csrf_token})
    return blueprint


def add_account_routes(blueprint: Blueprint, auth: Any, users: Any) -> None:
    """The routes both apps' pages have: sign-in and sign-out (``auth.login``,
    ``auth.logout``) and the admin's user page (``users.users_page``,
    ``users.create_user``, ``users.update_user``); endpoint names are rows of
    each app's role matrix."""
    blueprint.add_url_rule("/login", "login", auth.login, methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", auth.logout, methods=["POST"])
    blueprint.add_url_rule("/admin/users", "users", users.users_page)
    blueprint.add_url_rule("/admin/users", "user_create", users.create_user, methods=["POST"])
    blueprint.add_url_rule("/admin/users/<user_id>", "user_update", users.update_user,
                           methods=["POST"])
