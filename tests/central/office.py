"""Helpers for central's office pages: users of each role and signed-in browser
sessions (plain requests.Session against the real server)."""

from __future__ import annotations

import re

import requests

from berjasa.audit import Actor
from central import accounts
from tests.helpers import PASSWORD

ROLES = ("operator", "verifier", "admin", "auditor")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_user(central, name: str, role: str, password: str = PASSWORD) -> int:
    """An office user made the way `central user add` makes one."""
    db = central.db()
    try:
        return accounts.add_user(db, name, role, password, Actor("test", "admin"))
    finally:
        db.close()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def login(central, name: str, password: str = PASSWORD) -> tuple[requests.Session,
                                                                  requests.Response]:
    """A session after POST /login (the answer followed to where it lands)."""
    browser = requests.Session()
    form = browser.get(f"{central.url}/login", timeout=10)
    answer = browser.post(f"{central.url}/login", timeout=20, data={
        "username": name, "password": password, "csrf_token": csrf_of(form.text)})
    return browser, answer


def signed_in(central, role: str, name: str | None = None) -> requests.Session:
    """A user of ``role`` made and signed in."""
    name = name or f"{role}-uji"
    add_user(central, name, role)
    browser, answer = login(central, name)
    assert answer.status_code == 200 and answer.url.rstrip("/") == central.url, answer.text[:300]
    return browser


def token(browser: requests.Session, central, path: str = "/") -> str:
    """A CSRF token valid for this session (from any page it may open)."""
    return csrf_of(browser.get(f"{central.url}{path}", timeout=10).text)
