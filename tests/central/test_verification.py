"""Verification at central (both backends): DTSEN identity findings, send-back
(409 when not active), a fixed version replacing the held one, findings keeping
a record off the BPJS registration file, likely-duplicate decisions (two
verifiers at once: one wins) flowing back to both kelurahan."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from berjasa.problems import NotFound, ValidationFailed
from berjasa.synthetic import born_on, same_nik
from central import exports, findings, verification
from central.imports import import_file
from central.storage import findings as store

from .conftest import KELURAHAN_A, KELURAHAN_B, flagged_pair, records
from .test_cli import berjasa


def _dtsen_file(tmp_path, rows):
    path = tmp_path / "dtsen.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["nik", "no_kk", "nama", "tgl_lahir", "kode_kelurahan", "desil"])
        writer.writerows(rows)
    return path


def _import_dtsen(central, tmp_path, rows):
    db = central.db()
    try:
        return import_file(db, _dtsen_file(tmp_path, rows), "dtsen", tmp_path, 5)
    finally:
        db.close()


PASS_ALL = json.dumps([{"rule": r, "result": "pass", "reason": "memenuhi"} for r in
                       ("domicile", "occupation", "age", "council", "dtsen", "bpjs_membership")])


def _rules_pass(central):
    """Every held record passes every rule (the registration file lists only those):
    what stays off the file here is the open finding's doing."""
    db = central.db()
    try:
        with db.transaction():
            db.run("UPDATE records SET eligibility = ?", (PASS_ALL,))
    finally:
        db.close()


def _registration_niks(central):
    _rules_pass(central)
    db = central.db()
    try:
        content = exports.export(db, "bpjs-registration", "csv", None, actor="uji").content
    finally:
        db.close()
    return {row["NIK"] for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))}


def test_dtsen_name_mismatch_is_a_finding_not_a_rejection(central, tmp_path):
    device = central.register()
    sent = records(3)
    same, other, variant = sent
    _import_dtsen(central, tmp_path, [
        (other["nik"], other["kk_number"], "Abdul Kadir Tompo", other["birth_date"], KELURAHAN_A, 2),
        (variant["nik"], variant["kk_number"], variant["full_name"].upper(), variant["birth_date"],
         KELURAHAN_A, 2),
    ])
    results = device.send(sent)
    assert [r["result"] for r in results] == ["accepted"] * 3   # never a silent reject
    db = central.db()
    try:
        found = store.list_findings(db)
    finally:
        db.close()
    assert [(f["nik"], f["kind"]) for f in found] == [(other["nik"], "dtsen_mismatch")]
    evidence = found[0]["evidence"]
    assert evidence["mismatch"] == ["full_name"]
    name = next(f for f in evidence["fields"] if f["field"] == "full_name")
    assert (name["record"], name["reference"]) == (other["full_name"], "Abdul Kadir Tompo")
    # off the registration file until a verifier decides
    niks = _registration_niks(central)
    assert other["nik"] not in niks and {same["nik"], variant["nik"]} <= niks
    db = central.db()
    try:
        with pytest.raises(ValidationFailed) as empty:  # an empty form names both fields
            verification.decide_finding(db, found[0]["id"], "", "  ", "vera")
        assert empty.value.error_codes == {"decision": ["invalid_choice"],
                                           "reason": ["reason_required"]}
        assert empty.value.errors["reason"] == ["Alasan wajib diisi."]
        with pytest.raises(ValidationFailed) as no_reason:  # a good decision: the reason alone
            verification.decide_finding(db, found[0]["id"], "confirm", "", "vera")
        assert no_reason.value.error_codes == {"reason": ["reason_required"]}
        verification.decide_finding(db, found[0]["id"], "confirm", "Sesuai KTP asli", "vera")
        with pytest.raises(verification.AlreadyDecided):
            verification.decide_finding(db, found[0]["id"], "confirm", "lagi", "vera")
    finally:
        db.close()
    assert other["nik"] in _registration_niks(central)


