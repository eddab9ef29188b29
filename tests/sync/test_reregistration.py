"""A laptop registered again (after central revoked it, or to take a new key) sends
the batches central has not answered under its new device: nothing stays pending
for ever, nothing reaches central twice (docs/sync-agent.md, "Registering again")."""

from __future__ import annotations

import time

import pytest
import requests

from berjasa.database import connect
from central.devices import revoke
from central.storage.db import Database
from sync.agent import run_once
from sync.keys import DeviceError, load_device, register_device
from sync.usb import export_batches

from .conftest import A, h


def _export(folder) -> dict:
    """``sync export``: the pending batches stored and sealed for a stick."""
    conn = connect(folder / "kelurahan.db")
    try:
        return export_batches(conn, folder, 500)[1]
    finally:
        conn.close()


def _device(folder) -> dict:
    conn = connect(folder / "kelurahan.db")
    try:
        return load_device(conn, folder)[0]
    finally:
        conn.close()


def _stored_batches(folder) -> list[dict]:
    return h.kelurahan_rows(folder, "SELECT batch_id, state, headers FROM sync_batches"
                                    " ORDER BY created_at")


def _revoke(central, device_id: str) -> None:
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        assert revoke(db, device_id).devices == [device_id]
    finally:
        db.close()


def test_a_revoked_laptop_registered_again_sends_its_stored_batch_under_the_new_device(
        central, kelurahan):
    ids = h.seed_approved(kelurahan, 6, seed=61)
    old = _device(kelurahan)["device_id"]
    assert _export(kelurahan)["records"] == 6  # a batch signed by the old device is stored
    _revoke(central, old)

    started = time.monotonic()
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert not report.ok and "dicabut" in report.error, report.error
    assert time.monotonic() - started < 5  # fails fast: nothing waits for a revoked device

    central.register(kelurahan)
    new = _device(kelurahan)["device_id"]
    assert new != old
    # the old device's batch is gone, its records wait to be packed again
    assert _stored_batches(kelurahan) == []
    summary = _export(kelurahan)
    assert summary["records"] == 6 and summary["device_id"] == new
    assert all(b["headers"] and new in b["headers"] for b in _stored_batches(kelurahan))

    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok, report.error
    assert report.pending == 0 and report.records_sent == 6
    assert set(h.statuses(kelurahan).values()) == {"synced"}
    assert h.held_at_central(central, A) == {rid: ["accepted"] for rid in ids}


def test_a_batch_central_applied_under_the_old_device_is_not_doubled(central, kelurahan):
    """The answer of a batch central applied was lost; the laptop then registers
    again (a new key): central's per-record idempotency answers the repacked
    records with their earlier decision, one row each."""
    ids = h.seed_approved(kelurahan, 5, seed=62)
    _export(kelurahan)
    [stored] = h.kelurahan_rows(kelurahan, "SELECT body, headers FROM sync_batches")
    import json
    sent = requests.post(central.url + "/api/v1/batches", data=bytes(stored["body"]),
                         headers=json.loads(stored["headers"]), timeout=10)
    assert sent.status_code == 200  # applied at central; the laptop never stored the answer
    assert set(h.held_at_central(central, A)) == set(ids)

    central.register(kelurahan)  # registered again without a revocation
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok, report.error
    assert report.accepted == 5 and report.pending == 0
    assert set(h.statuses(kelurahan).values()) == {"synced"}
    assert h.held_at_central(central, A) == {rid: ["accepted"] for rid in ids}
    devices = central.query("SELECT DISTINCT device_id FROM batches")
    assert len(devices) == 2


def test_a_failed_registration_keeps_the_device_its_batches_and_no_pending_key(
        central, kelurahan):
    h.seed_approved(kelurahan, 3, seed=63)
    _export(kelurahan)
    before = (_device(kelurahan), _stored_batches(kelurahan))
    conn = connect(kelurahan / "kelurahan.db")
    try:
        with pytest.raises(DeviceError, match="ditolak pusat"):
            register_device(conn, kelurahan, central.url, "WRONG-CODE-0000",
                            h.agent_settings(kelurahan))
    finally:
        conn.close()
    assert not list(kelurahan.glob("device_key.pending*"))
    assert (_device(kelurahan), _stored_batches(kelurahan)) == before
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok and report.records_sent == 3, report.error


def test_a_run_whose_batch_is_refused_for_good_ends_at_once(central, kelurahan):
    """A fatal refusal (here a stored batch whose signature no longer matches) stops
    the run without waiting for the updates page asked beside the push, which
    central holds up to 15 s for a batch it will never store."""
    h.seed_approved(kelurahan, 2, seed=64)
    _export(kelurahan)
    conn = connect(kelurahan / "kelurahan.db")
    try:
        conn.execute("UPDATE sync_batches SET headers = replace(headers, '\"Berjasa-Signature\": \"',"
                     " '\"Berjasa-Signature\": \"AA')")
        conn.commit()
    finally:
        conn.close()
    started = time.monotonic()
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert not report.ok and "bad_signature" in report.error, report.error
    assert time.monotonic() - started < 5
