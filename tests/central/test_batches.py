"""api: POST /api/v1/batches (both backends)."""

from __future__ import annotations

import copy

from berjasa.synthetic import same_nik
from sync import protocol, protocol_body

from .conftest import KELURAHAN_A, KELURAHAN_B, records


def test_batch_accepted_and_stored(central):
    device = central.register()
    results = device.send(records(5))
    assert [r["result"] for r in results] == ["accepted"] * 5
    assert all(isinstance(r["central_id"], int) for r in results)
    rows = central.query("SELECT status, kelurahan_code FROM records")
    assert len(rows) == 5 and {r["status"] for r in rows} == {"accepted"}


def test_same_batch_again_gets_byte_identical_answer(central):
    device = central.register()
    batch = device.batch(records(4))
    first, second = device.post(batch), device.post(batch)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["Berjasa-Replay"] == "1"
    assert len(central.query("SELECT central_id FROM records")) == 4
    assert len(central.query("SELECT batch_id FROM batches")) == 1


def test_same_batch_id_with_other_content_is_409(central):
    device = central.register()
    recs = records(3)
    batch = device.batch(recs)
    assert device.post(batch).status_code == 200
    changed = copy.deepcopy(recs)
    changed[0]["full_name"] = "Nama Lain"
    other = device.batch(changed, batch_id=batch.batch_id, created_at=batch.created_at)
    answer = device.post(other)
    assert answer.status_code == 409
    assert answer.json()["code"] == "batch_conflict"


def test_bad_signature_is_401(central):
    device = central.register()
    batch = device.batch(records(2))
    body, headers = protocol.encode_batch(batch, device.key)
    damaged = body[:-5] + bytes([body[-5] ^ 1]) + body[-4:]
    answer = device.post(batch, body=damaged, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "bad_signature"
    assert central.query("SELECT batch_id FROM batches") == []


def test_unknown_device_is_401(central):
    device = central.register()
    batch = device.batch(records(1))
    body, headers = protocol.encode_batch(batch, device.key)
    answer = device.post(batch, body=body, headers={**headers, "Berjasa-Device": "dev-unknown"})
    assert answer.status_code == 401
    assert answer.json()["code"] == "unknown_device"


def test_revoked_device_is_403(central):
    from central.devices import revoke
    device = central.register()
    db = central.db()
    try:
        assert revoke(db, device.device_id).devices == [device.device_id]
    finally:
        db.close()
    answer = device.post(device.batch(records(1)))
    assert answer.status_code == 403
    assert answer.json()["code"] == "device_revoked"


def test_batch_for_another_kelurahan_is_403(central):
    device = central.register(KELURAHAN_A)
    answer = device.post(device.batch(records(2, KELURAHAN_B), kelurahan=KELURAHAN_B))
    assert answer.status_code == 403
    assert answer.json()["code"] == "wrong_kelurahan"


def test_record_of_another_kelurahan_inside_a_batch_is_rejected(central):
    device = central.register(KELURAHAN_A)
    mixed = records(1, KELURAHAN_A) + records(1, KELURAHAN_B, seed=9)
    results = device.send(mixed)
    assert results[0]["result"] == "accepted"
    assert results[1] == {"id": mixed[1]["id"], "result": "rejected", "reasons": ["kelurahan_mismatch"]}


def test_oversize_body_is_413(central):
    device = central.register()
    batch = device.batch(records(1))
    _, headers = protocol.encode_batch(batch, device.key)
    body = b"\x28\xb5\x2f\xfd" + bytes(central.settings["central_max_batch_bytes"])
    answer = device.post(batch, body=body, headers=headers)
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"


def test_too_many_records_is_413(central):
    device = central.register()
    limit = central.settings["central_max_batch_records"]
    many = records(1) * (limit + 1)
    answer = device.post(device.batch(many))
    assert answer.status_code == 413


def test_malformed_body_is_400(central):
    device = central.register()
    payload = protocol.compress(b'{"v":1,"n":2,"c":"nope"}')
    digest = bytes(32)
    message = protocol._batch_message(1, device.device_id, digest.hex(), payload)
    headers = {"Berjasa-Protocol": "1", "Berjasa-Device": device.device_id,
               "Berjasa-Content-Hash": protocol_body.b64(digest),
               "Berjasa-Signature": protocol_body.b64(device.key.sign(message))}
    answer = device.post(device.batch([]), body=payload, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["code"] == "malformed"


def test_wrong_protocol_version_is_400(central):
    device = central.register()
    batch = device.batch(records(1))
    body, headers = protocol.encode_batch(batch, device.key)
    answer = device.post(batch, body=body,
                         headers={**headers, "Berjasa-Protocol": str(protocol.PROTOCOL_VERSION + 1)})
    assert answer.status_code == 400
    assert answer.json()["code"] == "unsupported_version"


def test_gzip_body_is_accepted(central):
    device = central.register()
    batch = device.batch(records(3))
    body, headers = protocol.encode_batch(batch, device.key, compression="gzip")
    answer = device.post(batch, body=body, headers=headers)
    assert answer.status_code == 200
    assert [r["result"] for r in protocol.decode_results(answer.content, batch)] == ["accepted"] * 3


def test_duplicate_nik_from_second_kelurahan_names_the_first(central):
    first = central.register(KELURAHAN_A)
    second = central.register(KELURAHAN_B)
    original = records(1, KELURAHAN_A)[0]
    again = same_nik(records(1, KELURAHAN_B, seed=5)[0], original)
    assert first.send([original])[0]["result"] == "accepted"
    result = second.send([again])[0]
    assert result == {"id": again["id"], "result": "duplicate",
                      "duplicate_of": {"kelurahan_code": KELURAHAN_A, "record_id": original["id"]}}
    statuses = central.query("SELECT kelurahan_code, status FROM records ORDER BY central_id")
    assert [r["status"] for r in statuses] == ["accepted", "duplicate"]
    first_updates = first.updates().json()["updates"]
    assert first_updates[-1]["kind"] == "duplicate_elsewhere"
    assert first_updates[-1]["other"] == {"kelurahan_code": KELURAHAN_B, "record_id": again["id"]}
    second_updates = second.updates().json()["updates"]
    assert second_updates[-1]["kind"] == "duplicate"
    assert second_updates[-1]["duplicate_of"]["record_id"] == original["id"]


def test_duplicate_nik_inside_one_batch(central):
    device = central.register()
    a, b = records(2)
    b = same_nik(b, a)
    results = device.send([a, b])
    assert [r["result"] for r in results] == ["accepted", "duplicate"]
    assert results[1]["duplicate_of"] == {"kelurahan_code": KELURAHAN_A, "record_id": a["id"]}


def test_record_resent_in_another_batch_gets_its_first_answer(central):
    device = central.register()
    recs = records(3)
    first = device.send(recs)
    again = device.send(recs[1:])
    assert again == first[1:]
    assert len(central.query("SELECT central_id FROM records")) == 3


def test_active_nik_is_unique_in_the_database(central):
    import pytest

    from central.storage.db import integrity_errors
    device = central.register()
    device.send(records(1))
    db = central.db()
    try:
        with pytest.raises(integrity_errors()), db.transaction():
            db.run("INSERT INTO records (kelurahan_code, record_id, batch_id, nik, name_key, status,"
                   " content_hash, received_at, updated_at) SELECT ?, 'x', batch_id, nik, name_key,"
                   " 'accepted', content_hash, received_at, updated_at FROM records", (KELURAHAN_B,))
    finally:
        db.close()
