"""A browser session signed in through an app's login form (either app: the
kelurahan server's supervisor pages or central's office pages), for the benches
that time pages."""

from __future__ import annotations

import re

import requests


def signed_in_session(base_url: str, username: str, password: str,
                      timeout: float = 30) -> requests.Session:
    """A session signed in as ``username`` at ``base_url``: the login form's CSRF
    token, then the form posted; the landing page must name the user."""
    browser = requests.Session()
    form = browser.get(f"{base_url}/login", timeout=timeout).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    landed = browser.post(f"{base_url}/login", timeout=timeout, data={
        "username": username, "password": password, "csrf_token": token})
    assert landed.status_code == 200 and username in landed.text, landed.status_code
    return browser
