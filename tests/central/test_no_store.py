"""Central's JSON answers are never cached (issue 13 item 13)."""

from __future__ import annotations

import requests

from .conftest import records


def test_central_json_answers_are_no_store(central):
    device = central.register()
    batch = device.batch(records(2))
    answers = [device.post(batch), device.updates(),
               requests.post(f"{central.url}/api/v1/devices", json={}, timeout=10)]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store", (answer.request.url,
                                                               answer.status_code)
