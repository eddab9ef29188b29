"""CSRF tokens for the page forms: one random token per browser session, kept in
the signed session cookie, put in every form as ``csrf_token`` and compared in
constant time on every POST. A missing or forged token is ``CsrfFailed`` (400),
shown as a clear page in Bahasa Indonesia."""

from __future__ import annotations

import hmac
import logging
import secrets

from flask import request, session

from berjasa.problems import CsrfFailed

log = logging.getLogger("berjasa.web")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """This session's token, made on first use (the login form needs one too)."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """Before every page request: a form that changes something must carry the token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get("csrf")
    sent = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(
            expected.encode(), sent.encode()):
        log.warning("CSRF token missing or wrong on %s %s from %s", request.method,
                    request.path, request.remote_addr)
        raise CsrfFailed()
