"""api: GET /api/v1/updates (signed requests, cursor; both backends)."""

from __future__ import annotations

import time

import pytest
import requests

from berjasa.synthetic import born_on
from central import signing
from sync.protocol_auth import key_id, sign_request, verify_answer
from sync.transport import json_body

from .conftest import KELURAHAN_A, KELURAHAN_B, records


def test_updates_follow_the_cursor_in_order(central):
    device = central.register()
    sent = records(5)
    device.send(sent)
    first = device.updates("0", limit=3).json()
    assert [u["record_id"] for u in first["updates"]] == [r["id"] for r in sent[:3]]
    assert first["more"] is True
    assert all(u["kind"] == "accepted" and u["central_status"] == "accepted" for u in first["updates"])
    rest = device.updates(first["cursor"]).json()
    assert [u["record_id"] for u in rest["updates"]] == [r["id"] for r in sent[3:]]
    assert rest["more"] is False
    empty = device.updates(rest["cursor"]).json()
    assert empty == {"updates": [], "cursor": rest["cursor"], "more": False}


def test_updates_only_of_the_devices_kelurahan(central):
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    a.send(records(2, KELURAHAN_A))
    b.send(records(3, KELURAHAN_B, seed=7))
    assert {u["kelurahan_code"] for u in a.updates().json()["updates"]} == {KELURAHAN_A}
    assert len(b.updates().json()["updates"]) == 3


def test_unsigned_request_is_refused_saying_it_is_unsigned(central):
    """No signing headers: 400 ``unsigned_request``, whose words are about the
    request's signature (not a damaged batch: none was sent)."""
    answer = requests.get(f"{central.url}/api/v1/updates?since=0", timeout=5)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "unsigned_request"
    assert "tanda tangan" in body["message"] and "batch" not in body["message"].lower()


@pytest.mark.parametrize("path", ["/api/v1/updates?since=0&limit=1&foo=1",
                                  "/api/v1/hints?since=0&foo=1"])
def test_a_query_parameter_central_does_not_know_is_422_naming_it(central, path):
    """The agent sends only parameters central knows (docs/sync-protocol.md,
    "Updates cursor"): another one is refused, not ignored."""
    device = central.register()
    answer = requests.get(f"{central.url}{path}", timeout=5,
                          headers=sign_request(device.key, device.device_id, "GET", path))
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "validation_error" and list(body["errors"]) == ["foo"]
    assert body["error_codes"] == {"foo": ["unknown_field"]}


# wait_for names a batch that never comes: central answers once it has waited its
# central_updates_wait_seconds (15 s by default), here a fifth of a second
@pytest.mark.parametrize("central_settings", [{"central_updates_wait_seconds": 0.2}],
                         ids=["short_wait"])
def test_the_agents_own_query_is_answered(central):
    """Every parameter the agent sends (sync/agent.py, sync/hints_pull.py) is known."""
    device = central.register()
    for path in ("/api/v1/updates?since=0&skip=accepted&encoding=zstd&wait_for=ab-12&limit=5",
                 "/api/v1/hints?key_id=&since=0&skip=own"):
        answer = requests.get(f"{central.url}{path}", timeout=30,
                              headers=sign_request(device.key, device.device_id, "GET", path))
        assert answer.status_code == 200, (path, answer.text[:300])


def test_request_signed_by_another_key_is_401(central):
    a, b = central.register(), central.register()
    path = "/api/v1/updates?since=0"
    headers = sign_request(b.key, a.device_id, "GET", path)
    answer = requests.get(f"{central.url}{path}", headers=headers, timeout=5)
    assert answer.status_code == 401 and answer.json()["code"] == "bad_signature"


def test_signature_covers_the_query(central):
    device = central.register()
    headers = sign_request(device.key, device.device_id, "GET", "/api/v1/updates?since=0")
    answer = requests.get(f"{central.url}/api/v1/updates?since=5", headers=headers, timeout=5)
    assert answer.status_code == 401


def test_stale_timestamp_is_401(central):
    device = central.register()
    path = "/api/v1/updates?since=0"
    headers = sign_request(device.key, device.device_id, "GET", path, now=time.time() - 3600)
    answer = requests.get(f"{central.url}{path}", headers=headers, timeout=5)
    assert answer.status_code == 401 and answer.json()["code"] == "stale_request"


def test_replayed_request_is_401(central):
    device = central.register()
    path = "/api/v1/updates?since=0"
    headers = sign_request(device.key, device.device_id, "GET", path)
    assert requests.get(f"{central.url}{path}", headers=headers, timeout=5).status_code == 200
    again = requests.get(f"{central.url}{path}", headers=headers, timeout=5)
    assert again.status_code == 401 and again.json()["code"] == "replayed_request"


def test_likely_duplicate_across_kelurahan_is_flagged_to_both(central):
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    first = {**records(1, KELURAHAN_A)[0], "full_name": "Muh. Ridwan Daeng Tompo"}
    second = born_on({**records(1, KELURAHAN_B, seed=3)[0], "full_name": "MUHAMMAD RIDWAN DG. TOMPO"},
                     first["birth_date"])
    a.send([first])
    assert b.send([second])[0]["result"] == "accepted"  # flagged, not blocked
    flag_a = [u for u in a.updates().json()["updates"] if u["kind"] == "possible_duplicate"]
    flag_b = [u for u in b.updates().json()["updates"] if u["kind"] == "possible_duplicate"]
    assert flag_a[0]["other"] == {"kelurahan_code": KELURAHAN_B, "record_id": second["id"]}
    assert flag_b[0]["other"] == {"kelurahan_code": KELURAHAN_A, "record_id": first["id"]}
    assert flag_a[0]["match"] == "similar_name_birth_date"
    assert len(central.query("SELECT match FROM duplicate_flags")) == 1


def test_same_kk_and_birth_date_is_flagged(central):
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    first = records(1, KELURAHAN_A)[0]
    second = born_on({**records(1, KELURAHAN_B, seed=3)[0], "kk_number": first["kk_number"]},
                     first["birth_date"])
    a.send([first])
    b.send([second])
    assert central.query("SELECT match FROM duplicate_flags") == [{"match": "same_kk_birth_date"}]


def test_skip_with_a_byte_no_kind_has_is_not_a_server_error(central):
    """?skip= names kinds; a NUL in it (PostgreSQL text cannot hold one; found by
    the device fuzz test) matches no kind: the whole page, not a 500."""
    device = central.register()
    device.send(records(2))
    path = "/api/v1/updates?since=0&skip=%00,accepted%00"
    headers = sign_request(device.key, device.device_id, "GET", path)
    answer = requests.get(f"{central.url}{path}", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["updates"]) == 2


def test_encoding_zstd_is_the_same_page_compressed(central):
    device = central.register()
    device.send(records(30))
    plain = device.updates("0")
    path = "/api/v1/updates?since=0&encoding=zstd"
    headers = sign_request(device.key, device.device_id, "GET", path)
    packed = requests.get(f"{central.url}{path}", headers=headers, timeout=10)
    assert packed.status_code == 200
    assert packed.headers["Content-Type"] == "application/zstd"
    assert packed.content.startswith(b"\x28\xb5\x2f\xfd")  # zstd frame magic
    # central signs the compressed bytes the agent receives
    current, _ = signing.keys(central.data_dir)
    verify_answer(packed.headers, "GET", path, 200, headers["Berjasa-Signature"], packed.content,
                  {key_id(current.public_key()): current.public_key()})
    assert len(packed.content) < len(plain.content) / 3
    assert json_body(packed.content) == plain.json()
