"""A record answered ``duplicate`` waits for its NIK, and gets it when the record
holding it lets go (both backends, through the batch API, the CLI, the pages and the
updates pull; h2 review #1): the holder's fix changes the NIK, a verifier rejects
it, a pair decision makes it the duplicate of another record, a list rejects it, or
``central recheck`` finds a NIK nobody holds. The earliest waiting record takes the
NIK, judged by the rules as on arrival, its kelurahan hears ``reaccepted`` (or
``rejected`` with the rule), the others wait on as its duplicates, and never are
two records active for one NIK (races included). docs/central.md "A NIK freed"."""

from __future__ import annotations

import json
import threading

import pytest

from berjasa.synthetic import same_nik

from .conftest import KELURAHAN_A, KELURAHAN_B, records
from .office import signed_in, token
from .test_cli import berjasa
from .test_registration_holds import _export_cli, _init

KELURAHAN_C = "73.71.03.1001"


def _other_serial(nik: str) -> str:
    """The NIK with another serial (the same region, birth date and sex)."""
    return nik[:12] + ("9876" if nik[12:] != "9876" else "9875")


def _held_twice(central, seed: int = 51, same_person: bool = False):
    """A holds a NIK (accepted), B sends the same NIK (another person's record, or
    with ``same_person`` A's name and KK) and is answered ``duplicate``. (laptop A,
    laptop B, A's record, B's record)."""
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    first = {**records(1, KELURAHAN_A, seed=seed)[0], "version": 2}
    second = {**same_nik(records(1, KELURAHAN_B, seed=seed + 1)[0], first), "version": 2}
    if same_person:
        second.update(full_name=first["full_name"], kk_number=first["kk_number"])
    assert a.send([first])[0]["result"] == "accepted"
    answer = b.send([second])[0]
    assert answer["result"] == "duplicate"
    assert answer["duplicate_of"]["record_id"] == first["id"]
    return a, b, first, second


def _status(central, record_id):
    return central.query("SELECT central_id, nik, status, reasons, duplicate_of_record"
                         " FROM records WHERE record_id = ?", (record_id,))[0]


def _kinds(device, record_id):
    return [u["kind"] for u in device.updates("0").json()["updates"] if u["record_id"] == record_id]


def _active(central, nik):
    return [r["record_id"] for r in central.query(
        "SELECT record_id FROM records WHERE nik = ? AND status IN ('accepted', 'registered')",
        (nik,))]


def test_a_fix_that_changes_the_nik_gives_it_to_the_record_waiting_for_it(central):
    """h2's typo: A recorded someone else under X's NIK; sent back, A fixes the NIK;
    B's record of the real X is accepted and B hears it with its next pull."""
    a, b, first, second = _held_twice(central)
    nik = first["nik"]
    data = _init(central)
    berjasa("central", "send-back", nik, "--reason", "NIK tidak cocok dengan KTP", data_dir=data)
    fixed = {**first, "version": 3, "nik": _other_serial(nik)}
    assert a.send([fixed])[0]["result"] == "accepted"

    assert _status(central, first["id"])["nik"] == fixed["nik"]
    held = _status(central, second["id"])
    assert (held["status"], held["duplicate_of_record"]) == ("accepted", None)
    assert _active(central, nik) == [second["id"]]
    updates = [u for u in b.updates("0").json()["updates"] if u["record_id"] == second["id"]]
    assert [u["kind"] for u in updates] == ["duplicate", "reaccepted"]
    assert updates[-1]["central_status"] == "accepted"
    assert updates[-1]["central_id"] == held["central_id"]
    assert isinstance(updates[-1]["eligibility"], list) and updates[-1]["eligibility"]
    trail = central.query("SELECT actor, role, record_id, changes FROM audit_log"
                          " WHERE action = 'record.rejudged'")
    assert [(t["role"], t["record_id"]) for t in trail] == [("device", f"{KELURAHAN_B}/{second['id']}")]
    assert json.loads(trail[0]["changes"])["status"] == ["duplicate", "accepted"]
    assert json.loads(trail[0]["changes"])["duplicate_of"] == f"{KELURAHAN_A}/{first['id']}"

    niks, _ = _export_cli(central)
    assert niks == {nik, fixed["nik"]}  # both people go to BPJS, each under their own NIK
    # B's record is the one holding the NIK now: a verifier acts on it
    again = json.loads(berjasa("central", "send-back", nik, "--reason", "Cek alamat", "--json",
                               data_dir=data).stdout)
    assert again["record_id"] == second["id"]