def test_dtsen_import_checks_records_already_held(central, tmp_path):
    device = central.register()
    sent = records(2)
    device.send(sent)
    summary = _import_dtsen(central, tmp_path, [
        (sent[1]["nik"], sent[1]["kk_number"], sent[1]["full_name"], "1950-01-01", KELURAHAN_B, 1)])
    assert summary["accepted"] == 1
    found = central.query("SELECT kind, evidence FROM findings")
    assert len(found) == 1 and found[0]["kind"] == "dtsen_mismatch"
    assert json.loads(found[0]["evidence"])["mismatch"] == ["birth_date", "kelurahan_code"]


def test_send_back_reaches_the_kelurahan_and_the_fix_replaces_the_record(central):
    device = central.register()
    first = {**records(1)[0], "version": 2}
    device.send([first])
    db = central.db()
    try:
        for unreadable in ("\u200b\u200b", "\u202e", " \u2066 "):  # shows as an empty reason
            with pytest.raises(ValidationFailed):
                verification.send_back(db, first["nik"], unreadable, "vera")
        outcome = verification.send_back(db, first["nik"], "Nama tidak sama dengan KTP", "vera")
        with pytest.raises(verification.AlreadySentBack):
            verification.send_back(db, first["nik"], "lagi", "vera")
    finally:
        db.close()
    assert outcome["status"] == "sent_back" and outcome["record_id"] == first["id"]
    assert first["nik"] not in _registration_niks(central)
    entries = device.updates("0").json()["updates"]
    back = [u for u in entries if u["kind"] == "needs_fix"]
    assert back and back[0]["record_id"] == first["id"]
    assert back[0]["reason"] == "Nama tidak sama dengan KTP"

    # the same version again answers as before (a replay of the old batch content)
    again = device.send([first])
    assert again[0]["result"] == "accepted"
    # the fix: same id, higher version, new name
    fixed = {**first, "version": 4, "full_name": "Nama Sudah Diperbaiki"}
    answer = device.send([fixed])
    assert answer[0]["result"] == "accepted"
    held = central.query("SELECT central_id, version, full_name, status FROM records")
    assert len(held) == 1 and held[0]["version"] == 4
    assert held[0]["full_name"] == "Nama Sudah Diperbaiki"
    assert answer[0]["central_id"] == held[0]["central_id"]
    assert first["nik"] in _registration_niks(central)
    decided = central.query("SELECT kind, status, decision FROM findings")
    assert decided == [{"kind": "sent_back", "status": "decided", "decision": "fixed"}]
    # both moves are in central's trail: the send-back by the verifier, the fix by the device
    trail = central.query("SELECT actor, role, action, record_id, changes FROM audit_log"
                          " WHERE action IN ('decision.send_back', 'record.new_version') ORDER BY seq")
    assert [(t["actor"], t["role"], t["action"]) for t in trail] == [
        ("vera", "verifier", "decision.send_back"), (device.device_id, "device", "record.new_version")]
    assert {t["record_id"] for t in trail} == {f"{KELURAHAN_A}/{first['id']}"}
    assert json.loads(trail[1]["changes"]) == {"version": 4, "findings_fixed": 1,
                                               "findings_superseded": 0}
    # a lower version arriving late changes nothing
    late = device.send([{**first, "version": 3, "full_name": "Versi Lama"}])
    assert late[0]["result"] == "accepted"
    assert central.query("SELECT full_name FROM records")[0]["full_name"] == "Nama Sudah Diperbaiki"


