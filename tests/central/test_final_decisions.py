"""What a kelurahan's fix (a newer version) may change at central, and what it may
not (both backends): a verifier's rejection and a pair's "same person" stay final,
a registered worker stays registered with its KPJ; a record kept by a pair decision
cannot be rejected (the person would have no active record), also when two
verifiers decide at once; a finding on a record a pair dropped is closed with it.
docs/central.md "What a fix may change"."""

from __future__ import annotations

import json
import threading

import pytest

from berjasa.problems import KeptByPairDecision
from berjasa.synthetic import born_on
from central import verification
from central.exports import export
from central.imports import import_file
from central.recheck import recheck

from .conftest import KELURAHAN_B, flagged_pair, records
from .office import signed_in


def _db_call(central, fn, *args):
    """One service call on a connection of its own."""
    db = central.db()
    try:
        return fn(db, *args)
    finally:
        db.close()




def _status(central, record_id):
    return central.query("SELECT status, reasons, version, kpj_number FROM records"
                         " WHERE record_id = ?", (record_id,))[0]


def test_a_fix_does_not_undo_a_verifiers_rejection(central):
    """send-back, then the verifier rejects the sent-back finding: the kelurahan
    hears rejected; the fix sent meanwhile is answered rejected again and stored
    nowhere (the record stays rejected, off every file)."""
    device = central.register()
    first = {**records(1)[0], "version": 2}
    device.send([first])
    sent = _db_call(central, verification.send_back, first["nik"], "cek KTP", "vera")
    outcome = _db_call(central, verification.decide_finding, sent["finding_id"], "reject",
                       "KTP palsu", "vera")
    assert outcome["record_status"] == "rejected"
    rejected = [u for u in device.updates("0").json()["updates"] if u["kind"] == "rejected"]
    assert rejected and rejected[0]["reasons"] == ["verifikasi: KTP palsu"]

    answer = device.send([{**first, "version": 4, "full_name": "Nama Diperbaiki"}])
    assert answer[0]["result"] == "rejected" and answer[0]["reasons"] == ["verifikasi: KTP palsu"]
    held = _status(central, first["id"])
    assert (held["status"], held["version"]) == ("rejected", 2)
    assert json.loads(held["reasons"]) == ["verifikasi: KTP palsu"]
    trail = central.query("SELECT action, changes FROM audit_log WHERE action IN (?, ?)",
                          ("record.new_version", "record.new_version_refused"))
    assert [t["action"] for t in trail] == ["record.new_version_refused"]
    assert json.loads(trail[0]["changes"])["status"] == "rejected"


def test_a_fix_does_not_undo_a_pairs_same_person_decision(central):
    """B sent back, then the pair decided keep_a: B's sent-back finding closes with
    the pair decision (not open forever), and B's fix is answered duplicate again."""
    _a, b, first, second, pair = flagged_pair(central)
    sent = _db_call(central, verification.send_back, second["nik"], "cek KTP", "vera")
    _db_call(central, verification.decide_pair, pair["central_id_a"], pair["central_id_b"],
             "keep_a", "Orang yang sama", "vino")
    finding = central.query("SELECT status, decision, reason FROM findings WHERE id = ?",
                            (sent["finding_id"],))[0]
    assert (finding["status"], finding["decision"]) == ("decided", "same_person")
    assert first["id"] in finding["reason"]
    trail = central.query("SELECT changes FROM audit_log WHERE action = 'decision.pair.keep_a'")
    assert json.loads(trail[0]["changes"])["findings_closed"] == 1

    answer = b.send([{**second, "version": 9, "address": "Jl. Baru No. 1"}])
    assert answer[0]["result"] == "duplicate"
    assert answer[0]["duplicate_of"]["record_id"] == first["id"]
    assert _status(central, second["id"])["status"] == "duplicate"
    assert _status(central, first["id"])["status"] == "accepted"
    assert central.query("SELECT decision FROM duplicate_flags")[0]["decision"] == "keep_a"