def test_a_rejection_frees_the_nik_and_the_others_wait_on_for_the_new_holder(central):
    """Three kelurahan send one NIK: A holds it, B and C wait. The verifier rejects A
    on the page: B (the earliest waiting) takes the NIK, C waits on as B's duplicate,
    and each kelurahan hears its part."""
    _a, b, first, second = _held_twice(central, seed=61)
    c = central.register(KELURAHAN_C)
    third = {**same_nik(records(1, KELURAHAN_C, seed=63)[0], first), "version": 2}
    assert c.send([third])[0]["result"] == "duplicate"
    data = _init(central)
    sent = json.loads(berjasa("central", "send-back", first["nik"], "--reason", "KTP meragukan",
                              "--json", data_dir=data).stdout)
    verifier = signed_in(central, "verifier")
    done = verifier.post(f"{central.url}/verifikasi/temuan/{sent['finding_id']}", timeout=10,
                         data={"decision": "reject", "reason": "Bukan warga, KTP palsu",
                               "csrf_token": token(verifier, central, "/verifikasi")})
    assert done.status_code == 200 and "Keputusan atas temuan disimpan" in done.text

    assert _status(central, first["id"])["status"] == "rejected"
    assert _active(central, first["nik"]) == [second["id"]]
    waiting = _status(central, third["id"])
    assert (waiting["status"], waiting["duplicate_of_record"]) == ("duplicate", second["id"])
    assert _kinds(b, second["id"])[-2:] == ["reaccepted", "duplicate_elsewhere"]
    repointed = [u for u in c.updates("0").json()["updates"] if u["record_id"] == third["id"]]
    assert repointed[-1]["kind"] == "duplicate"
    assert repointed[-1]["duplicate_of"] == {"kelurahan_code": KELURAHAN_B,
                                             "record_id": second["id"]}
    told = [u for u in b.updates("0").json()["updates"] if u["kind"] == "duplicate_elsewhere"]
    assert told and told[-1]["other"] == {"kelurahan_code": KELURAHAN_C, "record_id": third["id"]}
    entry = central.query("SELECT changes FROM audit_log WHERE action = 'decision.finding.reject'")
    assert json.loads(entry[0]["changes"])["waiting"] == 1


def test_a_pair_decision_frees_the_dropped_records_nik_and_the_newcomer_is_checked_again(central):
    """A (NIK X) and A2 (another NIK) are found the same person; B waits for X and is
    that person too: B takes X when A is dropped, and the likely-duplicate check pairs
    it with A2 at once, so it waits for a verifier instead of going to BPJS."""
    _a, b, first, second = _held_twice(central, seed=71, same_person=True)
    c = central.register(KELURAHAN_C)
    twin = {**records(1, KELURAHAN_C, seed=73)[0], "nik": _other_serial(first["nik"]),
            "birth_date": first["birth_date"], "sex": first["sex"],
            "kk_number": first["kk_number"], "full_name": first["full_name"]}
    assert c.send([twin])[0]["result"] == "accepted"
    ids = {r["record_id"]: r["central_id"] for r in central.query(
        "SELECT record_id, central_id FROM records")}
    pair = sorted((ids[first["id"]], ids[twin["id"]]))
    assert central.query("SELECT central_id_a, central_id_b FROM duplicate_flags") == [
        {"central_id_a": pair[0], "central_id_b": pair[1]}]
    data = _init(central)
    keep = "keep_a" if pair[0] == ids[twin["id"]] else "keep_b"
    berjasa("central", "decide-pair", str(pair[0]), str(pair[1]), "--decision", keep,
            "--reason", "Sama orang, NIK C yang benar", "--by", "vino", data_dir=data)

    assert _status(central, first["id"])["status"] == "duplicate"
    assert _active(central, first["nik"]) == [second["id"]]
    assert _kinds(b, second["id"])[-2:] == ["reaccepted", "possible_duplicate"]
    ids = {r["record_id"]: r["central_id"] for r in central.query(
        "SELECT record_id, central_id FROM records")}
    open_pairs = central.query("SELECT central_id_a, central_id_b FROM duplicate_flags"
                               " WHERE decided_at IS NULL")
    assert open_pairs == [{"central_id_a": ids[second["id"]], "central_id_b": ids[twin["id"]]}] \
        or open_pairs == [{"central_id_a": ids[twin["id"]], "central_id_b": ids[second["id"]]}]
    niks, _ = _export_cli(central)
    assert second["nik"] not in niks and twin["nik"] not in niks


