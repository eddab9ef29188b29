"""unit: berjasa.web.json_answers — the kelurahan app's JSON answers are byte for
byte what Flask's default provider writes with the same settings, for plain values
(orjson's path) and for values only Flask's ``default`` can write (dates, UUIDs)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings

from berjasa.web.json_answers import FastJSONProvider
from tests.helpers import examples
from tests.unit.test_canonical import EDGE_NUMBERS, EDGE_TEXTS, values


def _apps(debug: bool = False) -> tuple[Flask, Flask]:
    """The same app settings (the kelurahan server's) with each provider."""
    made = []
    for provider in (DefaultJSONProvider, FastJSONProvider):
        app = Flask(__name__)
        app.json = provider(app)
        app.json.ensure_ascii = False
        app.json.sort_keys = False
        app.debug = debug
        made.append(app)
    return made[0], made[1]


def _answer(app: Flask, value) -> bytes | type:
    try:
        with app.app_context():
            return app.json.response(value).get_data()
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return type(exc)


@settings(max_examples=examples(300), deadline=None)
@given(values)
def test_answers_are_flasks_own(value):
    flask_app, fast_app = _apps()
    assert _answer(fast_app, value) == _answer(flask_app, value)


@pytest.mark.parametrize("value", [
    *EDGE_NUMBERS, *EDGE_TEXTS,
    {"z": 1, "a": [dt.date(2024, 1, 2)], "é": "ñ"},
    {"id": uuid.UUID(int=7), "at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)},
    {"results": [{"id": "x", "status": 201, "version": 1}] * 3},
])
@pytest.mark.parametrize("debug", [False, True])
def test_edge_values_and_flask_defaults(value, debug):
    flask_app, fast_app = _apps(debug)
    assert _answer(fast_app, value) == _answer(flask_app, value)


def test_a_sorting_or_ascii_app_keeps_flasks_dumps():
    flask_app, fast_app = _apps()
    for app in (flask_app, fast_app):
        app.json.sort_keys = True
    assert _answer(fast_app, {"b": "é", "a": 1}) == _answer(flask_app, {"b": "é", "a": 1})
    for app in (flask_app, fast_app):
        app.json.ensure_ascii = True
    assert _answer(fast_app, {"b": "é", "a": 1}) == _answer(flask_app, {"b": "é", "a": 1})
