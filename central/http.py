"""What every central request shares: the body limit (413 before reading), the
caller's session and the role matrix, and errors in one shape: JSON
``{"code", "message", ...}`` (docs/api.md) for the API and any client that does
not ask for HTML, a page in Bahasa Indonesia for browsers on the pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from berjasa.audit import Actor
from berjasa.logs import get_logger
from berjasa.problems import (
    CsrfFailed,
    PayloadTooLarge,
    Problem,
    SyncProtocolRefused,
    Unauthorized,
)
from berjasa.web import errors
from berjasa.web.bodies import limit_body
from berjasa.web.pages import security_headers
from central import access, sessions
from sync.protocol_errors import ProtocolError

log = get_logger("berjasa.central")
BATCH_ENDPOINT = "central_batches.receive_batch"
# Signed sync bodies: an oversized one is the sync protocol's own 413 ("too_large").
PROTOCOL_ENDPOINTS = frozenset({BATCH_ENDPOINT, "central_erasures.receive_erasures"})
OTHER_BODY_LIMIT = 1_048_576  # every route but batches: 1 MB (design.md)
HTTP_ERRORS = {
    400: ("bad_request", "Permintaan tidak dapat diproses."),
    404: ("not_found", "Alamat tidak ditemukan."),
    405: ("method_not_allowed", "Metode HTTP ini tidak didukung di sini."),
    413: ("payload_too_large", "Isi permintaan terlalu besar."),
    415: ("unsupported_media_type", "Jenis isi permintaan tidak didukung."),
    500: ("internal_error", "Terjadi kesalahan di server."),
}
TITLES = {400: "Permintaan tidak sah", 401: "Silakan masuk", 403: "Tidak diizinkan",
          404: "Tidak ditemukan", 405: "Metode tidak didukung", 409: "Tidak dapat dilakukan",
          413: "Terlalu besar", 422: "Isian tidak valid", 429: "Terlalu banyak percobaan",
          500: "Terjadi kesalahan"}


def body_limit(endpoint: str | None, values: dict[str, Any]) -> int:
    """The largest body a route accepts."""
    return values["central_max_batch_bytes"] if endpoint == BATCH_ENDPOINT else OTHER_BODY_LIMIT


def get_user() -> dict[str, Any] | None:
    """The signed-in office user of this request, if any."""
    return getattr(g, "user", None)


def current_actor() -> Actor:
    """The signed-in user as an audit actor."""
    user = g.user
    return Actor(user["username"], user["role"], request.remote_addr)


def before_request() -> None:
    """413 for an oversized body (nothing read yet), then the session and the role matrix."""
    from central.app import get_db

    limit = body_limit(request.endpoint, settings())
    if request.endpoint in PROTOCOL_ENDPOINTS and (request.content_length or 0) > limit:
        raise ProtocolError("too_large", "Content-Length over the limit")
    limit_body(limit)
    g.user = None
    endpoint = request.endpoint
    if endpoint is None or access.is_public(endpoint):
        return
    g.user = sessions.current_user(get_db())
    access.MATRIX.require(g.user, endpoint, log)


def settings() -> dict[str, Any]:
    """The effective berjasa settings of the running app."""
    from flask import current_app
    return current_app.config["SETTINGS"]


def wants_page() -> bool:
    """A browser (HTML errors) rather than a program (JSON errors): on the office
    pages, and anywhere outside the device API and the machine paths (an unknown URL,
    a wrong method). curl, requests and programs (``*/*``) get JSON."""
    if request.blueprint != "pages" and errors.for_programs(request):
        return False
    return errors.asks_for_html(request)


def error_page(status: int, message: str, title: str | None = None,
               headers: dict[str, str] | None = None,
               also: tuple[str, str] | None = None) -> Response:
    """An error as a page in Bahasa Indonesia; ``also`` (text, URL): the way on."""
    response = Response(render_template("central/error.html", status=status, message=message,
                                        title=title or TITLES.get(status, "Kesalahan"),
                                        also=also),
                        status=status, mimetype="text/html")
    response.headers.update(headers or {})
    return security_headers(response)  # the pages' own, also on a URL outside them


def problem_response(problem: Problem) -> Response:
    """A domain error: login redirect (302) for pages without a session, else the
    one JSON shape, or a page for a browser."""
    if isinstance(problem, Unauthorized) and request.blueprint == "pages":
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("pages.login", next=target), code=302)
    headers = {}
    if problem.status == 429 and "retry_after" in problem.extra:
        headers["Retry-After"] = str(problem.extra["retry_after"])
    if wants_page():
        title = "Formulir tidak sah" if isinstance(problem, CsrfFailed) else None
        return error_page(problem.status, problem.message, title, headers)
    response = jsonify(problem.to_dict())
    response.status_code = problem.status
    response.headers.update(headers)
    return response


def protocol_response(exc: ProtocolError) -> Response:
    """A refused sync request in the one shape."""
    log.info("sync protocol refused: %s", exc.code)
    return problem_response(SyncProtocolRefused(exc.code, exc.status, exc.message))


def http_error_response(exc: HTTPException) -> Response:
    """Werkzeug's errors (404, 405, 413 ...) in the same shape."""
    if isinstance(exc, RequestEntityTooLarge):
        return problem_response(PayloadTooLarge())
    status = exc.code or 500
    code, message = HTTP_ERRORS.get(status, ("http_error", exc.name))
    if wants_page():
        response = error_page(status, message)
    else:
        response = jsonify({"code": code, "message": message})
        response.status_code = status
    allow = exc.get_response().headers.get("Allow") if status == 405 else None
    if allow:
        response.headers["Allow"] = allow
    return response


def init_app(app: Flask) -> None:
    """Install the body limit, the role check and the error handlers."""
    errors.install(app, log, before_request, problem_response, http_error_response,
                   more=[(ProtocolError, protocol_response)])
