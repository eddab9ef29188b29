"""JSON answers written faster, the same bytes: Flask's compact answer text
(``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` when the app
neither sorts keys nor escapes non-ASCII, outside debug) comes from
:func:`berjasa.canonical.orjson_compact_text`, which has orjson write it where orjson
writes the standard library's exact text and the standard library elsewhere.
Values the standard library would only write through Flask's ``default`` (dates,
UUIDs, dataclasses...) and every other call keep Flask's own ``dumps``."""

from __future__ import annotations

import weakref
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider
from flask.sansio.app import App
from werkzeug.wrappers import Response

from berjasa.canonical import orjson_compact_text, written_alike

_COMPACT_ARGUMENTS = {"separators": (",", ":")}  # what Flask's response() passes outside debug


class FastJSONProvider(DefaultJSONProvider):
    """Flask's default provider; the compact answers of plain JSON values by
    :func:`berjasa.canonical.orjson_compact_text` (tests/unit/test_json_answers.py: byte for byte)."""

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self._flask = weakref.proxy(app)  # as Flask's provider keeps its app

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Flask's JSON response; a plain value's compact text as orjson's bytes
        with the newline Flask adds, not decoded to text and encoded again."""
        if (len(args) == 1 and not kwargs and self.ensure_ascii is False
                and self.sort_keys is False and self.compact is not False
                and not (self.compact is None and self._flask.debug) and written_alike(args[0])):
            try:
                body = orjson.dumps(args[0], option=orjson.OPT_APPEND_NEWLINE)
            except orjson.JSONEncodeError:
                pass
            else:
                return self._flask.response_class(body, mimetype=self.mimetype)
        return super().response(*args, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == _COMPACT_ARGUMENTS and self.ensure_ascii is False and self.sort_keys is False:
            text = orjson_compact_text(obj)
            if text is not None:
                return text
        return super().dumps(obj, **kwargs)
