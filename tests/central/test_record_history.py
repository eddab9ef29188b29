"""One record's history at central without SQL (both backends, through the real server,
`berjasa central` and the auditor's page): the batch that brought it and its answer,
the registration file that listed it, the BPJS list import that registered it, a
verifier's send-back and an erasure; the entries that act on many records name each
one as a target (ids and codes, never a NIK or a name), and `central audit verify`
proves those targets unchanged (h2 #10)."""

from __future__ import annotations

import json

from .conftest import KELURAHAN_A, records
from .office import signed_in
from .test_cli import berjasa
from .test_trail_seal import _without_guards
from .test_verification import PASS_ALL


def _history(central, record: str) -> dict:
    done = berjasa("central", "audit", "history", "--record", record, "--by", "Andi BPKP", "--json",
                   data_dir=central.data_dir)
    return json.loads(done.stdout)


def _story(central, tmp_path):
    """Three workers from one batch: put on a registration file, then the BPJS list
    registers the first and shows the third as an active participant elsewhere."""
    sent = records(3)
    central.register(KELURAHAN_A).send(sent)
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    central.change("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))
    berjasa("central", "export", "--what", "bpjs-registration", "--output",
            str(tmp_path / "daftar.csv"), "--by", "Rina Operator", data_dir=central.data_dir)
    listed = tmp_path / "bpjs.csv"
    listed.write_text("nik;no_kpj;status;mulai_kepesertaan\n"
                      f"{sent[0]['nik']};25010000001;Aktif;2026-11\n", encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(listed), "--by", "Rina Operator",
            data_dir=central.data_dir)
    return sent


def test_one_records_history_from_batch_to_kpj(central, tmp_path):
    sent = _story(central, tmp_path)
    first = central.query("SELECT central_id, status FROM records WHERE nik = ?", (sent[0]["nik"],))[0]
    assert first["status"] == "registered"
    target = f"{KELURAHAN_A}/{sent[0]['id']}"

    found = _history(central, str(first["central_id"]))
    assert found["targets"] == [target]
    steps = [(e["action"], e["actor"], e["record_outcome"]) for e in found["entries"]]
    device = central.query("SELECT device_id FROM devices")[0]["device_id"]
    assert steps == [
        ("batch.receive", device, "accepted v1"),
        ("export.bpjs-registration", "cli:Rina Operator", "on_registration_file"),
        ("import.bpjs-participants", "cli:Rina Operator", "registered 2026-11"),
    ]
    batch = json.loads(found["entries"][0]["changes"])
    assert batch["targets"] == 3 and len(batch["targets_sha256"]) == 64
    # the same history by the kelurahan's record id, and by KELURAHAN/RECORD_ID; the
    # look itself is in the trail (decisions' reasons may name the person), naming it
    again = _history(central, sent[0]["id"])["entries"]
    assert [e["seq"] for e in again[:3]] == [e["seq"] for e in found["entries"]]
    assert (again[3]["action"], again[3]["actor"], again[3]["record_id"]) == (
        "view.record_history", "cli:Andi BPKP", target)
    assert _history(central, target)["targets"] == [target]
    # never a NIK or a name in the targets (the trail outlives an erasure)
    stored = repr(central.query("SELECT * FROM audit_targets"))
    assert all(r["nik"] not in stored and r["full_name"] not in stored for r in sent)

    # a verifier's send-back names the record itself; the second record is not on the
    # list: the import only re-read its rules
    berjasa("central", "send-back", sent[1]["nik"], "--reason", "Nama ibu kandung belum sesuai KK",
            "--by", "Vera", data_dir=central.data_dir)
    second = _history(central, f"{KELURAHAN_A}/{sent[1]['id']}")
    assert [(e["action"], e["record_outcome"]) for e in second["entries"]] == [
        ("batch.receive", "accepted v1"), ("export.bpjs-registration", "on_registration_file"),
        ("import.bpjs-participants", "eligibility"),  # its rules read the new list
        ("decision.send_back", None)]
    assert second["entries"][3]["decision_reason"] == "Nama ibu kandung belum sesuai KK"

    # the auditor's page filtered by the record: the same entries, the outcome shown
    auditor = signed_in(central, "auditor")
    page = auditor.get(f"{central.url}/audit", params={"record": str(first["central_id"])},
                       timeout=30)
    assert page.status_code == 200 and f"Riwayat data <code>{target}</code>" in page.text
    for outcome in ("accepted v1", "on_registration_file", "registered 2026-11"):
        assert f"hasil untuk data ini</span>: {outcome}" in page.text
    assert "login" not in [line for line in page.text.split("<code>") if "batch:" in line]
    exported = auditor.get(f"{central.url}/audit/export.csv", params={"record": target}, timeout=30)
    assert exported.status_code == 200
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",decision_reason,record_outcome")
    assert any(line.endswith(",registered 2026-11") for line in lines)
    nobody = auditor.get(f"{central.url}/audit", params={"record": "99999999"}, timeout=30)
    assert "yang tidak pernah ada di pusat" in nobody.text and "Tidak ada entri" in nobody.text
    assert berjasa("central", "audit", "verify", data_dir=central.data_dir).returncode == 0


