"""unit: berjasa.web.flask_app.CachedSyncFlask — Flask's ensure_sync answers, kept
per function: plain functions as they are, async ones wrapped, hooks and views
run as in Flask; URL builders compiled on first use build werkzeug's URLs, for
every route of both apps, and building an app compiles none."""

from __future__ import annotations

import functools

import pytest
from flask import Flask, g, url_for
from werkzeug.routing import Map, Rule

from berjasa.settings import AppConfig, load_settings
from berjasa.web import flask_app
from berjasa.web.flask_app import CachedSyncFlask, LazyBuilderRule


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


@pytest.fixture
def both_apps(data_dir, tmp_path):
    """The kelurahan app and central's, as ``serve`` and ``central serve`` build them."""
    from central.app import create_app as central_app
    from server.app import create_app as kelurahan_app

    settings = load_settings(data_dir, {})
    central_dir = tmp_path / "central"
    central_dir.mkdir()
    return {"kelurahan": kelurahan_app(AppConfig(data_dir, settings, testing=True)),
            "central": central_app(AppConfig(central_dir, settings, testing=True,
                                             database_url=f"sqlite:///{central_dir / 'c.db'}"))}


def _values(rule: Rule) -> dict:
    """A value for each of a rule's arguments (its converter's kind), with a space
    and a slash where text goes, so quoting shows."""
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        values[name] = 7 if kind in ("IntegerConverter", "NumberConverter") else "a b/c"
    return values


def test_every_route_builds_werkzeugs_own_url(both_apps):
    """Each route's URL, with and without unknown arguments (a query string) and as
    an external URL, is the one werkzeug's eagerly compiled rule builds."""
    for name, app in both_apps.items():
        rules = list(app.url_map.iter_rules())
        assert rules and all(isinstance(rule, LazyBuilderRule) for rule in rules), name
        plain = Map([Rule(r.rule, endpoint=r.endpoint, methods=r.methods, defaults=r.defaults)
                     for r in rules], converters=app.url_map.converters)
        eager = plain.bind("kota.example", url_scheme="https")
        with app.test_request_context(base_url="https://kota.example"):
            for rule in rules:
                values = _values(rule)
                for extra in ({}, {"page": 2, "q": "x y"}):
                    for external in (False, True):
                        ours = url_for(rule.endpoint, **values, **extra, _external=external)
                        assert ours == eager.build(rule.endpoint, {**values, **extra},
                                                   force_external=external), (name, rule.rule)


def test_building_an_app_compiles_no_url_builder(both_apps, data_dir, monkeypatch):
    """The saving itself: werkzeug's builder compiler runs on a URL's first build only
    (were werkzeug to rename its hook, builders would compile while the app is built)."""
    from server.app import create_app as kelurahan_app

    compiled = []
    original = Rule._compile_builder
    monkeypatch.setattr(Rule, "_compile_builder",
                        lambda rule, *args: compiled.append(rule.rule) or original(rule, *args))
    app = kelurahan_app(AppConfig(data_dir, load_settings(data_dir, {}), testing=True))
    assert compiled == []
    with app.test_request_context():
        assert url_for("health.health") == "/health"
        assert url_for("health.health") == "/health"
    assert compiled == ["/health"]  # once, for the builder that was used
