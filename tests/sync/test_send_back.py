"""Send-back and pair decisions through the real agent (both central backends):
central's needs_fix reaches the kelurahan audited, the fixed record goes out
again and central holds the higher version; a verifier's pair decision reaches
both kelurahan as a notice the supervisor reads."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

from berjasa.database import connect
from central import verification
from central.storage.db import Database
from server import lifecycle
from server.review import central_notice_texts
from server.storage.audit import Actor
from sync.agent import run_once

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A, B = "73.71.01.1001", "73.71.02.1001"


def _central_db(central):
    return Database(central.database_url, data_dir=central.data_dir)


def test_send_back_round_trip_holds_the_higher_version(central, tmp_path):
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(folder)
    ids = h.seed_approved(folder, 2, seed=21)
    assert run_once(folder, h.agent_settings(folder), "test").ok
    nik = h.kelurahan_rows(folder, "SELECT nik FROM enrollments WHERE id = ?", (ids[0],))[0]["nik"]
    first = central.query("SELECT central_id, version FROM records WHERE record_id = ?", (ids[0],))[0]
    db = _central_db(central)
    try:
        verification.send_back(db, nik, "Alamat tidak lengkap", "verifikator1")
    finally:
        db.close()
    report = run_once(folder, h.agent_settings(folder), "test")
    assert report.ok and report.updates_applied >= 1
    row = h.kelurahan_rows(folder, "SELECT status, central_status, central_reason, version"
                                   " FROM enrollments WHERE id = ?", (ids[0],))[0]
    assert (row["status"], row["central_status"]) == ("needs_fix", "sent_back")
    assert row["central_reason"] == "Dikirim balik oleh pusat: Alamat tidak lengkap"
    trail = h.kelurahan_rows(folder, "SELECT actor, changes, reason FROM audit_log"
                                     " WHERE record_id = ? ORDER BY seq", (ids[0],))
    # the reason is kept in the trail (as the trail keeps reasons: hashed, issue 12)
    assert any('["synced", "needs_fix"]' in entry["changes"] and entry["reason"]
               for entry in trail), trail
    other = h.kelurahan_rows(folder, "SELECT status FROM enrollments WHERE id = ?", (ids[1],))[0]
    assert other["status"] == "synced"
    # the fix: edited (needs_fix -> submitted) and approved again, then pushed
    conn = connect(folder / "kelurahan.db")
    try:
        conn.execute("UPDATE enrollments SET address = 'Jl. Rajawali Lr. 3 No. 12'"
                     " WHERE id = ?", (ids[0],))
        lifecycle.transition(conn, ids[0], "submitted", Actor("petugas", "enumerator"))
        lifecycle.transition(conn, ids[0], "approved", Actor("pengawas", "supervisor"))
    finally:
        conn.close()
    report = run_once(folder, h.agent_settings(folder), "test")
    assert report.ok and report.records_sent == 1
    held = central.query("SELECT central_id, version, status, address FROM records WHERE record_id = ?",
                         (ids[0],))
    assert len(held) == 1 and held[0]["central_id"] == first["central_id"]
    assert held[0]["version"] > first["version"] and held[0]["status"] == "accepted"
    assert held[0]["address"] == "Jl. Rajawali Lr. 3 No. 12"
    row = h.kelurahan_rows(folder, "SELECT status FROM enrollments WHERE id = ?", (ids[0],))[0]
    assert row["status"] == "synced"


def _flagged_pair(central, tmp_path):
    """Kelurahan A and B with one approved record each, synced: another NIK (a
    mistyped serial), same KK and birth date, so central flags the pair. (A's
    folder, B's folder, A's record id, B's record id)."""
    a = h.make_kelurahan(tmp_path / "kel-a", A)
    b = h.make_kelurahan(tmp_path / "kel-b", B)
    central.register(a)
    central.register(b)
    first = h.seed_approved(a, 1, seed=31)[0]
    person = h.kelurahan_rows(a, "SELECT nik, kk_number, birth_date, sex FROM enrollments")[0]
    second = h.seed_approved(b, 1, seed=32, nik=person["nik"][:12] + "9876",
                             kk_number=person["kk_number"], birth_date=person["birth_date"],
                             sex=person["sex"])[0]
    assert run_once(a, h.agent_settings(a), "test").ok
    assert run_once(b, h.agent_settings(b), "test").ok
    return a, b, first, second


def _decided_pair(central, tmp_path, decision: str, reason: str):
    """Kelurahan A and B with one approved record each: another NIK (a mistyped
    serial), same KK and birth date, synced; central flagged the pair and a
    verifier decided it."""
    a, b, first, second = _flagged_pair(central, tmp_path)
    pair = central.query("SELECT central_id_a, central_id_b FROM duplicate_flags")
    assert len(pair) == 1
    db = _central_db(central)
    try:
        verification.decide_pair(db, pair[0]["central_id_a"], pair[0]["central_id_b"], decision,
                                  reason, "verifikator1")
    finally:
        db.close()
    return a, b, first, second


def test_pair_decision_reaches_both_kelurahan(central, tmp_path):
    a, b, first, second = _decided_pair(central, tmp_path, "different", "Kakak beradik, KTP berbeda")
    for folder, record_id in ((a, first), (b, second)):
        assert run_once(folder, h.agent_settings(folder), "test").ok
        conn = connect(folder / "kelurahan.db")
        try:
            texts = central_notice_texts(conn, record_id)
        finally:
            conn.close()
        assert any("orang berbeda" in t and "Kakak beradik" in t for t in texts), texts


def test_same_person_decision_rejects_the_other_record_for_what_it_is(central, tmp_path):
    """keep_a: B's record (another NIK) becomes central_rejected at B; the
    supervisor reads that a verifier found it to be the same person as A's record,
    never that its NIK is active elsewhere (the NIKs differ)."""
    from server.pages.labels import CENTRAL_STATUS_LABELS, central_reason_text

    _, b, first, second = _decided_pair(central, tmp_path, "keep_a", "KTP A benar; NIK B salah ketik")
    assert run_once(b, h.agent_settings(b), "test").ok
    conn = connect(b / "kelurahan.db")
    try:
        row = conn.execute("SELECT status, central_status, central_reason FROM enrollments"
                           " WHERE id = ?", (second,)).fetchone()
        texts = central_notice_texts(conn, second)
    finally:
        conn.close()
    assert (row[0], row[1]) == ("central_rejected", "duplicate")
    shown = central_reason_text(row[2])
    assert "NIK sudah aktif" not in shown
    assert "orang yang sama" in shown.lower() and A in shown and first in shown
    assert any("data di kelurahan" in t and "dipertahankan" in t for t in texts), texts
    # the earlier flag reads as decided, and the status names no NIK (the NIKs differ)
    flagged = [t for t in texts if "kemungkinan orang yang sama" in t]
    assert flagged and all("sudah diputuskan" in t for t in flagged), texts
    assert "NIK" not in CENTRAL_STATUS_LABELS[row[1]]


def test_a_rejection_after_a_send_back_reaches_the_record_waiting_for_its_fix(central, tmp_path):
    """send-back, pulled (needs_fix), then the verifier rejects the sent-back
    finding: the next pull moves the record to central_rejected (it used to stay
    needs_fix, and its fix was accepted at central again)."""
    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(folder)
    ids = h.seed_approved(folder, 1, seed=23)
    assert run_once(folder, h.agent_settings(folder), "test").ok
    nik = h.kelurahan_rows(folder, "SELECT nik FROM enrollments WHERE id = ?", (ids[0],))[0]["nik"]
    db = _central_db(central)
    try:
        sent = verification.send_back(db, nik, "cek KTP", "verifikator1")
    finally:
        db.close()
    assert run_once(folder, h.agent_settings(folder), "test").ok
    db = _central_db(central)
    try:
        verification.decide_finding(db, sent["finding_id"], "reject", "KTP bukan miliknya",
                                    "verifikator1")
    finally:
        db.close()
    assert run_once(folder, h.agent_settings(folder), "test").ok
    row = h.kelurahan_rows(folder, "SELECT status, central_status, central_reason FROM enrollments"
                                   " WHERE id = ?", (ids[0],))[0]
    assert (row["status"], row["central_status"]) == ("central_rejected", "rejected")
    assert "KTP bukan miliknya" in row["central_reason"]


def _fixed_while_the_pair_is_decided(central, tmp_path):
    """B's record sent back and pulled (needs_fix), fixed and approved again at B;
    meanwhile a verifier decides the pair keep_a (B's record: the same person as
    A's, another NIK). Returns (B's folder, A's record id, B's record id)."""
    _, b, first, second = _flagged_pair(central, tmp_path)
    nik = h.kelurahan_rows(b, "SELECT nik FROM enrollments WHERE id = ?", (second,))[0]["nik"]
    db = _central_db(central)
    try:
        verification.send_back(db, nik, "cek KTP", "verifikator1")
    finally:
        db.close()
    assert run_once(b, h.agent_settings(b), "test").ok
    conn = connect(b / "kelurahan.db")
    try:
        conn.execute("UPDATE enrollments SET address = 'Jl. Rajawali Lr. 3 No. 12' WHERE id = ?",
                     (second,))
        lifecycle.transition(conn, second, "submitted", Actor("petugas", "enumerator"))
        lifecycle.transition(conn, second, "approved", Actor("pengawas", "supervisor"))
    finally:
        conn.close()
    pair = central.query("SELECT central_id_a, central_id_b FROM duplicate_flags")[0]
    db = _central_db(central)
    try:
        verification.decide_pair(db, pair["central_id_a"], pair["central_id_b"], "keep_a",
                                 "NIK B salah ketik", "verifikator1")
    finally:
        db.close()
    return b, first, second


def _reason_at(folder, record_id):
    row = h.kelurahan_rows(folder, "SELECT status, central_status, central_reason FROM enrollments"
                                   " WHERE id = ?", (record_id,))[0]
    return row["status"], row["central_status"], row["central_reason"]


def test_a_refused_fix_of_a_same_person_record_reads_as_the_same_person(central, tmp_path):
    """The tester's MISLEADING report: the fix pushed after the pair decision is
    refused; its batch answer carries the pair decision's marker, so B ends with
    the same-person wording (it said "NIK sudah aktif di ..." though the NIKs differ),
    and the pull's duplicate (same_person) after it changes nothing more."""
    from server.pages.labels import central_reason_text

    b, first, second = _fixed_while_the_pair_is_decided(central, tmp_path)
    report = run_once(b, h.agent_settings(b), "test")
    assert report.ok and report.records_sent == 1
    assert central.query("SELECT status, version FROM records WHERE record_id = ?",
                         (second,))[0]["status"] == "duplicate"
    status, central_status, reason = _reason_at(b, second)
    assert (status, central_status) == ("central_rejected", "duplicate")
    assert reason == f"duplicate_person: kelurahan {A}, data {first}"
    assert "NIK sudah aktif" not in central_reason_text(reason)
    assert run_once(b, h.agent_settings(b), "test").ok
    assert _reason_at(b, second)[2] == reason


def test_same_person_wording_whatever_order_the_answer_and_the_pull_come_in(central, tmp_path):
    """An answer without the marker (a central before it, an answer stored before)
    applied first: the pull's duplicate with same_person corrects the reason, with
    history and audit; the pull first: the answer after it changes nothing. Also
    what an older agent reads: the marker sits inside duplicate_of, beside its ids."""
    from sync import outcomes, protocol

    b, first, second = _fixed_while_the_pair_is_decided(central, tmp_path)
    wording = f"duplicate_person: kelurahan {A}, data {first}"
    other = {"kelurahan_code": A, "record_id": first}
    unmarked = {"id": second, "result": "duplicate", "duplicate_of": other}
    pulled = {"seq": 99, "record_id": second, "kelurahan_code": B, "kind": "duplicate",
              "central_status": "duplicate", "same_person": True, "duplicate_of": other}
    conn = connect(b / "kelurahan.db")
    try:
        with conn:  # the pull first, then any answer: the answer changes nothing
            assert outcomes.apply_updates(conn, [pulled]) == (1, 0)
            assert outcomes.apply_batch_results(conn, [unmarked]) == 0
        assert _reason_at(b, second) == ("central_rejected", "duplicate", wording)
        with conn:  # back to approved, to play the other order
            conn.execute("UPDATE enrollments SET status = 'approved', central_status = NULL,"
                         " central_reason = NULL WHERE id = ?", (second,))
        with conn:
            assert outcomes.apply_batch_results(conn, [unmarked]) == 1
        assert _reason_at(b, second)[2].startswith("duplicate_nik:")
        with conn:
            assert outcomes.apply_updates(conn, [pulled]) == (1, 0)
        assert _reason_at(b, second) == ("central_rejected", "duplicate", wording)
        with conn:  # again: nothing more
            assert outcomes.apply_updates(conn, [pulled]) == (0, 0)
        trail = conn.execute("SELECT changes FROM audit_log WHERE record_id = ? ORDER BY seq DESC"
                             " LIMIT 1", (second,)).fetchone()[0]
        assert "central_reason" in trail
        history = conn.execute("SELECT action FROM enrollment_history WHERE enrollment_id = ?"
                               " ORDER BY rowid DESC LIMIT 1", (second,)).fetchone()[0]
        assert history == "central_reject"
    finally:
        conn.close()

    # the batch answer as encoded by central: an old agent's view of duplicate_of is
    # a dict with its two ids (and one more key it does not read); decoded, the marker
    batch = dataclasses.replace(protocol.new_batch("dev-x", B, []), records=[{"id": second}])
    body = protocol.encode_results(batch.batch_id, [{
        "result": "duplicate", "duplicate_of": {**other, "same_person": True}}])
    decoded = protocol.decode_results(body, batch)[0]
    assert decoded["same_person"] is True and decoded["duplicate_of"] == other
    assert outcomes.reason_text(decoded) == wording


def test_an_ended_participation_reaches_the_kelurahan_as_a_notice(central, tmp_path):
    """A verifier at central confirms the BPJS list's "Meninggal Dunia" for a registered
    worker: the kelurahan's record stays registered with its KPJ, and the supervisor
    reads that the contributions stop after this month, and why (docs/central.md "When
    participation ends")."""
    from berjasa import local_time
    from central.imports import import_file

    folder = h.make_kelurahan(tmp_path / "kel-a", A)
    central.register(folder)
    record_id = h.seed_approved(folder, 1, seed=41)[0]
    assert run_once(folder, h.agent_settings(folder), "test").ok
    nik = h.kelurahan_rows(folder, "SELECT nik FROM enrollments")[0]["nik"]
    db = _central_db(central)
    try:
        with db.transaction():  # put on a registration file
            db.run("UPDATE records SET registration_exported_at = '2026-01-05T00:00:00+00:00'")
        # a participant first (dead on the very first list would be "never a participant":
        # no month paid), then a later list says they died
        for name, status in (("peserta.csv", "Aktif"), ("peserta-2.csv", "Meninggal Dunia")):
            listed = tmp_path / name
            listed.write_text("nik,kpj_number,program,status\n"
                              f"{nik},25099990001,JKK+JKM,{status}\n", encoding="utf-8")
            import_file(db, listed, "bpjs-participants", central.data_dir, 5)
        [finding] = db.query("SELECT id FROM findings WHERE kind = 'bpjs_not_active'")
        verification.decide_finding(db, finding["id"], "end_coverage", "Akta kematian dari lurah",
                                    "verifikator1")
    finally:
        db.close()
    assert run_once(folder, h.agent_settings(folder), "test").ok
    row = h.kelurahan_rows(folder, "SELECT status, kpj_number FROM enrollments")[0]
    assert (row["status"], row["kpj_number"]) == ("registered", "25099990001")
    conn = connect(folder / "kelurahan.db")
    try:
        texts = central_notice_texts(conn, record_id)
    finally:
        conn.close()
    month = local_time.today().strftime("%Y-%m")
    assert any("meninggal dunia" in t and f"terakhir dibayar bulan {month}" in t
               and "Akta kematian dari lurah" in t for t in texts), texts
