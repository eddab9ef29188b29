"""Central's trail says who delivered what over the network, and when (both
backends, through the real HTTP route): one ``batch.receive`` entry per new batch,
written in the batch's own transaction (a batch whose entry cannot be written is not
stored), none for a replay; refused batches from a registered device are
``batch.refused`` entries, coalesced so a flood of refusals adds one entry an hour per
device and reason, and claimed ids central never registered one entry for all."""

from __future__ import annotations

import hashlib
import json

import psycopg
import pytest

from berjasa.synthetic import same_nik
from sync import protocol
from sync.protocol_errors import ProtocolError

from .conftest import KELURAHAN_A, KELURAHAN_B, records


def _entries(central, action: str) -> list[dict]:
    return [{**e, "details": json.loads(e["changes"] or "{}")} for e in central.query(
        "SELECT actor, role, record_id, changes FROM audit_log WHERE action = ? ORDER BY seq",
        (action,))]


def test_each_new_batch_is_one_entry_by_its_device_and_a_replay_none(central):
    other = central.register(KELURAHAN_B)
    held = records(1, KELURAHAN_B, seed=5)
    other.send(held)
    device = central.register(KELURAHAN_A)
    sent = records(4)
    sent[1] = same_nik(sent[1], held[0])  # duplicate of the other kelurahan's record
    sent[2] = {**sent[2], "consent": {**sent[2]["consent"], "given": False}}  # rejected
    batch = device.batch(sent)
    body, headers = protocol.encode_batch(batch, device.key)
    answer = device.post(batch, body=body, headers=headers)
    assert answer.status_code == 200
    [entry] = [e for e in _entries(central, "batch.receive") if e["actor"] == device.device_id]
    assert entry["role"] == "device" and entry["record_id"] == f"batch:{batch.batch_id}"
    details = entry["details"]
    assert details["device_id"] == device.device_id and details["kelurahan_code"] == KELURAHAN_A
    assert details["batch_id"] == batch.batch_id and details["records"] == 4
    assert details["answers"] == {"accepted": 2, "duplicate": 1, "rejected": 1}
    assert details["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert details["via"] == "http" and details["body_bytes"] == len(body)
    assert not any(r["nik"] in entry["changes"] or r["full_name"] in entry["changes"]
                   for r in sent)
    again = device.post(batch, body=body, headers=headers)
    assert again.status_code == 200 and again.headers["Berjasa-Replay"] == "1"
    assert len(_entries(central, "batch.receive")) == 2  # the other kelurahan's, and this one


def _refuse_trail_writes(central, backend: str) -> None:
    """A trigger that refuses the batch.receive entry (a trail that cannot be written)."""
    if backend == "sqlite":
        central.change("CREATE TRIGGER no_receipts BEFORE INSERT ON audit_log"
                       " WHEN NEW.action = 'batch.receive' BEGIN SELECT RAISE(ABORT, 'no'); END")
        return
    with psycopg.connect(central.database_url, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION no_receipts() RETURNS trigger AS $$ BEGIN"
                     " IF NEW.action = 'batch.receive' THEN RAISE EXCEPTION 'no'; END IF;"
                     " RETURN NEW; END $$ LANGUAGE plpgsql")
        conn.execute("CREATE TRIGGER no_receipts BEFORE INSERT ON audit_log"
                     " FOR EACH ROW EXECUTE FUNCTION no_receipts()")


def test_a_batch_whose_entry_cannot_be_written_is_not_stored(central, backend):
    device = central.register()
    _refuse_trail_writes(central, backend)
    answer = device.post(device.batch(records(2)))
    assert answer.status_code == 500
    assert central.query("SELECT batch_id FROM batches") == []
    assert central.query("SELECT central_id FROM records") == []


def test_refusals_of_a_registered_device_are_in_the_trail_once_an_hour(central):
    from central.devices import revoke

    device = central.register(KELURAHAN_B)
    batch = device.batch(records(2, KELURAHAN_B))
    body, headers = protocol.encode_batch(batch, device.key)
    damaged = body[:-5] + bytes([body[-5] ^ 1]) + body[-4:]
    for _ in range(3):
        assert device.post(batch, body=damaged, headers=headers).status_code == 401
    db = central.db()
    try:
        revoke(db, device.device_id)
    finally:
        db.close()
    for _ in range(5):
        assert device.post(batch, body=body, headers=headers).status_code == 403
    entries = _entries(central, "batch.refused")
    assert [e["details"]["code"] for e in entries] == ["bad_signature", "device_revoked"]
    for entry in entries:
        details = entry["details"]
        assert entry["actor"] == device.device_id and entry["record_id"] == f"device:{device.device_id}"
        assert details["kelurahan_code"] == KELURAHAN_B and details["known_device"] is True
        assert details["attempts"] == 1 and details["via"] == "http"
    assert entries[0]["details"]["body_sha256"] == hashlib.sha256(damaged).hexdigest()
    assert entries[1]["details"]["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert central.query("SELECT batch_id FROM batches") == []


def test_strangers_cannot_grow_the_trail(central):
    """Unsigned requests naming ids central never registered: one entry for all of
    them (per reason), and none for an id of another shape."""
    device = central.register()
    batch = device.batch(records(1))
    body, headers = protocol.encode_batch(batch, device.key)
    for n in range(40):
        answer = device.post(batch, body=body, headers={**headers,
                                                        "Berjasa-Device": f"dev-{n:012x}"})
        assert answer.status_code == 401
    for odd in ("dev-unknown", "<b>x</b>", "dev-" + "a" * 500):
        assert device.post(batch, body=body,
                           headers={**headers, "Berjasa-Device": odd}).status_code == 401
    [entry] = _entries(central, "batch.refused")
    assert entry["actor"] == "?" and entry["record_id"] is None
    assert entry["details"]["code"] == "unknown_device"
    assert entry["details"]["known_device"] is False and entry["details"]["attempts"] == 1


def test_the_next_hour_entry_counts_the_refusals_it_stood_for(central):
    """RefusalLog with a clock of its own: after the hour, the next refusal writes
    an entry counting every refusal since the last one (itself included)."""
    from central.receive import REFUSAL_ENTRY_SECONDS, RefusalLog, receive_signed_batch

    device = central.register()
    batch = device.batch(records(1))
    body, headers = protocol.encode_batch(batch, device.key)
    damaged = body[:-5] + bytes([body[-5] ^ 1]) + body[-4:]
    now = [1000.0]
    refusals = RefusalLog(clock=lambda: now[0])
    db = central.db()
    try:
        for step in (0, 10, 10, REFUSAL_ENTRY_SECONDS, 1):
            now[0] += step
            with pytest.raises(ProtocolError):
                receive_signed_batch(db, damaged, headers, central.settings, refusals=refusals)
    finally:
        db.close()
    assert [e["details"]["attempts"] for e in _entries(central, "batch.refused")] == [1, 3]