def test_a_rule_that_rejects_the_holder_judges_the_waiting_record_too(central, tmp_path):
    """The BPJS list shows the NIK as an active participant: the holder is rejected,
    and so is the record waiting for the NIK (the same rule, as on arrival); B hears
    the rejection. A later list without the NIK gives it back to one record only."""
    _a, b, first, second = _held_twice(central, seed=81)
    data = _init(central)
    listed = tmp_path / "bpjs.csv"
    listed.write_text(f"nik,no_kpj,status\n{first['nik']},25012345678,aktif\n", encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(listed), data_dir=data)
    assert json.loads(_status(central, first["id"])["reasons"]) == ["already_bpjs_participant"]
    held = _status(central, second["id"])
    assert (held["status"], json.loads(held["reasons"])) == ("rejected", ["already_bpjs_participant"])
    rejected = [u for u in b.updates("0").json()["updates"]
                if u["record_id"] == second["id"] and u["kind"] == "rejected"]
    assert rejected and rejected[-1]["reasons"] == ["already_bpjs_participant"]

    other = records(1, KELURAHAN_A, seed=89)[0]
    listed.write_text(f"nik,no_kpj,status\n{other['nik']},25012345679,aktif\n", encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(listed), data_dir=data)
    assert _active(central, first["nik"]) == [first["id"]]  # the earliest, once
    assert _status(central, second["id"])["status"] == "rejected"


def test_recheck_gives_a_nik_nobody_holds_to_the_record_waiting_for_it(central):
    """A record an older central left waiting for a NIK its holder no longer holds
    (rejected before the re-judging existed): `central recheck` judges it."""
    _a, b, first, second = _held_twice(central, seed=91)
    central.change("UPDATE records SET status = 'rejected', reasons = ? WHERE record_id = ?",
                   (json.dumps(["verifikasi: lama"]), first["id"]))
    done = berjasa("central", "recheck", data_dir=_init(central))
    assert "1 data duplikat yang NIK-nya sudah lepas dinilai ulang (1 diterima" in done.stdout
    assert _active(central, first["nik"]) == [second["id"]]
    assert _kinds(b, second["id"])[-1] == "reaccepted"
    again = json.loads(berjasa("central", "recheck", "--json", data_dir=central.data_dir).stdout)
    assert again["waiting"] == {"judged": 0, "accepted": 0, "rejected": 0}
    entry = central.query("SELECT actor, role FROM audit_log WHERE action = 'record.rejudged'")
    assert [e["role"] for e in entry] == ["cli"]


def test_a_pair_decisions_duplicate_never_waits(central):
    """A record a verifier found to be the same person as another (another NIK) is
    final: freeing its own NIK's holder never makes it active."""
    _a, _b, first, second = _held_twice(central, seed=95)
    ids = {r["record_id"]: r["central_id"] for r in central.query(
        "SELECT record_id, central_id FROM records")}
    central.change("UPDATE records SET duplicate_of_record = ? WHERE record_id = ?",
                   ("lain", second["id"]))
    central.change("INSERT INTO duplicate_flags (central_id_a, central_id_b, match, flagged_at,"
                   " decision, reason, decided_by, decided_at) VALUES (?, ?, 'similar_name_birth_date',"
                   " 't', 'keep_a', 'sama', 'vera', 't')", (ids[first["id"]], ids[second["id"]]))
    central.change("UPDATE records SET status = 'rejected', reasons = ? WHERE record_id = ?",
                   (json.dumps(["verifikasi: lama"]), first["id"]))
    berjasa("central", "recheck", data_dir=_init(central))
    assert _status(central, second["id"])["status"] == "duplicate"
    assert _active(central, first["nik"]) == []


@pytest.mark.slow
def test_a_rejection_and_a_new_record_of_the_nik_at_once_leave_one_active(central):
    """Races: while a verifier rejects the holder (freeing the NIK), a third kelurahan
    sends a new record of the same NIK. Whichever goes first, the record that waited
    longest takes the NIK, the newcomer is its duplicate, nothing fails, and the
    unique index never sees two active records."""
    c = central.register(KELURAHAN_C)
    verifier = signed_in(central, "verifier")
    data = _init(central)
    outcomes = []
    for round_ in range(4):
        _a, _b, first, second = _held_twice(central, seed=200 + 10 * round_)
        sent = json.loads(berjasa("central", "send-back", first["nik"], "--reason", "cek",
                                  "--json", data_dir=data).stdout)
        third = {**same_nik(records(1, KELURAHAN_C, seed=205 + 10 * round_)[0], first),
                 "version": 2}
        form = {"decision": "reject", "reason": "Tidak sah",
                "csrf_token": token(verifier, central, "/verifikasi")}
        barrier = threading.Barrier(2)
        answers: dict[str, object] = {}

        def reject(finding=sent["finding_id"], form=form, barrier=barrier, answers=answers):
            barrier.wait()
            answers["page"] = verifier.post(f"{central.url}/verifikasi/temuan/{finding}",
                                            data=form, timeout=30).status_code

        def send(record=third, barrier=barrier, answers=answers):
            barrier.wait()
            answers["batch"] = c.send([record])[0]["result"]

        threads = [threading.Thread(target=reject), threading.Thread(target=send)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == {"page": 200, "batch": "duplicate"}, answers
        assert _active(central, first["nik"]) == [second["id"]]
        assert _status(central, third["id"])["duplicate_of_record"] == second["id"]
        outcomes.append(answers["batch"])
    assert outcomes == ["duplicate"] * 4
