"""api: protocol versions at central (docs/sync-protocol.md "Versions"). A laptop one
version behind (and one of version 1) still syncs through the real HTTP API, its
answers signed in its own version; an older or newer laptop is refused with the
versions named and the fix."""

from __future__ import annotations

import base64
import dataclasses
import time

import pytest
import requests

from sync import protocol
from sync.protocol_auth import key_id, load_private_key, request_message, verify_answer
from sync.protocol_errors import ProtocolError
from sync.transport import CentralClient

from .conftest import records

PREVIOUS = protocol.PROTOCOL_VERSION - 1


def as_previous(found: list[dict]) -> list[dict]:
    """Records as a laptop one version behind sends them: without the optional
    fields newer than its version."""
    carried = protocol.RECORD_FIELDS + protocol.optional_fields(PREVIOUS)
    return [{k: v for k, v in r.items() if k in carried} for r in found]


def _central_key(central) -> dict:
    """Central's answer key as the agent pins it (key id -> public key)."""
    key = load_private_key((central.data_dir / "central_key.pem").read_bytes()).public_key()
    return {key_id(key): key}


def test_previous_version_is_current_minus_one_and_still_read():
    # central reads every version from the first one (no version was dropped yet)
    assert protocol.OLDEST_PROTOCOL_VERSION == 1 <= PREVIOUS == protocol.PROTOCOL_VERSION - 1


def test_batch_of_the_previous_version_is_ingested(central):
    device = central.register()
    batch = dataclasses.replace(device.batch(as_previous(records(4))), protocol=PREVIOUS)
    body, headers = protocol.encode_batch(batch, device.key)
    assert headers["Berjasa-Protocol"] == str(PREVIOUS)
    answer = device.post(batch, body=body, headers=headers)
    assert answer.status_code == 200, answer.text
    results = protocol.decode_results(answer.content, batch)
    assert [r["result"] for r in results] == ["accepted"] * 4
    rows = central.query("SELECT record_id, status FROM records ORDER BY record_id")
    assert sorted(r["record_id"] for r in rows) == sorted(r["id"] for r in batch.records)
    # the old agent checks central's signature in its own version
    verify_answer(answer.headers, "POST", "/api/v1/batches", 200, headers["Berjasa-Signature"],
                  answer.content, _central_key(central), version=PREVIOUS)
    with pytest.raises(ProtocolError):
        verify_answer(answer.headers, "POST", "/api/v1/batches", 200,
                      headers["Berjasa-Signature"], answer.content, _central_key(central))
    # resending it (an old stored batch after the upgrade) replays the same answer
    again = device.post(batch, body=body, headers=headers)
    assert again.status_code == 200 and again.content == answer.content


