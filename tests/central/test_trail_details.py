"""What central's trail entries hold for an auditor (both backends, through the
commands): a pair decision names both kelurahan and the dropped record's status
before and after, a send-back the status before and after, a finding decision its
record's status, a revocation the device and its kelurahan; never a NIK or a name."""

from __future__ import annotations

import json

from berjasa.settings import write_setting
from tests.helpers import berjasa as run

from .conftest import KELURAHAN_A, KELURAHAN_B, flagged_pair, records


def _command(central, *args):
    write_setting(central.data_dir, "central_database_url", central.database_url)
    done = run("central", *args, data_dir=central.data_dir)
    assert done.returncode == 0, done.stderr
    return done


def _entry(central, action: str) -> dict:
    [row] = central.query("SELECT record_id, changes FROM audit_log WHERE action = ?", (action,))
    return {"target": row["record_id"], **json.loads(row["changes"] or "{}")}


def test_a_pair_decision_names_both_kelurahan_and_the_dropped_status(central):
    _a, _b, first, second, pair = flagged_pair(central)
    _command(central, "decide-pair", str(pair["central_id_a"]), str(pair["central_id_b"]),
             "--decision", "keep_a", "--reason", "KTP sama")
    entry = _entry(central, "decision.pair.keep_a")
    assert entry["kelurahan_code"] == [KELURAHAN_A, KELURAHAN_B]
    assert entry["kept"] == f"{KELURAHAN_A}/{first['id']}"
    assert entry["dropped"] == f"{KELURAHAN_B}/{second['id']}"
    assert entry["dropped_status"] == ["accepted", "duplicate"]
    assert entry["findings_closed"] == 0
    text = repr(entry)
    assert first["nik"] not in text and second["nik"] not in text
    assert first["full_name"] not in text and second["full_name"] not in text


def test_a_send_back_and_a_finding_decision_hold_the_status_before_and_after(central):
    device = central.register()
    sent = records(2)
    device.send(sent)
    _command(central, "send-back", sent[0]["nik"], "--reason", "Perbaiki nama", "--by", "vera")
    entry = _entry(central, "decision.send_back")
    assert entry["status"] == ["accepted", "sent_back"]
    assert entry["kelurahan_code"] == KELURAHAN_A and entry["version"] == sent[0]["version"]
    assert isinstance(entry["finding_id"], int)
    _command(central, "decide", str(entry["finding_id"]), "--decision", "reject", "--reason",
             "Bukan warga", "--by", "vera")
    decided = _entry(central, "decision.finding.reject")
    assert decided["status"] == ["accepted", "rejected"] and decided["kind"] == "sent_back"
    assert sent[0]["nik"] not in repr([entry, decided])


def test_a_revocation_names_the_device_and_its_kelurahan(central):
    device = central.register(KELURAHAN_B)
    _command(central, "device", "revoke", device.device_id)
    entry = _entry(central, "device.revoke")
    assert entry["target"] == f"device:{device.device_id}"
    assert entry["device_id"] == device.device_id and entry["kelurahan_code"] == KELURAHAN_B
    assert entry["registered_at"]
