"""What every request shares: reading a JSON body within limits, finding the
caller, checking the role matrix, and the one JSON error shape."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Request, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from berjasa import http_cache
from berjasa.logs import get_logger
from berjasa.problems import (
    PayloadTooLarge,
    Problem,
)
from berjasa.web import errors
from server import access, accounts, sessions
from server.db import get_db
from server.storage.audit import Actor

log = get_logger("berjasa.server")
PAGE_BLUEPRINTS = frozenset({"pages"})  # cookie sessions count only here
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "payload_too_large", 415: "unsupported_media_type", 500: "internal_error"}
HTTP_MESSAGES = {404: "Alamat tidak ditemukan.", 405: "Metode HTTP ini tidak didukung di sini.",
                 413: "Isi permintaan terlalu besar.", 500: "Terjadi kesalahan di server."}


# Each use of Flask's ``request`` or ``g`` looks the request up again (a proxy);
# functions here that use one several times look it up once, by the proxy's
# ``_get_current_object()``, as werkzeug's documentation advises for speed.


def current_actor() -> Actor:
    """The caller as an audit actor (set by :func:`authorize`)."""
    user = g._get_current_object().user
    return Actor(user["username"], user["role"], request._get_current_object().remote_addr)


def bearer_token(served: Request | None = None) -> str | None:
    """The token from ``Authorization: Bearer ...``, if any (of ``served``, by
    default the current request)."""
    served = served or request._get_current_object()
    header = served.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authorize() -> None:
    """Before every request: find the caller and check the role matrix."""
    served, state = request._get_current_object(), g._get_current_object()
    state.user = None
    endpoint = served.endpoint
    if endpoint is None or access.is_public(endpoint):
        return
    token = bearer_token(served)
    if token:
        state.user = accounts.user_for_bearer(
            get_db(), token, current_app.config["SETTINGS"]["token_ttl_minutes"])
    if state.user is None and served.blueprint in PAGE_BLUEPRINTS:
        # Page sessions only for pages: the JSON API takes bearer tokens alone.
        state.user = sessions.current_user(get_db())
    access.MATRIX.require(state.user, endpoint, log)


# The site's error page (server.pages.blueprint.error_response), given by the app
# factory: (status, message) -> an HTML response.
PAGE_ERRORS = "berjasa.page_errors"
# Paths outside /api/ that are read by programs, never by a person in a browser.


def wants_page(served: Request | None = None) -> bool:
    """Whether an error is answered with the site's error page (Bahasa Indonesia)
    rather than the JSON problem: every request of the supervisor pages, and a
    browser's (one that asks for HTML before JSON) anywhere outside the JSON API
    (``/api/``, ``/health``, ``/openapi.json``): an unknown URL, a wrong method.
    Programs (``Accept: */*``, JSON, or no Accept) keep the JSON problem."""
    served = served or request._get_current_object()
    if served.blueprint in PAGE_BLUEPRINTS:
        return True
    return not errors.for_programs(served) and errors.asks_for_html(served)


def _page(status: int, message: str) -> Response | None:
    """The error page, when this request wants one and the app has pages."""
    render = current_app.extensions.get(PAGE_ERRORS)
    return render(status, message) if render is not None and wants_page() else None


def problem_response(problem: Problem) -> Response:
    """The one JSON error shape (the error page for a browser, :func:`wants_page`)."""
    page = _page(problem.status, problem.message)
    if page is not None:
        return page
    response = jsonify(problem.to_dict())
    response.status_code = problem.status
    if problem.status == 429 and "retry_after" in problem.extra:
        response.headers["Retry-After"] = str(problem.extra["retry_after"])
    if problem.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="berjasa"'
    return response


def http_error_response(exc: HTTPException) -> Response:
    """Werkzeug's errors (404, 405, 413...) in the same shape."""
    if isinstance(exc, RequestEntityTooLarge):
        return problem_response(PayloadTooLarge())
    status = exc.code or 500
    body = {"code": HTTP_CODES.get(status, "http_error"),
            "message": HTTP_MESSAGES.get(status, exc.description or "")}
    response = _page(status, body["message"])
    if response is None:
        response = jsonify(body)
        response.status_code = status
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def init_app(app: Flask, page_errors: Callable[[int, str], Response] | None = None) -> None:
    """Install the role check and the error handlers; ``page_errors`` renders the
    site's error page for browsers (:func:`wants_page`)."""
    if page_errors is not None:
        app.extensions[PAGE_ERRORS] = page_errors
    errors.install(app, log, authorize, problem_response, http_error_response)
    http_cache.install(app)  # JSON answers may carry personal data
