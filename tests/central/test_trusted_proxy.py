"""Central behind the city's HTTPS reverse proxy (``central_trusted_proxy``): the
client's address comes from X-Forwarded-For only when the setting names the proxy. Behind a proxy without it, every login would share the proxy's address, so
ten wrong passwords by anyone would lock everyone out; without a proxy, trusting the
header would let anyone name any address."""

from __future__ import annotations

import pytest
import requests

from .office import add_user, csrf_of


@pytest.fixture
def central_settings(request):
    return getattr(request, "param", {})


def _failed_login_address(central) -> str:
    add_user(central, "rina", "operator")
    browser = requests.Session()
    form = browser.get(f"{central.url}/login", timeout=10)
    browser.post(f"{central.url}/login", timeout=20, headers={"X-Forwarded-For": "10.9.8.7"},
                 data={"username": "rina", "password": "salah-salah-1",
                       "csrf_token": csrf_of(form.text)})
    entry = central.query("SELECT address FROM audit_log WHERE action = 'login.failed'")
    return entry[-1]["address"]


@pytest.mark.parametrize("central_settings", [{"central_trusted_proxy": "127.0.0.1"}], indirect=True)
def test_behind_one_proxy_the_forwarded_address_is_the_clients(central):
    assert _failed_login_address(central) == "10.9.8.7"


def test_without_a_proxy_a_forwarded_header_names_no_one(central):
    assert _failed_login_address(central) == "127.0.0.1"


@pytest.mark.parametrize("central_settings", [{"central_trusted_proxy": "127.0.0.1"}], indirect=True)
def test_the_session_cookie_is_secure_when_the_proxy_says_https(central):
    """A page served over HTTPS (the proxy's X-Forwarded-Proto) sets its session
    cookie Secure, so the browser never sends it back over plain HTTP."""
    for proto, secure in (("https", True), ("http", False)):
        form = requests.get(f"{central.url}/login", timeout=10, headers={"X-Forwarded-Proto": proto})
        cookie = form.headers.get("Set-Cookie", "")
        assert "berjasa_central=" in cookie and ("; Secure" in cookie) is secure, cookie