def test_send_back_of_a_record_not_active_is_409(central):
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    original = records(1)[0]
    a.send([original])
    copy = same_nik(records(1, KELURAHAN_B, seed=5)[0], original)
    assert b.send([copy])[0]["result"] == "duplicate"
    db = central.db()
    try:
        # rejected at central: nothing holds the NIK actively any more
        db.run("UPDATE records SET status = 'rejected' WHERE record_id = ?", (original["id"],))
        with pytest.raises(verification.NotActiveAtCentral) as refused:
            verification.send_back(db, original["nik"], "Alasan", "vera")
        assert refused.value.status == 409
        with pytest.raises(NotFound):  # a NIK, but nobody's at central
            verification.send_back(db, "7371014101900009", "Alasan", "vera")
        with pytest.raises(ValidationFailed):  # 16 digits that are no NIK (month 99)
            verification.send_back(db, "7371019999999999", "Alasan", "vera")
        with pytest.raises(ValidationFailed):
            verification.send_back(db, original["nik"], "   ", "vera")
        with pytest.raises(ValidationFailed):
            verification.send_back(db, "12345", "Alasan", "vera")
    finally:
        db.close()


def test_send_back_command_json_and_409_exit(central, tmp_path):
    device = central.register()
    sent = records(1)
    device.send(sent)
    data = central.data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=data)
    done = berjasa("central", "send-back", sent[0]["nik"], "--reason", "Alamat <b>kurang</b>",
                   "--json", data_dir=data)
    outcome = json.loads(done.stdout)
    assert outcome["status"] == "sent_back" and outcome["reason"] == "Alamat <b>kurang</b>"
    refused = berjasa("central", "send-back", sent[0]["nik"], "--reason", "lagi", data_dir=data,
                      check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "already_sent_back" in refused.stderr
    unknown = berjasa("central", "send-back", "7371014101900009", "--reason", "x", data_dir=data,
                      check=False)
    assert unknown.returncode != 0 and "tidak ada" in unknown.stderr
    listed = json.loads(berjasa("central", "findings", "--json", data_dir=data).stdout)
    assert [f["kind"] for f in listed] == ["sent_back"]


@pytest.mark.parametrize("args", [
    ["decide", "99999999999999999999", "--decision", "confirm"],
    ["decide", "9223372036854775808", "--decision", "confirm"],
    ["decide", "0", "--decision", "confirm"],
    ["decide-pair", "9223372036854775808", "2", "--decision", "different"],
    ["decide-pair", "1", "0", "--decision", "different"],
])
def test_an_id_out_of_range_is_one_indonesian_line(central, args):
    """A number past SQLite's INTEGER / PostgreSQL's BIGINT ended in an OverflowError
    traceback from the driver; now it is a usage error naming the argument."""
    data = central.data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=data)
    refused = berjasa("central", *args, "--reason", "uji", data_dir=data, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr, refused.stderr
    assert "di luar rentang" in refused.stderr and "Overflow" not in refused.stderr
    assert [line for line in refused.stderr.splitlines() if line.startswith("Galat")] != []
    # the largest id a database holds is a normal "not found"
    if args[0] == "decide":
        missing = berjasa("central", "decide", str(2**63 - 1), "--decision", "confirm", "--reason",
                          "uji", data_dir=data, check=False)
        assert missing.returncode != 0 and "Traceback" not in missing.stderr, missing.stderr


def test_two_verifiers_deciding_one_pair_at_once_one_wins(central):
    a, b, first, second, pair = flagged_pair(central)
    outcomes, barrier = [], threading.Barrier(2)

    def decide(decision, who):
        db = central.db()
        try:
            barrier.wait()
            outcomes.append(verification.decide_pair(db, pair["central_id_a"], pair["central_id_b"],
                                                     decision, "Dicek di lapangan", who))
        except verification.AlreadyDecided:
            outcomes.append("lost")
        finally:
            db.close()

    threads = [threading.Thread(target=decide, args=("keep_a", "vera")),
               threading.Thread(target=decide, args=("different", "vino"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("lost") == 1
    won = next(o for o in outcomes if o != "lost")
    stored = central.query("SELECT decision, decided_by FROM duplicate_flags")[0]
    assert stored["decision"] == won["decision"]
    # both kelurahan hear it
    for device, record in ((a, first), (b, second)):
        kinds = [u for u in device.updates("0").json()["updates"] if u["kind"] == "duplicate_decision"]
        assert kinds and kinds[0]["record_id"] == record["id"]
        assert kinds[0]["decision"] == stored["decision"]


def _decide_pair(central, pair, decision: str, reason: str, who: str):
    """A verifier's decision on the flagged pair, on a connection of its own."""
    db = central.db()
    try:
        return verification.decide_pair(db, pair["central_id_a"], pair["central_id_b"], decision,
                                        reason, who)
    finally:
        db.close()


def test_keep_a_makes_b_a_duplicate_at_central(central):
    _a, b, first, second, pair = flagged_pair(central)
    _decide_pair(central, pair, "keep_a", "Orang yang sama, KTP sama", "vera")
    statuses = {r["record_id"]: r["status"] for r in central.query("SELECT record_id, status FROM records")}
    assert statuses == {first["id"]: "accepted", second["id"]: "duplicate"}
    dup = [u for u in b.updates("0").json()["updates"] if u["kind"] == "duplicate"]
    assert dup and dup[0]["duplicate_of"]["record_id"] == first["id"]
    listed = berjasa("central", "duplicates", "--all", "--json", data_dir=_init(central))
    assert json.loads(listed.stdout)[0]["decision"] == "keep_a"


def _init(central):
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    return central.data_dir


def test_registration_csv_export_leaves_out_open_findings(central):
    device = central.register()
    sent = records(2)
    device.send(sent)
    data = _init(central)
    berjasa("central", "send-back", sent[0]["nik"], "--reason", "Perbaiki nama", data_dir=data)
    _rules_pass(central)
    exported = berjasa("central", "export", "--format", "csv", "--what", "bpjs-registration",
                       data_dir=data)
    niks = {row["NIK"].lstrip("'") for row in csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff")))}
    assert niks == {sent[1]["nik"]}


def test_a_fix_for_a_record_central_erased_is_refused_with_the_reason(central):
    from central.privacy import erase_nik

    device = central.register()
    first = {**records(1)[0], "version": 2}
    device.send([first])
    db = central.db()
    try:
        verification.send_back(db, first["nik"], "Perbaiki nama", "vera")
        erase_nik(db, central.data_dir, first["nik"], "Permintaan warga (UU PDP)", "vera")
        # the erased record is no longer active: a send-back is 409
        with pytest.raises((verification.NotActiveAtCentral, NotFound)):
            verification.send_back(db, first["nik"], "lagi", "vera")
    finally:
        db.close()
    answer = device.send([{**first, "version": 5, "full_name": "Nama Diperbaiki"}])
    assert answer[0]["result"] == "rejected" and answer[0]["reasons"] == ["erased"]
    assert central.query("SELECT count(*) AS n FROM records WHERE status IN ('accepted', 'registered')")[0]["n"] == 0


def test_a_confirmed_mismatch_is_not_raised_again_for_the_same_evidence(central, tmp_path):
    """A verifier confirmed the identity: `central verify` and a re-import of the same
    DTSEN extract leave it decided (the record stays on the registration file); a
    DTSEN row that changes, or a new version of the record, is looked at again."""
    device = central.register()
    person = records(1)[0]
    row = (person["nik"], person["kk_number"], "Abdul Kadir Tompo", person["birth_date"],
           KELURAHAN_A, 2)
    _import_dtsen(central, tmp_path, [row])
    device.send([person])
    db = central.db()
    try:
        found = store.list_findings(db)
        assert [f["kind"] for f in found] == ["dtsen_mismatch"]
        verification.decide_finding(db, found[0]["id"], "confirm", "Nama alias, sesuai KTP", "vera")
        with db.transaction():
            assert findings.check_dtsen(db) == {"compared": 1, "raised": 0}
    finally:
        db.close()
    _import_dtsen(central, tmp_path, [row])
    assert central.query("SELECT count(*) AS n FROM findings WHERE status = 'open'")[0]["n"] == 0
    assert person["nik"] in _registration_niks(central)
    # the register changed its answer: a verifier looks again
    _import_dtsen(central, tmp_path, [(*row[:2], "Abdul Kadir Tompo Daeng Ngalle Baso", *row[3:])])
    assert central.query("SELECT count(*) AS n FROM findings WHERE status = 'open'")[0]["n"] == 1


def test_keeping_a_record_that_is_no_longer_active_is_refused(central):
    """The pair waited in the queue while A was rejected (a finding decided by
    another verifier): "same person, keep A" would leave that person with no active
    record at all. 409 not_active; B stays accepted and the pair stays open."""
    _, _, first, _, pair = flagged_pair(central)
    db = central.db()
    try:
        found = verification.send_back(db, first["nik"], "Periksa KTP", "vera")
        verification.decide_finding(db, found["finding_id"], "reject", "Bukan warga Makassar", "vera")
    finally:
        db.close()
    with pytest.raises(verification.NotActiveAtCentral):
        _decide_pair(central, pair, "keep_a", "Orang yang sama", "vino")
    statuses = {r["central_id"]: r["status"] for r in central.query("SELECT central_id, status FROM records")}
    assert statuses == {pair["central_id_a"]: "rejected", pair["central_id_b"]: "accepted"}
    assert central.query("SELECT decided_at FROM duplicate_flags")[0]["decided_at"] is None


def test_the_trail_shows_each_decision_reason_while_the_person_is_held(central):
    """A send-back's and a pair decision's reasons stay with the finding or pair (the
    text may name the person); the auditor's page and CSV show them beside the entry,
    and after an erasure say it is gone, never another person's reason under a reused
    finding id."""
    from central import trail
    from central.privacy import erase_nik

    _a, _b, first, _second, pair = flagged_pair(central)
    _decide_pair(central, pair, "keep_a", "KTP sama, orang yang sama", "vera")
    db = central.db()
    try:
        verification.send_back(db, first["nik"], "Nama ibu salah", "vera")
        entries = {e["action"]: e for e in trail.page(db, {})["entries"]}
        assert entries["decision.send_back"]["decision_reason"] == "Nama ibu salah"
        assert entries["decision.pair.keep_a"]["decision_reason"] == "KTP sama, orang yang sama"
        assert entries["decision.send_back"]["reason"] is None  # the chain holds no text
        rows = list(csv.DictReader(io.StringIO(trail.export_csv(db, {}).content.decode("utf-8-sig"))))
        [sent_back] = [r for r in rows if r["action"] == "decision.send_back"]
        assert sent_back["decision_reason"] == "Nama ibu salah"
        assert trail.verify(db)[1] is None

        erase_nik(db, central.data_dir, first["nik"], "Permintaan warga (UU PDP)", "vera")
        device = central.register(KELURAHAN_B)
        other = records(1, KELURAHAN_B, seed=91)[0]
        device.send([other])
        verification.send_back(db, other["nik"], "RT salah", "vera")  # may take the freed id
        entries = trail.page(db, {})["entries"]
        reasons = [(e["record_id"], e.get("decision_reason")) for e in entries
                   if e["action"] == "decision.send_back"]
        assert reasons == [(f"{KELURAHAN_B}/{other['id']}", "RT salah"),
                           (f"{KELURAHAN_A}/{first['id']}", trail.DECISION_REASON_GONE)]
        [pair_entry] = [e for e in entries if e["action"] == "decision.pair.keep_a"]
        assert pair_entry["decision_reason"] == trail.DECISION_REASON_GONE
    finally:
        db.close()
    html = _office_page(central, "/audit")
    assert "alasan keputusan" in html and "RT salah" in html and "Nama ibu salah" not in html


def _office_page(central, path: str) -> str:
    from .office import signed_in
    return signed_in(central, "auditor").get(f"{central.url}{path}", timeout=10).text


def test_by_names_a_cli_actor_never_a_web_user_and_refuses_control_characters(central):
    """--by wrote any text as the actor with role "verifier", as if a signed-in
    verifier had decided; now it is cli:<name>, role cli, in a safe alphabet."""
    device = central.register()
    sent = records(2)
    device.send(sent)
    data = _init(central)
    done = berjasa("central", "send-back", sent[0]["nik"], "--reason", "Perbaiki nama", "--by",
                   "Vera  Verifikator", "--json", data_dir=data)
    finding = json.loads(done.stdout)["finding_id"]
    trail = central.query("SELECT actor, role FROM audit_log WHERE action = 'decision.send_back'")
    assert trail == [{"actor": "cli:Vera Verifikator", "role": "cli"}]
    assert central.query("SELECT raised_by FROM findings WHERE id = ?",
                         (finding,))[0]["raised_by"] == "cli:Vera Verifikator"
    for bad in ("vera\u202e", "vera\x1b[31m", "<b>vera</b>", "v" * 65):
        refused = berjasa("central", "send-back", sent[1]["nik"], "--reason", "x", "--by", bad,
                          data_dir=data, check=False)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert "--by hanya boleh" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert central.query("SELECT count(*) AS n FROM findings")[0]["n"] == 1


def test_a_reason_with_an_invisible_character_is_refused_naming_it(central):
    """A verifier's reason is read at the kelurahan and in exports: a right-to-left
    override would make it read otherwise than written (docs/api.md "Free text")."""
    device = central.register()
    sent = records(1)
    device.send(sent)
    data = _init(central)
    for reason, code in (("Nama beda \u202eKTP", "U+202E"), ("\u2066Nama beda", "U+2066"),
                         ("Nama\u200bbeda", "U+200B")):
        refused = berjasa("central", "send-back", sent[0]["nik"], "--reason", reason,
                          data_dir=data, check=False)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "Alasan berisi" in refused.stderr and code in refused.stderr
    assert central.query("SELECT count(*) AS n FROM findings")[0]["n"] == 0
    done = berjasa("central", "send-back", sent[0]["nik"], "--reason",
                   "Nama beda dengan KTP \u0645\u06cc\u200c\u062e", data_dir=data)
    assert done.returncode == 0


def test_findings_and_duplicates_say_when_the_limit_cuts_the_list(central, tmp_path):
    """The tester's report: a list cut at --limit ended with the shown count as if it
    were all. stderr says "Ditampilkan N dari M" and how to see the rest; stdout
    keeps the list and the value alone on its last line (and --json a list)."""
    device, other = central.register(), central.register(KELURAHAN_B)
    sent = records(6)
    device.send(sent)
    _import_dtsen(central, tmp_path, [(r["nik"], r["kk_number"], "Nama Lain Sama Sekali",
                                       r["birth_date"], KELURAHAN_A, 2) for r in sent])
    data = _init(central)
    assert central.query("SELECT count(*) AS n FROM findings")[0]["n"] == 6
    cut = berjasa("central", "findings", "--limit", "4", data_dir=data)
    assert cut.stdout.splitlines()[-1] == "4" and len(cut.stdout.splitlines()) == 5
    assert "Ditampilkan 4 dari 6 temuan (--limit 4); pakai --limit 6 untuk melihat semua." \
        in cut.stderr
    as_json = berjasa("central", "findings", "--limit", "4", "--json", data_dir=data)
    assert len(json.loads(as_json.stdout)) == 4 and "dari 6 temuan" in as_json.stderr
    whole = berjasa("central", "findings", "--limit", "6", data_dir=data)
    assert whole.stdout.splitlines()[-1] == "6" and "Ditampilkan" not in whole.stderr

    # two flagged pairs (same KK and birth date in another kelurahan), shown one
    twins = [born_on({**r, "kk_number": mine["kk_number"]}, mine["birth_date"])
             for r, mine in zip(records(2, KELURAHAN_B, seed=3), sent[:2], strict=True)]
    other.send(twins)
    assert central.query("SELECT count(*) AS n FROM duplicate_flags")[0]["n"] == 2
    pairs = berjasa("central", "duplicates", "--limit", "1", data_dir=data)
    assert pairs.stdout.splitlines()[-1] == "1"
    assert "Ditampilkan 1 dari 2 pasangan (--limit 1); pakai --limit 2" in pairs.stderr
    assert "Ditampilkan" not in berjasa("central", "duplicates", data_dir=data).stderr
