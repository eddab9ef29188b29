"""Request ids and one access line per request, for both apps (issue 13,
structured logs; berjasa/logs.py explains the fields).

``X-Request-Id`` is taken from the caller when sane (the phone, the agent) or
made here, answered back, and set for every log line written while the request
is served. The access line holds method, path *without the query string* (a
search ``q=`` may be a NIK or a name), status, milliseconds and the record ids a
handler noted with :func:`note_records`.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Request, Response, g, request
from flask.ctx import _AppCtxGlobals

from berjasa.logs import REQUEST_ID, get_logger, new_request_id

log = get_logger("berjasa.access")


def note_records(record_ids: list[str]) -> None:
    """Name the records this request stored (ids only) in its access line."""
    g._get_current_object().log_record_ids = [str(rid) for rid in record_ids][:1000]


def _log_access(served: Request, response: Response, state: _AppCtxGlobals) -> None:
    """The access line of one request."""
    extra = {"event": "request", "method": served.method, "path": served.path,
             "status": response.status_code,
             "ms": round((time.perf_counter() - state.request_started) * 1000, 1)}
    if state.get("log_record_ids"):
        extra["record_ids"] = state.log_record_ids
    log.info("%s %s %s", served.method, served.path, response.status_code, extra=extra)


def install(app: Flask) -> None:
    """Add the request id and the access line to ``app``."""

    @app.before_request
    def start() -> None:
        # the header from the WSGI environ, as request.headers.get reads it
        request_id = new_request_id(request._get_current_object().environ.get("HTTP_X_REQUEST_ID"))
        state = g._get_current_object()  # one context lookup for the three names
        state.request_id = request_id
        state.request_started = time.perf_counter()
        state.request_id_token = REQUEST_ID.set(request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        state = g._get_current_object()
        request_id = state.get("request_id")
        if request_id:
            response.headers["X-Request-Id"] = request_id
            if log.isEnabledFor(logging.INFO):  # the line is built only when written
                _log_access(request._get_current_object(), response, state)
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        token = g._get_current_object().pop("request_id_token", None)
        if token is not None:
            try:
                REQUEST_ID.reset(token)
            except ValueError:  # set in another context (should not happen)
                REQUEST_ID.set(None)
