"""JSON answers written faster, the same bytes: Flask's compact answer text
(``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` when the app
neither sorts keys nor escapes non-ASCII, outside debug) comes from
:func:`berjasa.canonical.orjson_compact_text`, which has orjson write it where orjson
writes the standard library's exact text and the standard library elsewhere.
Values the standard library would only write through Flask's ``default`` (dates,
UUIDs, dataclasses...) and every other call keep Flask's own ``dumps``."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from berjasa.canonical import orjson_compact_text

_COMPACT_ARGUMENTS = {"separators": (",", ":")}  # what Flask's response() passes outside debug


class FastJSONProvider(DefaultJSONProvider):
    """Flask's default provider; the compact answers of plain JSON values by
    :func:`berjasa.canonical.orjson_compact_text` (tests/unit/test_json_answers.py: byte for byte)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == _COMPACT_ARGUMENTS and self.ensure_ascii is False and self.sort_keys is False:
            text = orjson_compact_text(obj)
            if text is not None:
                return text
        return super().dumps(obj, **kwargs)
