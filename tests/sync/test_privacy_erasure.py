"""privacy erase at the kelurahan: after erasure, checkpoint and VACUUM no file of
the data folder (database, -wal, -shm, a backup made afterwards, stored batch
bodies decompressed) holds the person's NIK, names, address or phone; the
unanswered batch holding them is rebuilt without them under a new id; answered
bodies keep only what the protocol needs; the audit chain still verifies.
Real pieces: SQLite files on disk, a real central (SQLite) behind waitress."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from berjasa.database import connect
from berjasa.problems import Problem
from berjasa.settings import load_settings
from berjasa.synthetic import EnrollmentFaker
from server import intake, privacy, review
from server.backup import create_backup, restore_backup
from server.storage import outbox
from server.storage.audit import Actor, verify_chain
from sync import storage
from sync.agent import run_once
from sync.keys import load_device
from sync.packing import build_batch
from tests.helpers import berjasa

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A = "73.71.01.1001"
ENUMERATOR = Actor("enumerator", "enumerator")
SUPERVISOR = Actor("supervisor", "supervisor")
OPERATOR = Actor("cli", "admin")


@pytest.fixture
def central(tmp_path):
    running = h.central_in_thread(f"sqlite:///{tmp_path / 'central.db'}", tmp_path / "central")
    yield running
    running.stop()


def enrol_person(folder: Path, seed: int) -> dict:
    """One person recorded, edited (name, address, phone, mother), sent back with a
    reason naming them, fixed and approved: their values are in history, audit,
    review reasons."""
    settings = load_settings(folder)
    faker = EnrollmentFaker(A, seed=seed)
    person = faker.enrollment()
    conn = connect(folder / "kelurahan.db")
    try:
        assert intake.create_enrollment(conn, person, ENUMERATOR, settings).status == 201
        edited = faker.enrollment()
        changes = {k: edited[k] for k in ("full_name", "address", "phone", "mother_name")}
        intake.edit_enrollment(conn, person["id"], changes, 1, ENUMERATOR, settings)
        review.review_enrollment(conn, person["id"], "needs_fix",
                                 f"Alamat {changes['address']} tidak cocok dengan KK "
                                 f"{person['kk_number']}", SUPERVISOR, settings, A)
        record = intake.edit_enrollment(conn, person["id"], {"notes": "sudah dicek"}, 3,
                                        ENUMERATOR, settings)
        review.review_enrollment(conn, person["id"], "approve", None, SUPERVISOR, settings, A,
                                 expected_version=record["version"])
    finally:
        conn.close()
    return {"before": person, "after": changes}


def secrets_of(person: dict) -> list[str]:
    """What must not remain readable: NIK, KK, names, address, phone (both versions)."""
    out = []
    for values in (person["before"], person["after"]):
        for field in ("nik", "kk_number", "full_name", "mother_name", "heir_name", "address"):
            if values.get(field):
                out.append(values[field])
        if values.get("phone"):
            out.append(values["phone"][1:])  # stored as +62..., typed as 08...
    return out


def test_erasure_leaves_nothing_readable_in_the_data_folder(kelurahan, central, tmp_path):
    answered = enrol_person(kelurahan, seed=11)          # reaches central (answered batch)
    h.seed_approved(kelurahan, 4, seed=12)
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    pending = enrol_person(kelurahan, seed=13)           # packed, not yet sent
    others = h.seed_approved(kelurahan, 3, seed=14)
    conn = connect(kelurahan / "kelurahan.db")
    device, key = load_device(conn, kelurahan)
    built = build_batch(conn, device, key, 100)
    assert pending["before"]["id"] in built["record_ids"]
    before = h.readable_texts(kelurahan)
    assert h.found(before, secrets_of(answered)) and h.found(before, secrets_of(pending))
    # a running server keeps its own connection open (the WAL stays on disk)
    server_conn = connect(kelurahan / "kelurahan.db")
    server_conn.execute("SELECT count(*) FROM enrollments").fetchone()

    for person in (answered, pending):
        result = privacy.erase_subject(conn, person["before"]["nik"], "Surat 12/XI/2026", OPERATOR)
        assert result["erased"] == [person["before"]["id"]] and result["compacted"]
        assert result["pseudonym"].startswith("p1:")
    # the unanswered batch is gone; its other records wait for a new batch
    assert storage.get_batch(conn, built["batch_id"]) is None
    waiting = {r["id"] for r in outbox.pending_records(conn, 100)}
    assert set(others) <= waiting and pending["before"]["id"] not in waiting
    # the answered batch keeps ids, hash and answer only
    [old] = [b for b in conn.execute("SELECT * FROM sync_batches WHERE state = 'answered'")]
    assert answered["before"]["id"] in json.loads(old["record_ids"]) and old["answer"]
    assert bytes(old["body"]) == b"" and old["content_hash"]
    assert verify_chain(conn)[1] is None
    conn.close()

    create_backup(kelurahan, kelurahan / "cadangan-setelah.bjb", "frasa-sandi-panjang")
    restored = tmp_path / "restored"
    restore_backup(kelurahan / "cadangan-setelah.bjb", restored, "frasa-sandi-panjang")
    texts = {**h.readable_texts(kelurahan), **h.readable_texts(restored)}
    assert any(name.endswith("kelurahan.db-wal") for name in texts)
    assert h.found(texts, secrets_of(answered) + secrets_of(pending)) == []
    server_conn.close()

    # the audit trail still says who changed which field when, and verifies
    verify = berjasa("audit", "verify", "--data-dir", str(kelurahan))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    rows = h.kelurahan_rows(kelurahan, "SELECT action, actor, changes FROM audit_log"
                            " WHERE record_id = ? ORDER BY seq", (pending["before"]["id"],))
    edits = [r for r in rows if r["action"] == "enrollment.edit"]
    assert edits and "full_name" in json.loads(edits[0]["changes"])
    assert rows[-1]["action"] == "privacy.erase"

    # the rebuilt batch goes out without the person; the others arrive
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok, report
    held = h.held_at_central(central, A)
    assert set(others) <= set(held) and pending["before"]["id"] not in held
    assert central.query("SELECT batch_id FROM batches WHERE batch_id = ?",
                         (built["batch_id"],)) == []


def test_erase_unknown_twice_and_bad_input(kelurahan):
    person = enrol_person(kelurahan, seed=21)
    nik = person["before"]["nik"]
    run = ["privacy", "erase"]
    folder = ["--data-dir", str(kelurahan)]
    unknown = berjasa(*run, "7371014101900001", "--reason", "x", *folder)
    assert unknown.returncode != 0 and "Tidak ada data" in unknown.stderr
    assert "Traceback" not in unknown.stderr and len(unknown.stderr.strip().splitlines()) == 1
    first = berjasa(*run, nik, "--reason", "Surat 1", "--json", *folder)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["erased"] == [person["before"]["id"]]
    again = berjasa(*run, nik, "--reason", "Surat 1", *folder)
    assert again.returncode == 0 and "sudah dihapus sebelumnya" in again.stdout
    assert re.search(r"sebelumnya \(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d WITA\)", again.stdout)
    # a NIK another kelurahan holds is simply not here
    other = EnrollmentFaker("73.71.02.1001", seed=5).enrollment()["nik"]
    elsewhere = berjasa(*run, other, "--reason", "Surat 2", *folder)
    assert elsewhere.returncode != 0 and "di kelurahan ini" in elsewhere.stderr
    assert "berjasa central privacy erase" in elsewhere.stderr  # where to ask instead
    assert len(elsewhere.stderr.strip().splitlines()) == 1
    assert h.kelurahan_rows(kelurahan, "SELECT count(*) AS n FROM enrollments")[0]["n"] == 0


def test_erase_beside_a_killed_agent_and_a_batch_in_the_making(kelurahan):
    """A killed agent's lease blocks nothing; a batch packed from rows read before the
    erasure is thrown away when it would be stored."""
    person = enrol_person(kelurahan, seed=31)
    others = h.seed_approved(kelurahan, 2, seed=32)
    conn = connect(kelurahan / "kelurahan.db")
    storage.acquire_lease(conn, "dead-host:999999:0000", 3600)  # a killed agent's lease
    rows = [dict(r) for r in outbox.pending_records(conn, 10)]
    privacy.erase_subject(conn, person["before"]["nik"], "Surat 3", OPERATOR)
    from sync.encoding import encode_rows
    from sync.packing import _store_encoded
    from sync.protocol_auth import private_key_pem
    device, key = load_device(conn, kelurahan)
    encoded = encode_rows(device["device_id"], A, rows, private_key_pem(key))
    assert person["before"]["id"] in encoded["record_ids"]
    assert _store_encoded(conn, encoded) is None
    assert storage.get_batch(conn, encoded["batch_id"]) is None
    assert {r["id"] for r in outbox.pending_records(conn, 10)} == set(others)
    conn.close()


def test_audit_prove_after_erasure(kelurahan):
    person = enrol_person(kelurahan, seed=41)
    conn = connect(kelurahan / "kelurahan.db")
    privacy.erase_subject(conn, person["before"]["nik"], "Surat 4", OPERATOR)
    conn.close()
    [edit] = h.kelurahan_rows(kelurahan, "SELECT seq FROM audit_log WHERE action = 'enrollment.edit'"
                              " AND record_id = ? ORDER BY seq LIMIT 1", (person["before"]["id"],))
    prove = ["audit", "prove", "--seq", str(edit["seq"]),
             "--data-dir", str(kelurahan)]
    new_name = person["after"]["full_name"]
    yes = berjasa(*prove, "--field", "full_name", "--value", new_name, "--json")
    assert yes.returncode == 0, yes.stdout + yes.stderr
    assert json.loads(yes.stdout)["matches"] == ["new"]
    old = berjasa(*prove, "--field", "full_name", "--value", person["before"]["full_name"])
    assert old.returncode == 0 and "nilai lama" in old.stdout
    assert " WITA)" in old.stdout  # the entry's time in Makassar time, as every message says it
    no = berjasa(*prove, "--field", "full_name", "--value", "Orang Lain")
    assert no.returncode == 1 and "TIDAK COCOK" in no.stdout


def test_central_free_text_reason_leaves_nothing_after_erasure(kelurahan, central):
    """A verifier at central sends a record back with a reason naming the person; the
    reason reaches the kelurahan's record, its history and its audit entry. After the
    erasure no file holds it: the audit chain kept only a keyed tag of it."""
    from central.storage.db import Database
    from central.verification import send_back

    person = enrol_person(kelurahan, seed=51)
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    after = person["after"]
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        send_back(db, person["before"]["nik"], f"Nama ibu bukan {after['mother_name']}, alamat"
                  f" {after['address']}, HP {after['phone']}", "verifikator")
    finally:
        db.close()
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    [row] = h.kelurahan_rows(kelurahan, "SELECT status, central_reason FROM enrollments")
    assert row["status"] == "needs_fix" and after["mother_name"] in row["central_reason"]
    # the chained form (what an admin reads) never held the reason's words
    chained = h.kelurahan_rows(kelurahan, "SELECT changes, reason FROM audit_log")
    assert after["mother_name"] not in json.dumps(chained, ensure_ascii=False)
    conn = connect(kelurahan / "kelurahan.db")
    try:
        privacy.erase_subject(conn, person["before"]["nik"], "Surat 5", OPERATOR)
        assert verify_chain(conn)[1] is None
    finally:
        conn.close()
    assert h.found(h.readable_texts(kelurahan), secrets_of(person)) == []


def test_retention_purge_of_a_record_central_holds_erases_it_there(kelurahan, central):
    """Sent back by central, edited, then rejected at the kelurahan: central still holds
    the earlier version. When retention purges the rejected record, the erasure goes
    to central with the next sync as for `privacy erase`, so central keeps nothing."""
    from central.storage.db import Database
    from central.verification import send_back

    ids = h.seed_approved(kelurahan, 2, seed=61)
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    nik = h.kelurahan_rows(kelurahan, "SELECT nik FROM enrollments WHERE id = ?", (ids[0],))[0]["nik"]
    db = Database(central.database_url, data_dir=central.data_dir)
    try:
        send_back(db, nik, "Alamat tidak lengkap", "verifikator")
    finally:
        db.close()
    assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
    settings = load_settings(kelurahan)
    conn = connect(kelurahan / "kelurahan.db")
    try:
        [row] = conn.execute("SELECT status, version FROM enrollments WHERE id = ?", (ids[0],))
        assert row["status"] == "needs_fix"
        edited = intake.edit_enrollment(conn, ids[0], {"notes": "alamat dilengkapi"},
                                        row["version"], ENUMERATOR, settings)
        review.review_enrollment(conn, ids[0], "reject", "Pindah ke luar kota", SUPERVISOR,
                                 settings, A, expected_version=edited["version"])
        conn.execute("UPDATE enrollments SET updated_at = '2020-01-01T00:00:00+00:00'"
                     " WHERE id = ?", (ids[0],))
        counts = privacy.purge(conn, settings)
        assert counts["rejected_erased"] == 1
    finally:
        conn.close()
    report = run_once(kelurahan, h.agent_settings(kelurahan), "test")
    assert report.ok and report.erasures_sent == 1, report
    [held] = central.query("SELECT status, full_name, address FROM records WHERE record_id = ?",
                           (ids[0],))
    assert (held["status"], held["full_name"], held["address"]) == ("erased", None, None)
    [trace] = h.kelurahan_rows(kelurahan, "SELECT central_result FROM privacy_erasures")
    assert trace["central_result"] == "erased"
    assert central.query("SELECT status FROM records WHERE record_id = ?", (ids[1],)) == [
        {"status": "accepted"}]


def test_a_phone_resending_an_erased_record_does_not_bring_the_person_back(kelurahan):
    """The phone's first POST was stored but its answer lost; the person is erased; the
    phone's outbox sends the same record again (alone or in a batch): 409 ``erased``,
    nothing stored. A new capture (a new id) of the same NIK, with new consent given after
    the erasure, is accepted (with the supervisor's warning); one captured before it is
    refused too (docs/privacy.md, section 4b)."""
    settings = load_settings(kelurahan)
    faker = EnrollmentFaker(A, seed=71)
    person, neighbour = faker.enrollment(), faker.enrollment()
    conn = connect(kelurahan / "kelurahan.db")
    try:
        assert intake.create_enrollment(conn, person, ENUMERATOR, settings).status == 201
        privacy.erase_subject(conn, person["nik"], "Surat 7", OPERATOR)
        with pytest.raises(Problem) as refused:
            intake.create_enrollment(conn, person, ENUMERATOR, settings)
        assert refused.value.status == 409 and refused.value.code == "erased"
        answers = intake.create_batch(conn, [person, neighbour], ENUMERATOR, settings)
        assert [(a["status"], a.get("code")) for a in answers] == [(409, "erased"), (201, None)]
        assert conn.execute("SELECT count(*) FROM enrollments WHERE nik = ?",
                            (person["nik"],)).fetchone()[0] == 0
        outbox_copy = {**person, "id": faker.enrollment()["id"]}   # captured before the erasure
        with pytest.raises(Problem) as refused:
            intake.create_enrollment(conn, outbox_copy, ENUMERATOR, settings)
        assert refused.value.code == "erased"
        later = (datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat()
        again = {**person, "id": faker.enrollment()["id"], "captured_at": later,
                 "consent": {**person["consent"], "at": later}}
        created = intake.create_enrollment(conn, again, ENUMERATOR, settings)
        assert created.status == 201
        assert [w["code"] for w in created.record["warnings"]][-1] == "nik_erased_before"
        assert verify_chain(conn)[1] is None
    finally:
        conn.close()


def test_compaction_blocked_by_a_reader_is_finished_by_the_next_agent_run(kelurahan, monkeypatch):
    """A reader holds an old snapshot while the person is erased (a long page or report,
    a sqlite3 shell left in BEGIN): the checkpoint cannot finish, so the old pages stay
    in the database file. The erasure says so, and the next agent run finishes the
    compaction; then no file holds the person."""
    from server.storage import privacy as privacy_store

    monkeypatch.setattr(privacy_store, "CHECKPOINT_WAIT_SECONDS", 0.5)
    person = enrol_person(kelurahan, seed=81)
    conn = connect(kelurahan / "kelurahan.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the person is in the database file
    server_conn = connect(kelurahan / "kelurahan.db")  # a running server's idle connection
    server_conn.execute("SELECT count(*) FROM enrollments").fetchone()
    reader = connect(kelurahan / "kelurahan.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM enrollments").fetchone()
    try:
        answer = privacy.erase_subject(conn, person["before"]["nik"], "Surat 8", OPERATOR)
        assert answer["compacted"] is False
        if os.name == "posix":  # the marker is owner-only, as every file of the folder
            assert (kelurahan / "compaction.pending").stat().st_mode & 0o777 == 0o600
        reader.rollback()
        assert h.found(h.readable_texts(kelurahan), secrets_of(person))  # not yet
        assert run_once(kelurahan, h.agent_settings(kelurahan), "test").ok
        assert h.found(h.readable_texts(kelurahan), secrets_of(person)) == []
        assert privacy_store.compaction_pending(kelurahan) is False
    finally:
        reader.close()
        server_conn.close()
        conn.close()