def test_a_finding_on_a_record_no_longer_active_can_be_closed(central):
    """A finding left open on a record that became a duplicate (before the pair
    decision closed them): a reject closes it (it used to answer "cannot be sent
    back" and stay open for ever), the record stays as it is."""
    _a, _b, _first, second, _pair = flagged_pair(central)
    sent = _db_call(central, verification.send_back, second["nik"], "cek KTP", "vera")
    central.change("UPDATE records SET status = 'duplicate' WHERE record_id = ?", (second["id"],))
    outcome = _db_call(central, verification.decide_finding, sent["finding_id"], "reject",
                       "Sudah duplikat", "vera")
    assert outcome["record_unchanged"] is True and outcome["record_status"] == "duplicate"
    assert _status(central, second["id"])["status"] == "duplicate"
    assert central.query("SELECT count(*) AS n FROM findings WHERE status = 'open'")[0]["n"] == 0


def test_a_registered_workers_fix_stays_registered_with_its_kpj(central, tmp_path):
    """On a registration file, sent back, then the BPJS list shows its KPJ: the fix
    is not "already a participant" (its own registration); it stays registered and
    the kelurahan hears registered with the KPJ."""
    device = central.register()
    first = {**records(1)[0], "version": 2}
    device.send([first])
    central.change("UPDATE records SET registration_exported_at = '2026-01-05T00:00:00+00:00'")
    _db_call(central, verification.send_back, first["nik"], "Alamat kurang", "vera")
    path = tmp_path / "bpjs.csv"
    path.write_text(f"nik,kpj_number,program,status\n{first['nik']},25012345678,JKK+JKM,Aktif\n",
                    encoding="utf-8")
    _db_call(central, import_file, path, "bpjs-participants", central.data_dir, central.settings)
    assert _status(central, first["id"])["status"] == "registered"

    answer = device.send([{**first, "version": 4, "address": "Jl. Rajawali No. 3"}])
    assert answer[0]["result"] == "accepted"
    held = _status(central, first["id"])
    assert (held["status"], held["kpj_number"], held["version"]) == ("registered", "25012345678", 4)
    rules = {r["rule"]: r["result"] for r in json.loads(central.query(
        "SELECT eligibility FROM records")[0]["eligibility"])}
    assert rules["bpjs_membership"] == "pass"
    registered = [u for u in device.updates("0").json()["updates"] if u["kind"] == "registered"]
    assert registered[-1]["kpj_number"] == "25012345678"


def _registered_and_sent_back(central, tmp_path, device, first):
    """The tester's steps up to the fix: synced, put on a registration file, sent
    back, then the BPJS list shows it active with a KPJ."""
    device.send([first])
    # the file went to BPJS in the month the list says coverage began (an older start
    # is someone else's participation: a bpjs_before_file finding)
    central.change("UPDATE records SET registration_exported_at = '2025-10-05T00:00:00+00:00'"
                   " WHERE record_id = ?", (first["id"],))
    _db_call(central, verification.send_back, first["nik"], "NIK salah ketik", "vera")
    path = tmp_path / "bpjs.csv"
    path.write_text("nik,kpj_number,program,status,mulai_kepesertaan\n"
                    f"{first['nik']},25012345678,JKK+JKM,Aktif,2025-10\n", encoding="utf-8")
    _db_call(central, import_file, path, "bpjs-participants", central.data_dir, central.settings)
    assert _status(central, first["id"])["status"] == "registered"


def _other_serial(nik):
    return nik[:12] + ("9876" if nik[12:] != "9876" else "9875")


def _payment_niks(central):
    db = central.db()
    try:
        text = export(db, "payment-list", "csv", None, actor="operator-uji", month="2025-11",
                      draft=True).content.decode("utf-8-sig")
    finally:
        db.close()
    return text


