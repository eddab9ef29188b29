"""Central's side of h2's item 3: `central privacy erase NIK --reason` and `central
privacy export NIK --reason` refuse a reason that names the person (one line, nothing
recorded); a kelurahan laptop's signed erasure whose reason names the person (a
laptop from before the check) is applied, but its text is not kept in `erasures` or
central's trail: the default reason and a note are. Both backends."""

from __future__ import annotations

import json

import pytest
import requests

from sync import protocol_erasures
from tests.central.conftest import KELURAHAN_A, records
from tests.central.test_cli import berjasa
from tests.central.test_verification import _init


@pytest.mark.parametrize("command", ["erase", "export"])
def test_a_reason_naming_the_person_is_refused_before_anything_is_recorded(central, command):
    device = central.register()
    person = {**records(1, seed=23)[0], "full_name": "Kania Melani Putri"}
    assert device.send([person])[0]["result"] == "accepted"
    _init(central)
    nik = person["nik"]
    for reason, said in ((f"Permohonan Kania Melani, NIK {nik}", "NIK orang yang dihapus"),
                         (f"Surat 4/XI NIK {nik[:8]} {nik[8:]}", "NIK orang yang dihapus"),
                         ("Surat 4/XI dari sdri. MELANI", "nama orang itu")):
        done = berjasa("central", "privacy", command, nik, "--reason", reason,
                       data_dir=central.data_dir, check=False)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        [line] = done.stderr.strip().splitlines()
        assert "Alasan (--reason) memuat" in line and said in line and nik not in line, line
    assert central.query("SELECT count(*) AS n FROM audit_log WHERE action IN ('privacy.erase', 'privacy.export')"
                         )[0]["n"] == 0
    assert central.query("SELECT status FROM records WHERE record_id = ?",
                         (person["id"],))[0]["status"] == "accepted"
    done = berjasa("central", "privacy", command, nik, "--reason", "Surat 04/PDP/2026",
                   data_dir=central.data_dir)
    assert done.returncode == 0
    [entry] = central.query("SELECT reason FROM audit_log WHERE action IN ('privacy.erase', 'privacy.export')")
    assert entry["reason"] == "Surat 04/PDP/2026"


def test_a_laptops_reason_naming_the_person_is_not_kept(central):
    device = central.register()
    sent = records(3, seed=29)
    named, plain, unknown = sent[0], sent[1], "7e0c4d52-8a42-4a5e-9a55-5b1f7a0e0c11"
    assert [r["result"] for r in device.send(sent[:2])] == ["accepted"] * 2
    body, headers = protocol_erasures.encode_erasures(device.device_id, KELURAHAN_A, [
        {"record_id": named["id"], "erased_at": "2026-11-27T01:00:00Z",
         "reason": f"Permohonan {named['full_name']} NIK {named['nik']}"},
        {"record_id": plain["id"], "erased_at": "2026-11-27T01:00:00Z", "reason": "Surat 7/XI"},
        {"record_id": unknown, "erased_at": "2026-11-27T01:00:00Z",
         "reason": "Surat 8/XI KK 7371010101010001"}], device.key)
    answer = requests.post(f"{central.url}/api/v1/erasures", data=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert [r["result"] for r in answer.json()["results"]] == ["erased", "erased", "tombstoned"]
    kept = {row["record_id"]: row["reason"] for row in central.query(
        "SELECT record_id, reason FROM erasures")}
    assert kept[plain["id"]] == "Surat 7/XI"
    assert kept[named["id"]].startswith("Dihapus di kelurahan (alasan dari laptop menyebut")
    assert kept[unknown].startswith("Dihapus di kelurahan sebelum diterima pusat (alasan")
    trail = json.dumps(central.query("SELECT reason, changes FROM audit_log"))
    for text in (named["nik"], named["full_name"], "7371010101010001"):
        assert text not in trail and text not in json.dumps(kept)
