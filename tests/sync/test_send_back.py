"""Send-back and pair decisions through the real agent (both central backends):
central's needs_fix reaches the kelurahan audited, the fixed record goes out
again and central holds the higher version; a verifier's pair decision reaches
both kelurahan as a notice the supervisor reads."""

from __future__ import annotations

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


def _decided_pair(central, tmp_path, decision: str, reason: str):
    """Kelurahan A and B with one approved record each: another NIK (a mistyped
    serial), same KK and birth date, synced; central flagged the pair and a
    verifier decided it."""
    a = h.make_kelurahan(tmp_path / "kel-a", A)
    b = h.make_kelurahan(tmp_path / "kel-b", B)
    central.register(a)
    central.register(b)
    first = h.seed_approved(a, 1, seed=31)[0]
    person = h.kelurahan_rows(a, "SELECT nik, kk_number, birth_date, sex FROM enrollments")[0]
    # another NIK (a mistyped serial), same KK and birth date: a likely duplicate
    second = h.seed_approved(b, 1, seed=32, nik=person["nik"][:12] + "9876",
                             kk_number=person["kk_number"], birth_date=person["birth_date"],
                             sex=person["sex"])[0]
    assert run_once(a, h.agent_settings(a), "test").ok
    assert run_once(b, h.agent_settings(b), "test").ok
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
