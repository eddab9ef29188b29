"""Device-signed GET requests (docs/sync-protocol.md): the signature is checked
before the query string is parsed, so an unsigned caller learns nothing about
the arguments (403/401 first, then 422)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from berjasa.web.answers import problems
from central.app import get_db, setting
from central.updates import verify_device_request

SIGNED = {"description": "Ditandatangani perangkat (docs/sync-protocol.md)", "security": []}
# What the protocol checks answer on every device route (sync/protocol_errors.py)
REFUSED = problems(
    s400="Ditolak protokol: header tanda tangan tidak ada (unsigned_request), "
         "Berjasa-Protocol tidak dikenal (unsupported_version) atau isi rusak (malformed)",
    s401="Tanda tangan tidak sah (bad_signature), perangkat tidak terdaftar (unknown_device), "
         "waktu terlalu jauh (stale_request) atau nonce berulang (replayed_request)",
    s403="Perangkat dicabut (device_revoked), atau isi menyebut perangkat/kelurahan lain "
         "(wrong_device, wrong_kelurahan)")


def signed_by_device(view: Callable[..., Any]) -> Callable[..., Any]:
    """Put under ``@blp.route`` and above ``@blp.arguments``: the signing device is ``g.device``."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        path_qs = request.full_path.rstrip("?") if not request.query_string else request.full_path
        g.device = verify_device_request(get_db(), request.headers, request.method, path_qs,
                                         setting("central_request_max_skew_seconds"))
        return view(*args, **kwargs)

    return checked
