"""Request bodies within limits, shared by the kelurahan and central apps: the
declared length is checked before anything is read, a chunked body is read
through a capped stream, and JSON that is malformed, too deep, NaN/Infinity or
not UTF-8 is a 400 (never a 500). One leading UTF-8 byte order mark is allowed."""

from __future__ import annotations

import json
from codecs import BOM_UTF8
from typing import Any

from flask import request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from berjasa.canonical import UNREAD, orjson_read
from berjasa.problems import MalformedJson, PayloadTooLarge, UnsupportedMediaType


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads with a keyword builds a new decoder on every call (~16K
# instructions a request). Shared by threads as json's own default decoder is.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def limit_body(limit_bytes: int) -> None:
    """Before a view reads anything: 413 when the declared length is over the limit;
    otherwise cap the stream (a chunked body over the limit is a 413 while read)."""
    if request.content_length is not None and request.content_length > limit_bytes:
        raise PayloadTooLarge(limit_bytes=limit_bytes)
    request.max_content_length = limit_bytes


def read_json(limit_bytes: int) -> Any:
    """The request body as JSON: 415 when not JSON, 413 over the limit, 400 when
    malformed (also too deeply nested, NaN/Infinity and invalid UTF-8); a leading
    UTF-8 BOM is skipped. The values are ``json.loads``', read by orjson where it
    reads them alike (:func:`berjasa.canonical.orjson_read`), else by the standard
    library, which also decides every refusal."""
    served = request._get_current_object()  # one proxy lookup, not four (werkzeug's advice)
    environ = served.environ
    # the plain header needs no parsing (werkzeug's mimetype of it is the same)
    if environ.get("CONTENT_TYPE") != "application/json" and served.mimetype != "application/json":
        raise UnsupportedMediaType()
    length = get_content_length(environ)  # what served.content_length reads
    if length is not None and length > limit_bytes:
        raise PayloadTooLarge(limit_bytes=limit_bytes)
    if length is not None:
        if served.max_content_length is not None and length > served.max_content_length:
            raise RequestEntityTooLarge()  # as werkzeug's stream refuses it
        # PEP 3333: read the declared length from the WSGI input (werkzeug's stream
        # reads the same bytes through a 64 KiB buffer per read)
        raw = environ["wsgi.input"].read(length)
        if len(raw) < length and "wsgi.input_terminated" not in environ:
            raise ClientDisconnected()  # as werkzeug's stream answers a short body
    else:  # chunked: werkzeug's stream, capped at the app's limit
        raw = served.get_data(cache=False)
    if len(raw) > limit_bytes:
        raise PayloadTooLarge(limit_bytes=limit_bytes)
    value = orjson_read(raw.removeprefix(BOM_UTF8))
    if value is not UNREAD:
        return value
    try:
        # utf-8-sig: one leading byte order mark is dropped (Notepad and PowerShell
        # on Windows write one); json.loads would refuse it
        return _DECODER.decode(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedJson() from exc
