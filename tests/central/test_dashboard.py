"""GET / : the central dashboard (both backends)."""

from __future__ import annotations

import requests

from .conftest import records
from .office import signed_in


def test_dashboard_shows_progress_per_kecamatan_without_scripts(central):
    central.register().send(records(3))
    page = signed_in(central, "operator").get(f"{central.url}/", timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    html = page.text
    assert "Capaian per kecamatan" in html and "Mariso" in html
    assert "<script" not in html
    assert 'value="1"' in html or 'value="0"' in html