def test_signed_pull_of_the_previous_version_is_answered(central):
    device = central.register()
    path, timestamp, nonce = "/api/v1/updates?since=0", str(int(time.time())), "n" * 22
    signature = device.key.sign(request_message("GET", path, timestamp, nonce, device.device_id,
                                                PREVIOUS))
    headers = {"Berjasa-Protocol": str(PREVIOUS), "Berjasa-Device": device.device_id,
               "Berjasa-Timestamp": timestamp, "Berjasa-Nonce": nonce,
               "Berjasa-Signature": base64.urlsafe_b64encode(signature).rstrip(b"=").decode()}
    answer = requests.get(central.url + path, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    verify_answer(answer.headers, "GET", path, 200, headers["Berjasa-Signature"], answer.content,
                  _central_key(central), version=PREVIOUS)


def test_previous_version_cannot_carry_the_newer_columns(central):
    device = central.register()
    with_claim = [{**r, "kpj_claim": "25012345678"} for r in records(2)]
    batch = dataclasses.replace(device.batch(with_claim), protocol=PREVIOUS)
    with pytest.raises(ValueError, match="kpj_claim"):
        protocol.encode_batch(batch, device.key)
    current = device.batch(with_claim)
    answer = device.post(current)
    assert answer.status_code == 200, answer.text
    assert current.protocol == protocol.PROTOCOL_VERSION
    # version 1 carries no optional column at all
    with_disability = [{**r, "disability": {"has_disability": False, "kinds": []}} for r in records(1)]
    with pytest.raises(ValueError, match="disability"):
        protocol.encode_batch(dataclasses.replace(device.batch(with_disability), protocol=1),
                              device.key)


@pytest.mark.parametrize("sent, fix", [
    (protocol.OLDEST_PROTOCOL_VERSION - 1, "berjasa migrate"),
    (protocol.PROTOCOL_VERSION + 1, "berjasa central migrate"),
])
def test_too_old_or_too_new_laptop_is_told_what_to_do(central, sent, fix):
    device = central.register()
    batch = device.batch(records(1))
    body, headers = protocol.encode_batch(batch, device.key)
    answer = device.post(batch, body=body, headers={**headers, "Berjasa-Protocol": str(sent)})
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "unsupported_version"
    message = error["message"]
    assert f"versi {sent}" in message, message
    assert (f"versi {protocol.OLDEST_PROTOCOL_VERSION} sampai {protocol.PROTOCOL_VERSION}"
            in message), message
    assert f"`{fix}`" in message and "asang versi berjasa" in message, message
    assert central.query("SELECT batch_id FROM batches") == []


def test_agent_client_resends_a_batch_stored_before_the_upgrade(central):
    """The agent's own HTTP client, with central's key pinned, posts a batch of the
    previous version exactly as stored and accepts the answer (signed in that version),
    then a current one."""
    device = central.register()
    client = CentralClient(central.url, {"sync_connect_timeout_seconds": 10,
                                         "sync_read_timeout_seconds": 30,
                                         "sync_ca_bundle": ""},
                           deadline=time.monotonic() + 60, pinned=_central_key(central))
    stored = dataclasses.replace(device.batch(as_previous(records(3))), protocol=PREVIOUS)
    body, headers = protocol.encode_batch(stored, device.key)
    answer = client.post_batch(body, headers)  # CentralRefused if the signature did not verify
    assert [r["result"] for r in protocol.decode_results(answer.content, stored)] == ["accepted"] * 3
    current = device.batch(records(2, seed=7))
    body, headers = protocol.encode_batch(current, device.key)
    assert headers["Berjasa-Protocol"] == str(protocol.PROTOCOL_VERSION)
    answer = client.post_batch(body, headers)
    assert len(protocol.decode_results(answer.content, current)) == 2
    assert client.signed_by == set(_central_key(central))


def _register_as(central, headers: dict[str, str]) -> requests.Response:
    """``POST /api/v1/devices/register`` as a laptop sends it (with a new key)."""
    from sync import protocol_sealed as sealed
    from sync.protocol_auth import generate_private_key, public_key_text

    key = generate_private_key()
    answer = requests.post(f"{central.url}/api/v1/devices/register", headers=headers, timeout=10,
                           json={"code": central.code(), "public_key": public_key_text(key),
                                 "exchange_public_key": sealed.public_text(
                                     sealed.exchange_key_from_device_key(key)),
                                 "kelurahan_code": "73.71.01.1001", "label": "Laptop lama"})
    assert answer.status_code == 201, answer.text
    return answer


def _pinned_from(answer: requests.Response) -> dict:
    """The keys a laptop pins from the registration answer (sync/keys.py)."""
    from sync.protocol_auth import load_public_key

    key = load_public_key(answer.json()["central_public_key"])
    return {key_id(key): key}


def test_a_laptop_of_the_release_in_the_field_can_register(central):
    """The release in the field (protocol 2, before 2026-11-27) sends its registration
    without ``Berjasa-Protocol`` and checks the answer in version 2, as it always did
    (answering such a registration in version 1, for the protocol-1 laptops that send
    the same body, had locked every laptop in use out of registering again)."""
    answer = _register_as(central, {})
    verify_answer(answer.headers, "POST", "/api/v1/devices/register", 201, "", answer.content,
                  _pinned_from(answer), version=2)


def test_a_current_laptop_registers_in_its_own_version(central):
    answer = _register_as(central, {"Berjasa-Protocol": str(protocol.PROTOCOL_VERSION)})
    verify_answer(answer.headers, "POST", "/api/v1/devices/register", 201, "", answer.content,
                  _pinned_from(answer), version=protocol.PROTOCOL_VERSION)
