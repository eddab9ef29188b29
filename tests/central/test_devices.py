"""api: POST /api/v1/devices/register and revocation (both backends)."""

from __future__ import annotations

import requests

from central.devices import revoke
from sync.protocol_auth import generate_private_key, public_key_text

from .conftest import KELURAHAN_A, KELURAHAN_B


def _register(central, code, kelurahan=KELURAHAN_A, key=None):
    key = key or generate_private_key()
    return requests.post(f"{central.url}/api/v1/devices/register", timeout=10, json={
        "code": code, "public_key": public_key_text(key), "kelurahan_code": kelurahan,
        "label": "Laptop kantor lurah"})


def test_register_with_a_code_gives_a_device(central):
    answer = _register(central, central.code())
    assert answer.status_code == 201
    body = answer.json()
    assert body["kelurahan_code"] == KELURAHAN_A and body["device_id"].startswith("dev-")
    rows = central.query("SELECT kelurahan_code, revoked_at FROM devices")
    assert rows == [{"kelurahan_code": KELURAHAN_A, "revoked_at": None}]


def test_code_works_once(central):
    code = central.code()
    assert _register(central, code).status_code == 201
    again = _register(central, code)
    assert again.status_code == 403
    assert again.json()["code"] == "registration_code_invalid"


def test_expired_code_is_refused(central):
    code = central.code(ttl_minutes=-1)
    answer = _register(central, code)
    assert answer.status_code == 403
    assert answer.json()["code"] == "registration_code_expired"


def test_unknown_code_is_refused(central):
    answer = _register(central, "AAAA-BBBB-CCCC")
    assert answer.status_code == 403


def test_code_for_another_kelurahan_is_refused(central):
    answer = _register(central, central.code(KELURAHAN_A), kelurahan=KELURAHAN_B)
    assert answer.status_code == 403
    assert answer.json()["code"] == "wrong_kelurahan"


def test_bad_public_key_is_422(central):
    answer = requests.post(f"{central.url}/api/v1/devices/register", timeout=10,
                           json={"code": central.code(), "public_key": "bukan-kunci", "label": "x"})
    assert answer.status_code == 422
    assert "public_key" in answer.json()["errors"]


def test_malformed_json_is_400(central):
    answer = requests.post(f"{central.url}/api/v1/devices/register", data=b"{oops", timeout=10,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "malformed_json"


def test_revoke_by_kelurahan_revokes_its_devices(central):
    first, second = central.register(KELURAHAN_A), central.register(KELURAHAN_A)
    db = central.db()
    try:
        assert sorted(revoke(db, KELURAHAN_A).devices) == sorted([first.device_id, second.device_id])
    finally:
        db.close()
    assert first.updates().status_code == 403


def test_health_answers_200(central):
    answer = requests.get(f"{central.url}/health", timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
