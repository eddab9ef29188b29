"""The issue 11 story: from `berjasa demo`, a city operator signs in to central and
downloads the registration file and the payment list; the auditor then sees both
downloads in central's trail (the demo city of tests/cli/conftest.py, shared with
test_demo.py: central serves the demo's central folder again)."""

from __future__ import annotations

import io
import re

import pytest
import requests
from openpyxl import load_workbook

from berjasa.demo import CENTRAL_ROLES, PASSWORD

pytestmark = pytest.mark.slow


def _login(central: str, name: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(f"{central}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    landed = browser.post(f"{central}/login", timeout=30, data={
        "username": name, "password": PASSWORD, "csrf_token": token})
    assert landed.status_code == 200 and name in landed.text
    return browser


@pytest.mark.xdist_group("demo_city")
def test_operator_downloads_from_the_demo_and_the_auditor_sees_it(demo_city):
    central = demo_city.central
    names = dict(CENTRAL_ROLES)
    assert set(names.values()) == {"operator", "verifier", "admin", "auditor"}
    operator = _login(central, "operator-kota")
    registration = operator.get(f"{central}/unduh/bpjs-registration?format=xlsx", timeout=60)
    assert registration.status_code == 200
    load_workbook(io.BytesIO(registration.content))
    payment = operator.get(f"{central}/unduh/payment-list?format=xlsx&draft=1", timeout=60)
    assert payment.status_code == 200, payment.text[:300]
    load_workbook(io.BytesIO(payment.content))
    auditor = _login(central, "auditor-bpkp")
    trail = auditor.get(f"{central}/audit?actor=operator-kota", timeout=30).text
    assert "download.bpjs-registration" in trail and "download.payment-list" in trail
    assert registration.headers["X-Berjasa-SHA256"] in trail
    assert payment.headers["X-Berjasa-SHA256"] in trail
