"""``Cache-Control: no-store`` on answers that may carry personal data (issue 13
item 13).

Every JSON answer of both apps, and every answer under ``/api/`` whatever its
type (central's batch answers are a binary sync format), may carry personal data:
an enrollment, a search result, a problem naming a value, a batch answer. No
browser, service worker cache or proxy may keep a copy. Installed once per app as
an ``after_request`` hook.
"""

from __future__ import annotations

from flask import Flask, Response, request

API_PREFIX = "/api/"


def no_store(response: Response) -> Response:
    """Mark JSON answers and every API answer no-store."""
    mimetype = response.mimetype or ""
    is_json = mimetype == "application/json" or (mimetype.startswith("application/")
                                                 and mimetype.endswith("+json"))
    if is_json or request.path.startswith(API_PREFIX):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"  # HTTP/1.0 caches
    return response


def install(app: Flask) -> None:
    """Add :func:`no_store` to ``app``."""
    app.after_request(no_store)
