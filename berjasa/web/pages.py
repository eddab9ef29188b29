"""Security headers, the CSRF hook and login helpers shared by the kelurahan and
central pages."""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request
from jinja2.bccache import Bucket, BytecodeCache
from markupsafe import Markup, escape

from berjasa.web.csrf import check_csrf, csrf_token
from berjasa.web.user_pages import UserPages

# Templates both apps' pages use (``web/forms.html``: the login and add-user forms).
TEMPLATES = Path(__file__).parent / "templates"

# No inline script or style anywhere: everything comes from /static/.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def inert(value: object) -> Markup:
    """Text from outside shown as typed and harmless: HTML escaped, and the
    direction and other invisible format and control characters (U+202E ...) shown
    as their code instead of reordering the page. For display only: a form field
    pre-filled with the value keeps it as stored."""
    text = "" if value is None else str(value)
    if text.isprintable():  # no Cc, Cf, Cs, Co, Cn, Zl, Zp: nothing to show as a code
        return escape(text)
    shown = "".join(f"[U+{ord(c):04X}]" if unicodedata.category(c) in ("Cf", "Cc")
                    and c not in _HARMLESS else c for c in text)
    return escape(shown)


# Line breaks and tabs (a multi-line address) and the joiners that scripts and
# emoji sequences need: none of them reorders or hides text.
_HARMLESS = frozenset("\t\n\r\u200c\u200d")


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


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates, kept for every app of the process: a template is
    compiled once, not once per app (the demo serves three apps from one process;
    the tests build hundreds). Jinja keys each entry by the template's file and
    checks its source checksum, so an edited template is compiled again. Both
    apps' Jinja environments have Flask's default options, which the compiled
    code depends on."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            data = self._compiled.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        data = bucket.bytecode_to_string()
        with self._lock:
            self._compiled[bucket.key] = data


COMPILED_TEMPLATES = CompiledTemplates()


def _share_compiled_templates(state: Any) -> None:
    state.app.jinja_env.bytecode_cache = COMPILED_TEMPLATES


# Headers with which browsers say a request is a prefetch (speculation rules,
# <link rel=prefetch>, Firefox's old X-Moz), not the user asking for the page.
_PREFETCH_HEADERS = ("Sec-Purpose", "Purpose", "X-Moz", "X-Purpose")


def get_only(view: Callable[..., Any], methods: tuple[str, ...] = ("GET",)) -> Callable[..., Any]:
    """For a GET view with side effects (an export that marks records and is written
    to the trail): Flask answers HEAD with the GET view, so HEAD gets 405 with
    ``Allow: GET`` instead, and a browser's prefetch 503 (a prefetch whose answer
    is not 2xx is dropped), both without running the view; a request another site
    started is refused (:func:`refuse_cross_site`, 403) before the view runs, so it
    builds and records nothing. ``methods``: the ones the view takes (a POST form
    as well: its CSRF token is checked by :func:`protect`)."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if request.method not in methods:
            return Response(status=405, headers={"Allow": ", ".join(methods)})
        if any("prefetch" in request.headers.get(name, "").lower() for name in _PREFETCH_HEADERS):
            return Response(status=503, headers={"Cache-Control": "no-store"})
        refuse_cross_site()
        return view(*args, **kwargs)

    return guarded


# Sec-Fetch-Site values of a request another site (or another port of this host) started.
_FOREIGN_FETCH = frozenset({"cross-site", "same-site"})


def refuse_cross_site(typed: bool = True) -> None:
    """CrossSiteRequest (403) when another site started this request: the browser
    says so in ``Sec-Fetch-Site`` (``cross-site``, or ``same-site``: another port or
    subdomain, such as a kelurahan server on the same host); a browser without that
    header, by an ``Origin`` or ``Referer`` naming another host. ``typed`` False
    refuses ``Sec-Fetch-Site: none`` too (the address typed, a bookmark, or a link
    opened from another application such as an e-mail program): for a GET that
    changes state, only central's own pages may start it. A request with none of
    these headers (a script, curl) is not a browser's and passes: a session cookie
    is the script's own. SameSite=Lax sends the cookie with a top-level navigation
    from anywhere, so without this a link in an e-mail was a download by whoever
    clicked it."""
    from berjasa.problems import CrossSiteRequest

    fetch = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch:
        if fetch in _FOREIGN_FETCH or (fetch == "none" and not typed):
            raise CrossSiteRequest()
        return
    for header in ("Origin", "Referer"):
        sent = request.headers.get(header)
        if sent is not None:
            if _host_of(sent) != request.host.lower():
                raise CrossSiteRequest()
            return


def _host_of(url: str) -> str:
    """``host[:port]`` of an Origin or Referer value, lower case (``null``: none)."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url.strip()).netloc.lower()
    except ValueError:
        return ""


def protect(blueprint: Blueprint) -> Blueprint:
    """Make a page blueprint safe: every form that changes something carries this
    session's CSRF token (checked before the request), every page gets the security
    headers, and templates may call ``csrf_token()``. The app it is registered on
    shares :data:`COMPILED_TEMPLATES`."""
    blueprint.before_request(check_csrf)
    blueprint.after_request(security_headers)
    blueprint.context_processor(lambda: {"csrf_token": csrf_token})
    blueprint.record_once(_share_compiled_templates)
    return blueprint


def add_account_routes(blueprint: Blueprint, auth: Any, users: UserPages) -> None:
    """The routes both apps' pages have: sign-in and sign-out (``auth.login``,
    ``auth.logout``) and the admin's user page (``users``: its list, add and
    change views); endpoint names are rows of each app's role matrix."""
    blueprint.add_url_rule("/login", "login", auth.login, methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", auth.logout, methods=["POST"])
    blueprint.add_url_rule("/admin/users", "users", users.page)
    blueprint.add_url_rule("/admin/users", "user_create", users.create, methods=["POST"])
    blueprint.add_url_rule("/admin/users/<user_id>", "user_update", users.update,
                           methods=["POST"])
