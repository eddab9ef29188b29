"""Receipts (tanda terima): the printable page holds no full NIK, KK or address;
the status lookup answers a wrong birth date exactly like an unknown id and is
rate-limited per address."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.helpers import PASSWORD


@pytest.fixture
def settings_overrides():
    return {"receipt_lookups_per_hour": 6}


def _supervisor(base):
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/login").text).group(1)
    assert session.post(f"{base}/login", data={"username": "supervisor", "password": PASSWORD,
                                               "csrf_token": token}).status_code == 200
    return session


def test_printable_receipt_has_qr_masked_nik_and_nothing_more(api, records, live_server):
    item = records.enrollment()
    assert api("enumerator").post("/api/v1/enrollments", json=item).status_code == 201
    page = _supervisor(live_server).get(f"{live_server}/enrollments/{item['id']}/receipt")
    assert page.status_code == 200
    html = page.text
    assert item["id"] in html and "<svg" in html and "enumerator" in html
    assert f"{item['nik'][:4]} •••• •••• ••{item['nik'][-2:]}" in html
    assert item["nik"] not in html and item["kk_number"] not in html
    assert item["address"] not in html
    assert requests.get(f"{live_server}/enrollments/{item['id']}/receipt", allow_redirects=False).status_code in (302, 303, 401)
    assert api("enumerator").get(f"/enrollments/{item['id']}/receipt").status_code == 403


def test_status_lookup_gives_no_oracle_and_is_rate_limited(api, records, live_server):
    item = records.enrollment()
    assert api("enumerator").post("/api/v1/enrollments", json=item).status_code == 201
    anyone = api()
    good = anyone.post("/api/v1/receipts/status", json={"id": item["id"], "birth_date": item["birth_date"]})
    assert good.status_code == 200 and good.json()["status"] == "submitted"
    assert item["nik"] not in good.text and item["full_name"] not in good.text
    wrong_date = anyone.post("/api/v1/receipts/status", json={"id": item["id"], "birth_date": "1901-01-01"})
    unknown = anyone.post("/api/v1/receipts/status", json={"id": str(uuid.uuid4()), "birth_date": item["birth_date"]})
    assert wrong_date.status_code == unknown.status_code == 404
    assert wrong_date.json() == unknown.json()
    missing = anyone.post("/api/v1/receipts/status", json={"id": 5})
    assert missing.status_code == 422 and set(missing.json()["errors"]) == {"id", "birth_date"}
    for _ in range(3):
        anyone.post("/api/v1/receipts/status", json={"id": item["id"], "birth_date": "1901-01-01"})
    limited = anyone.post("/api/v1/receipts/status", json={"id": item["id"], "birth_date": item["birth_date"]})
    assert limited.status_code == 429 and limited.json()["code"] == "too_many_lookups"