def test_an_erased_records_history_stays_findable_by_its_ids(central, tmp_path):
    sent = _story(central, tmp_path)
    central_id = central.query("SELECT central_id FROM records WHERE nik = ?",
                               (sent[2]["nik"],))[0]["central_id"]
    berjasa("central", "privacy", "erase", sent[2]["nik"], "--reason", "Surat 12/XI/2026",
            "--by", "Rina Operator", data_dir=central.data_dir)
    found = _history(central, str(central_id))
    actions = [e["action"] for e in found["entries"]]
    assert actions[:2] == ["batch.receive", "export.bpjs-registration"]
    assert "privacy.erase" in actions
    assert sent[2]["nik"] not in json.dumps(found)


def test_a_changed_or_stray_target_breaks_the_trail(central, tmp_path):
    _story(central, tmp_path)
    assert berjasa("central", "audit", "verify", data_dir=central.data_dir).returncode == 0
    db = central.db()
    try:
        with db.transaction():
            _without_guards(db, "audit_targets")
        batch = db.query("SELECT seq FROM audit_log WHERE action = 'batch.receive'")[0]["seq"]
        with db.transaction():  # a record's answer rewritten
            db.run("UPDATE audit_targets SET outcome = 'rejected v1' WHERE seq = ? AND target = ("
                   "SELECT MIN(target) FROM audit_targets WHERE seq = ?)", (batch, batch))
        broken = berjasa("central", "audit", "verify", data_dir=central.data_dir, check=False)
        assert broken.returncode == 1 and f"seq={batch}" in broken.stdout + broken.stderr
        assert "daftar data sasarannya diubah" in broken.stdout + broken.stderr
        with db.transaction():
            db.run("UPDATE audit_targets SET outcome = 'accepted v1' WHERE seq = ?", (batch,))
        assert berjasa("central", "audit", "verify", data_dir=central.data_dir).returncode == 0
        device = db.query("SELECT MIN(seq) AS seq FROM audit_log WHERE action = 'device.register'")[0]
        with db.transaction():  # a target slipped under an entry that names none
            db.run("INSERT INTO audit_targets (seq, target, outcome) VALUES (?, ?, ?)",
                   (device["seq"], f"{KELURAHAN_A}/palsu", "registered 2026-11"))
        broken = berjasa("central", "audit", "verify", data_dir=central.data_dir, check=False)
        assert broken.returncode == 1 and f"seq={device['seq']}" in broken.stdout + broken.stderr
    finally:
        db.close()


def test_history_refuses_what_names_no_record(central):
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    for bad in ("", "73.71.01.1001/\u202eabc", "x" * 101):
        done = berjasa("central", "audit", "history", "--record", bad, data_dir=central.data_dir,
                       check=False)
        assert done.returncode == 2 and "--record" in done.stderr and "Traceback" not in done.stderr
    unknown = berjasa("central", "audit", "history", "--record", "12345", data_dir=central.data_dir,
                      check=False)
    assert unknown.returncode == 1 and "tidak pernah ada di pusat" in unknown.stderr
    assert json.loads(berjasa("central", "audit", "history", "--record", "12345", "--json",
                              data_dir=central.data_dir).stdout) == {"targets": [], "entries": []}
