"""Device-signed GET requests (docs/sync-protocol.md): the signature is checked
before the query string is parsed, so an unsigned caller learns nothing about
the arguments (403/401 first, then 422)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from central.app import get_db, setting
from central.updates import verify_device_request

SIGNED = {"description": "Ditandatangani perangkat (docs/sync-protocol.md)", "security": []}
REFUSED = {"400": {"description": "Ditolak protokol (tanda tangan, waktu, nonce)"},
           "403": {"description": "Perangkat tidak dikenal atau dicabut"}}


def signed_by_device(view: Callable[..., Any]) -> Callable[..., Any]:
    """Put under ``@blp.route`` and above ``@blp.arguments``: the signing device is ``g.device``."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        path_qs = request.full_path.rstrip("?") if not request.query_string else request.full_path
        g.device = verify_device_request(get_db(), request.headers, request.method, path_qs,
                                         setting("central_request_max_skew_seconds"))
        return view(*args, **kwargs)

    return checked