def test_a_registered_workers_fix_of_the_nik_stays_registered_and_paid(central, tmp_path):
    """The tester's WRONG-MONEY report: a registered worker's fix changes the NIK. The
    record stays registered with its KPJ and coverage, holds the corrected NIK, stays
    on the payment list (never on neither list), and a bpjs_nik_changed finding asks
    for the NIK to be corrected at BPJS; recheck leaves it so; the kelurahan hears
    registered with the KPJ."""
    device = central.register()
    first = {**records(1)[0], "version": 2}
    _registered_and_sent_back(central, tmp_path, device, first)
    new_nik = _other_serial(first["nik"])

    answer = device.send([{**first, "version": 4, "nik": new_nik}])
    assert answer[0]["result"] == "accepted"
    held = central.query("SELECT status, nik, kpj_number, coverage_start, version FROM records")[0]
    assert held == {"status": "registered", "nik": new_nik, "kpj_number": "25012345678",
                    "coverage_start": "2025-10", "version": 4}
    open_findings = central.query("SELECT kind, evidence FROM findings WHERE status = 'open'")
    assert [f["kind"] for f in open_findings] == ["bpjs_nik_changed"]
    evidence = json.loads(open_findings[0]["evidence"])
    assert (evidence["bpjs_nik"], evidence["kpj_number"]) == (first["nik"], "25012345678")
    assert evidence["fields"][0]["record"] == new_nik
    assert verification.KIND_LABELS["bpjs_nik_changed"].startswith("NIK diperbaiki")
    registered = [u for u in device.updates("0").json()["updates"] if u["kind"] == "registered"]
    assert registered[-1]["kpj_number"] == "25012345678"
    # the verifiers' queue shows it with both NIKs and the KPJ; the dashboard counts it
    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    label = verification.KIND_LABELS["bpjs_nik_changed"]
    assert label in page and "<th scope=\"col\">BPJS</th>" in page
    assert f"<td>{new_nik}</td><td>{first['nik']}</td>" in page and "KPJ 25012345678" in page
    assert label in verifier.get(f"{central.url}/", timeout=10).text

    db = central.db()
    try:
        with db.transaction():
            recheck(db, central.settings)
    finally:
        db.close()
    assert central.query("SELECT status, nik FROM records")[0] == {"status": "registered",
                                                                   "nik": new_nik}
    assert new_nik in _payment_niks(central)
    db = central.db()
    try:
        registration = export(db, "bpjs-registration", "csv", None, actor="operator-uji")
    finally:
        db.close()
    assert new_nik not in registration.content.decode("utf-8-sig")

    # a second fix before BPJS corrected it: the finding still names the NIK BPJS knows
    device.send([{**first, "version": 6, "nik": new_nik, "address": "Jl. Baru 2"}])
    evidence = json.loads(central.query("SELECT evidence FROM findings WHERE status = 'open'"
                                        " AND kind = 'bpjs_nik_changed'")[0]["evidence"])
    assert evidence["bpjs_nik"] == first["nik"]
    finding = central.query("SELECT id FROM findings WHERE status = 'open'")[0]["id"]
    _db_call(central, verification.decide_finding, finding, "confirm", "NIK diperbaiki BPJS", "vera")
    assert new_nik in _payment_niks(central)


def test_a_registered_workers_fix_to_a_nik_held_by_another_record(central, tmp_path):
    """The corrected NIK is active in another kelurahan's record: the fix is not
    stored (the record stays registered, paid under its KPJ, with the NIK BPJS
    knows), the finding names the other record, the kelurahan hears registered."""
    device, other = central.register(), central.register(KELURAHAN_B)
    first = {**records(1)[0], "version": 2}
    _registered_and_sent_back(central, tmp_path, device, first)
    holder = born_on(records(1, KELURAHAN_B, seed=3)[0], first["birth_date"])
    holder = {**holder, "sex": first["sex"], "nik": _other_serial(first["nik"])}
    assert other.send([holder])[0]["result"] == "accepted"

    answer = device.send([{**first, "version": 4, "nik": holder["nik"]}])
    assert answer[0]["result"] == "accepted"
    held = _status(central, first["id"])
    assert (held["status"], held["kpj_number"], held["version"]) == ("registered", "25012345678", 2)
    assert central.query("SELECT nik FROM records WHERE record_id = ?",
                         (first["id"],))[0]["nik"] == first["nik"]
    assert _status(central, holder["id"])["status"] == "accepted"
    finding = central.query("SELECT kind, evidence FROM findings WHERE status = 'open'")
    assert [f["kind"] for f in finding] == ["bpjs_nik_changed"]
    assert json.loads(finding[0]["evidence"])["nik_used_by"] == {
        "kelurahan_code": KELURAHAN_B, "record_id": holder["id"]}
    updates = device.updates("0").json()["updates"]
    assert updates[-1]["kind"] == "registered" and updates[-1]["kpj_number"] == "25012345678"
    assert first["nik"] in _payment_niks(central)


