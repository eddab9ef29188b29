"""How both apps (kelurahan server, central) install their request hooks and error
handlers, and answer an unexpected error; each app keeps its own error shape
(``problem_response``, ``http_error_response``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from berjasa import request_log
from berjasa.database import is_storage_full
from berjasa.problems import Problem, StorageFull

Handler = Callable[[Any], Response]

# Answered as JSON to everyone, browsers included: the JSON API and the machine paths.
MACHINE_PATHS = frozenset({"/health", "/openapi.json"})


def for_programs(served: Request) -> bool:
    """Whether ``served`` is on the JSON API or a machine path (never an error page)."""
    return served.path.startswith("/api/") or served.path in MACHINE_PATHS


def asks_for_html(served: Request) -> bool:
    """A browser's request: it asks for HTML before JSON (programs send ``*/*``,
    JSON, or no Accept)."""
    return served.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def install(app: Flask, log: logging.Logger, before_request: Callable[[], None],
            problem_response: Handler, http_error_response: Handler,
            more: Iterable[tuple[type[Exception], Handler]] = ()) -> None:
    """X-Request-Id and one JSON access line per request, the app's check before
    each request, and its error handlers: domain problems, Werkzeug's errors,
    ``more`` (exception type, handler), and any other exception as a bug."""
    request_log.install(app)
    app.before_request(_refuse_head)
    app.after_request(_allow_without_head)
    app.before_request(before_request)
    app.register_error_handler(Problem, problem_response)
    for kind, handler in more:
        app.register_error_handler(kind, handler)
    app.register_error_handler(HTTPException, http_error_response)

    def unexpected_error_response(exc: Exception) -> Response:
        """A bug: logged (NIK masked by the log filter), answered without details.
        A full disk is no bug: 507 ``storage_full`` (the transaction rolled back,
        nothing stored)."""
        if isinstance(exc, HTTPException):
            return http_error_response(exc)
        if is_storage_full(exc, _database_folder()):
            log.error("storage full on %s %s: nothing stored", request.method, request.path)
            return problem_response(StorageFull())
        log.exception("unexpected error on %s %s", request.method, request.path)
        return http_error_response(HTTPException(description="internal", response=None))

    app.register_error_handler(Exception, unexpected_error_response)


def _refuse_head() -> None:
    """405 for HEAD, but on /health and static files. Flask answers HEAD by running
    the GET view, and some GETs act: a download marks records and writes the trail,
    a login form that is not a POST counted as a failed login (a link checker's HEADs
    locked an office out). Nothing of this app is for HEAD."""
    if request.method == "HEAD" and request.path != "/health" and not (
            request.endpoint or "").endswith("static"):
        raise MethodNotAllowed(valid_methods=["GET"])


def _allow_without_head(response: Response) -> Response:
    """An ``Allow`` header (OPTIONS, 405) does not offer the HEAD that is refused."""
    allowed = response.headers.get("Allow")
    if allowed and "HEAD" in allowed and request.path != "/health":
        response.headers["Allow"] = ", ".join(
            method for method in (m.strip() for m in allowed.split(",")) if method != "HEAD")
    return response


def _database_folder() -> Path | None:
    """The folder of this app's SQLite database (the kelurahan's data folder, or
    central's ``sqlite:///`` file); None on PostgreSQL, whose full disk is its own
    error (DiskFull)."""
    config = current_app.config.get("BERJASA")
    if config is None:
        return None
    url = config.database_url
    if not url:
        return Path(config.data_dir)
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):]).parent
    return None
