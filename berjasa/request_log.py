"""Request ids and one access line per request, for both apps (issue 13,
structured logs; berjasa/logs.py explains the fields).

``X-Request-Id`` is taken from the caller when sane (the phone, the agent) or
made here, answered back, and set for every log line written while the request
is served. The access line holds method, path *without the query string* (a
search ``q=`` may be a NIK or a name), status, milliseconds and the record ids a
handler noted with :func:`note_records`.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from berjasa.logs import REQUEST_ID, get_logger, new_request_id

log = get_logger("berjasa.access")


def note_records(record_ids: list[str]) -> None:
    """Name the records this request stored (ids only) in its access line."""
    g.log_record_ids = [str(rid) for rid in record_ids][:1000]


def install(app: Flask) -> None:
    """Add the request id and the access line to ``app``."""

    @app.before_request
    def start() -> None:
        g.request_id = new_request_id(request.headers.get("X-Request-Id"))
        g.request_started = time.perf_counter()
        g.request_id_token = REQUEST_ID.set(g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-Id"] = request_id
            extra = {"event": "request", "method": request.method, "path": request.path,
                     "status": response.status_code,
                     "ms": round((time.perf_counter() - g.request_started) * 1000, 1)}
            if g.get("log_record_ids"):
                extra["record_ids"] = g.log_record_ids
            log.info("%s %s %s", request.method, request.path, response.status_code, extra=extra)
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                REQUEST_ID.reset(token)
            except ValueError:  # set in another context (should not happen)
                REQUEST_ID.set(None)