def test_a_record_kept_by_a_pair_decision_cannot_be_rejected(central):
    _a, _b, first, second, pair = flagged_pair(central)
    _db_call(central, verification.decide_pair, pair["central_id_a"], pair["central_id_b"],
             "keep_a", "Orang yang sama", "vino")
    sent = _db_call(central, verification.send_back, first["nik"], "cek KTP", "vera")
    with pytest.raises(KeptByPairDecision) as refused:
        _db_call(central, verification.decide_finding, sent["finding_id"], "reject", "Palsu", "vera")
    assert refused.value.status == 409 and second["id"] in refused.value.message
    assert _status(central, first["id"])["status"] == "accepted"
    assert _status(central, second["id"])["status"] == "duplicate"
    assert central.query("SELECT status FROM findings WHERE id = ?",
                         (sent["finding_id"],))[0]["status"] == "open"


def test_rejecting_and_keeping_at_once_never_leaves_the_person_without_a_record(central):
    """One verifier rejects B while another decides keep_b: one of them wins."""
    _a, _b, _first, second, pair = flagged_pair(central)
    sent = _db_call(central, verification.send_back, second["nik"], "cek KTP", "vera")
    outcomes, barrier = [], threading.Barrier(2)

    def run(fn, *args):
        db = central.db()
        try:
            barrier.wait()
            outcomes.append(fn(db, *args))
        except (verification.NotActiveAtCentral, KeptByPairDecision) as refused:
            outcomes.append(refused.code)
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(verification.decide_finding, sent["finding_id"],
                                                  "reject", "Palsu", "vera")),
               threading.Thread(target=run, args=(verification.decide_pair, pair["central_id_a"],
                                                  pair["central_id_b"], "keep_b", "Sama", "vino"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(o, str) for o in outcomes) == 1, outcomes
    active = central.query("SELECT count(*) AS n FROM records WHERE status IN ('accepted', 'registered')")
    assert active[0]["n"] >= 1


def test_the_commands_say_why_a_decision_is_refused_or_changes_nothing(central):
    """`central decide` on the kept record: one line naming the pair decision; on a
    finding of a record a pair dropped (left open by older code): closed, saying so."""
    from .test_cli import berjasa

    _a, _b, first, second, pair = flagged_pair(central)
    data = central.data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=data)
    dropped = _db_call(central, verification.send_back, second["nik"], "cek KTP", "vera")
    berjasa("central", "decide-pair", str(pair["central_id_a"]), str(pair["central_id_b"]),
            "--decision", "keep_a", "--reason", "Orang yang sama", data_dir=data)
    kept = json.loads(berjasa("central", "send-back", first["nik"], "--reason", "cek KTP", "--json",
                              data_dir=data).stdout)
    refused = berjasa("central", "decide", str(kept["finding_id"]), "--decision", "reject",
                      "--reason", "Palsu", data_dir=data, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "kept_by_pair_decision" in refused.stderr and second["id"] in refused.stderr
    central.change("UPDATE findings SET status = 'open', decision = NULL WHERE id = ?",
            (dropped["finding_id"],))
    closed = berjasa("central", "decide", str(dropped["finding_id"]), "--decision", "confirm",
                     "--reason", "Sudah duplikat", data_dir=data)
    assert "Temuan ditutup; data sudah berstatus duplicate" in closed.stdout
