"""unit: berjasa.web.flask_app.CachedSyncFlask — Flask's ensure_sync answers, kept
per function: plain functions as they are, async ones wrapped, hooks and views
run as in Flask."""

from __future__ import annotations

import functools

from flask import Flask, g

from berjasa.web import flask_app
from berjasa.web.flask_app import CachedSyncFlask


def plain():
    return "plain"


async def coroutine():
    return "async"


def test_the_answers_are_flasks():
    ours, flasks = CachedSyncFlask("ours"), Flask("flask")
    for func in (plain, functools.partial(plain), len):
        assert ours.ensure_sync(func) is flasks.ensure_sync(func) is func
        assert ours.ensure_sync(func) is func  # kept: the same again
    for _ in range(2):  # wrapped, or refused where Flask lacks its 'async' extra
        assert outcome(ours, coroutine) == outcome(flasks, coroutine) != "as it is"


def outcome(app: Flask, func) -> str:
    try:
        return "as it is" if app.ensure_sync(func) is func else "wrapped"
    except RuntimeError as exc:
        return str(exc)


def test_hooks_and_views_run_as_in_flask():
    app = CachedSyncFlask("hooks")

    @app.before_request
    def start():
        g.seen = ["before"]

    @app.after_request
    def finish(response):
        response.headers["X-Seen"] = ",".join([*g.seen, "after"])
        return response

    @app.get("/")
    def view():
        g.seen.append("view")
        return "ok"

    for _ in range(3):
        answer = app.test_client().get("/")
        assert (answer.text, answer.headers["X-Seen"]) == ("ok", "before,view,after")


def test_functions_beyond_the_bound_pass_through(monkeypatch):
    monkeypatch.setattr(flask_app, "KEPT", 2)
    app = CachedSyncFlask("bound")
    made = [lambda: None for _ in range(5)]
    assert [app.ensure_sync(f) for f in made] == made
    assert len(app._sync_functions) == 2
