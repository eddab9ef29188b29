"""unit: berjasa.web.sessions.SignedCookieSessions — Flask's signed cookie session,
the same sessions and cookies as Flask's own interface, with or without a cookie."""

from __future__ import annotations

import json

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.test import EnvironBuilder, run_wsgi_app

from berjasa.web.sessions import SignedCookieSessions


def make_app(interface, secret: str | None = "s3cret") -> Flask:
    app = Flask("sessions")
    app.secret_key = secret
    app.session_interface = interface

    @app.get("/read")
    def read():
        return {"session": dict(session), "kind": type(session._get_current_object()).__name__}

    @app.get("/write")
    def write():
        session["who"] = "siti"
        return {}

    return app


def visit(app: Flask, cookie: str | None) -> tuple[bytes, list[str]]:
    """GET /read with this Cookie header (None: no header at all), run as WSGI
    (the test client would put its own cookie jar in the header's place)."""
    headers = {"Cookie": cookie} if cookie is not None else {}
    environ = EnvironBuilder(path="/read", headers=headers).get_environ()
    assert ("HTTP_COOKIE" in environ) == (cookie is not None)
    body, _, answer_headers = run_wsgi_app(app, environ, buffered=True)
    return b"".join(body), answer_headers.getlist("Set-Cookie")


def flask_cookie() -> str:
    answer = make_app(SecureCookieSessionInterface()).test_client().get("/write")
    return answer.headers["Set-Cookie"].split(";")[0]


@pytest.mark.parametrize("cookie", [None, "", "other=1", "session=forged.value.sig", "valid"])
@pytest.mark.parametrize("secret", ["s3cret", None])
def test_every_request_gets_flasks_own_session(cookie, secret):
    if cookie == "valid":
        cookie = flask_cookie()
    ours = visit(make_app(SignedCookieSessions(), secret), cookie)
    flasks = visit(make_app(SecureCookieSessionInterface(), secret), cookie)
    assert ours == flasks


def test_a_written_session_sets_flasks_cookie():
    ours = make_app(SignedCookieSessions()).test_client().get("/write")
    assert ours.headers["Set-Cookie"].split(";")[0] == flask_cookie()
    assert json.loads(visit(make_app(SignedCookieSessions()), flask_cookie())[0]) == {
        "kind": "SecureCookieSession", "session": {"who": "siti"}}
