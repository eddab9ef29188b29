"""A kelurahan laptop restored from an older backup (docs/sync-agent.md, "A laptop
restored from an older backup"; issue h2-2), with the real commands (`berjasa
backup`, `restore`, `sync run --once`, `sync status`, `sync recover`, `privacy
erase`, `central send-back`) against a real central on both backends:

- the records made after the backup are gone from the laptop and central holds
  them: the next `sync run` says "pusat memegang N data yang tidak ada di laptop
  ini", and so does `sync status`; a later send-back about one of them is kept, not
  dropped;
- the person recorded again meanwhile is refused by central as a duplicate of the
  lost record;
- `sync recover --check` counts, `sync recover` puts every lost record back with
  central's status (the sent-back one to be fixed), rejects the copy recorded again,
  erases a record the backup brought back but central had erased, audits each, and
  central's trail holds each page handed out;
- the fix of the recovered record then reaches central: nothing waits forever.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from berjasa.database import connect
from server import lifecycle
from server.storage.audit import Actor
from tests.helpers import berjasa

_spec = importlib.util.spec_from_file_location(
    "sync_harness", Path(__file__).resolve().parents[1] / "reliability" / "harness.py")
h = sys.modules.setdefault("sync_harness", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(h)

A = "73.71.01.1001"
PASSPHRASE = "frasa-sandi-cadangan-panjang\n"


def _run(folder: Path) -> str:
    done = berjasa("sync", "run", "--once", "--data-dir", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _row(folder: Path, record_id: str) -> dict | None:
    rows = h.kelurahan_rows(folder, "SELECT * FROM enrollments WHERE id = ?", (record_id,))
    return rows[0] if rows else None


def test_a_restored_laptop_notices_and_takes_back_what_central_holds(central, kelurahan, tmp_path):
    folder = kelurahan
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir,
            check=True)
    before = h.seed_approved(folder, 2, seed=51)
    _run(folder)
    backup = tmp_path / "lama.bjb"
    berjasa("backup", str(backup), "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE, check=True)

    lost = h.seed_approved(folder, 5, seed=52)
    assert "0 masih menunggu" in _run(folder)
    assert {r["status"] for r in central.query(
        "SELECT status FROM records WHERE kelurahan_code = ?", (A,))} == {"accepted"}
    sent_back = _row(folder, lost[0])
    # a person of the backup erased here after it (central erases it with the sync)
    erased_nik = _row(folder, before[1])["nik"]
    berjasa("privacy", "erase", erased_nik, "--reason", "Surat 9/PDP/2026", "--data-dir",
            str(folder), check=True)
    _run(folder)

    restored = berjasa("restore", str(backup), "--force", "--passphrase-stdin", "--data-dir",
                       str(folder), stdin=PASSPHRASE)
    assert restored.returncode == 0, restored.stderr
    assert "berjasa sync recover" in restored.stdout
    assert all(_row(folder, record_id) is None for record_id in lost)
    assert _row(folder, before[1]) is not None            # the backup brought them back

    # central's verifier sends a lost record back: the laptop is told, not silent
    berjasa("central", "send-back", sent_back["nik"], "--reason", "Alamat kurang lengkap",
            data_dir=central.data_dir, check=True)
    said = _run(folder)
    assert "pusat memegang 5 data yang tidak ada di laptop ini" in said, said
    assert "laptop dipulihkan dari cadangan lama?" in said and "berjasa sync recover" in said
    status = json.loads(berjasa("sync", "status", "--json", "--data-dir", str(folder),
                                check=True).stdout)
    assert status["central_only"]["records"] == 5
    assert status["central_only"]["statuses"].get("sent_back") == 1
    assert status["restored_from_backup"]["backup_created_at"]
    assert "pusat memegang 5 data" in berjasa("sync", "status", "--data-dir", str(folder)).stdout

    # the person of the sent-back record, recorded again: central refuses the copy
    [copy] = h.seed_approved(folder, 1, seed=53, **{k: sent_back[k] for k in (
        "nik", "full_name", "birth_date", "sex", "kk_number")})
    _run(folder)
    assert _row(folder, copy)["status"] == "central_rejected"
    assert lost[0] in _row(folder, copy)["central_reason"]

    check = berjasa("sync", "recover", "--check", "--json", "--data-dir", str(folder))
    assert check.returncode == 0, check.stderr
    counted = json.loads(check.stdout)
    assert (counted["held_at_central"], counted["missing_here"]) == (7, 5)
    assert counted["erased_here_from_central"] == [before[1]]
    assert _row(folder, lost[1]) is None and _row(folder, before[1]) is not None  # changed nothing

    done = berjasa("sync", "recover", "--data-dir", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Dipulihkan dari pusat: 5 data" in done.stdout, done.stdout
    assert copy in done.stdout and "Dihapus di sini karena sudah dihapus di pusat: 1" in done.stdout
    back = _row(folder, lost[0])
    assert (back["status"], back["central_status"]) == ("needs_fix", "sent_back")
    assert back["central_reason"] == "Dikirim balik oleh pusat: Alamat kurang lengkap"
    assert back["nik"] == sent_back["nik"] and back["full_name"] == sent_back["full_name"]
    assert back["version"] == sent_back["version"]
    assert [_row(folder, r)["status"] for r in lost[1:]] == ["synced"] * 4
    assert _row(folder, copy)["status"] == "rejected"
    assert _row(folder, before[1]) is None
    assert not h.kelurahan_rows(folder, "SELECT nik FROM enrollments WHERE nik = ?", (erased_nik,))
    trail = h.kelurahan_rows(folder, "SELECT record_id FROM audit_log WHERE action ="
                             " 'enrollment.recover'")
    assert sorted(r["record_id"] for r in trail) == sorted(lost)
    assert berjasa("audit", "verify", "--data-dir", str(folder)).returncode == 0
    status = json.loads(berjasa("sync", "status", "--json", "--data-dir", str(folder)).stdout)
    assert status["central_only"]["records"] == 0 and status["restored_from_backup"] is None
    pulled = central.query("SELECT actor, changes FROM audit_log WHERE action = 'device.records_pull'")
    assert pulled and all(A in row["changes"] for row in pulled)
    again = json.loads(berjasa("sync", "recover", "--json", "--data-dir", str(folder)).stdout)
    assert again["recovered"] == 0 and again["already_here"] == 7  # the copy too (rejected)

    # the enumerator fixes it, the supervisor approves: central holds the fixed version
    conn = connect(folder / "kelurahan.db")
    try:
        conn.execute("UPDATE enrollments SET address = 'Jl. Kakatua Lr. 2 No. 7' WHERE id = ?",
                     (lost[0],))
        lifecycle.transition(conn, lost[0], "submitted", Actor("enumerator", "enumerator"))
        lifecycle.transition(conn, lost[0], "approved", Actor("pengawas", "supervisor"))
    finally:
        conn.close()
    assert "0 masih menunggu" in _run(folder)
    [held] = central.query("SELECT status, version, address FROM records WHERE record_id = ?",
                           (lost[0],))
    assert held["status"] == "accepted" and held["address"] == "Jl. Kakatua Lr. 2 No. 7"
    assert held["version"] > sent_back["version"]
    assert _row(folder, lost[0])["status"] == "synced"


def test_without_the_restore_mark_a_later_decision_still_tells(central, kelurahan, tmp_path):
    """A register put back by copying files (no `berjasa restore`, so no mark): the
    accepted entries stay skipped, but central's later decision about a lost record
    is kept and said."""
    folder = kelurahan
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir,
            check=True)
    backup = tmp_path / "lama.bjb"
    berjasa("backup", str(backup), "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE, check=True)
    lost = h.seed_approved(folder, 3, seed=54)
    _run(folder)
    berjasa("restore", str(backup), "--force", "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE, check=True)
    conn = connect(folder / "kelurahan.db")
    conn.execute("DELETE FROM sync_state WHERE key = 'restored_from_backup'")
    conn.close()
    assert "pusat memegang" not in _run(folder)
    nik = central.query("SELECT nik FROM records WHERE record_id = ?", (lost[2],))[0]["nik"]
    berjasa("central", "send-back", nik, "--reason", "RT salah", data_dir=central.data_dir,
            check=True)
    said = _run(folder)
    assert "pusat memegang 1 data yang tidak ada di laptop ini" in said, said
    recovered = json.loads(berjasa("sync", "recover", "--json", "--data-dir", str(folder),
                                   check=True).stdout)
    assert recovered["recovered"] == 3 and recovered["statuses"] == {"needs_fix": 1, "synced": 2}


def _serve(folder: Path):
    """The kelurahan server on ``folder`` (started after a restore: it reads the
    restored database)."""
    from berjasa.background_server import BackgroundServer
    from berjasa.settings import AppConfig, load_settings
    from server.app import create_app

    return BackgroundServer(create_app(AppConfig(folder, load_settings(folder), testing=True)),
                            threads=4).start()


def _post(base: str, username: str, path: str, body: dict):
    import requests

    from tests.helpers import PASSWORD

    session = requests.Session()
    token = session.post(f"{base}/api/v1/auth/token",
                         json={"username": username, "password": PASSWORD}, timeout=30)
    assert token.status_code == 200, token.text
    session.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return session.post(base + path, json=body, timeout=60)


def test_a_person_erased_at_central_during_a_restore_does_not_come_back(central, data_dir,
                                                                        tmp_path):
    """h3 defects 3 and 8: central erases people recorded after the backup; the laptop
    is restored. A phone's outbox copy sent before `sync recover` is erased here as
    soon as central answers ``erased`` (never kept as central_rejected with the
    person's data); `sync recover` records central's erasure of the other, so intake
    refuses its copy (409 erased); the "pusat memegang N data" count drops a record
    stored here again."""
    from berjasa.synthetic import EnrollmentFaker

    folder = data_dir
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir,
            check=True)
    central.register(folder)
    backup = tmp_path / "lama.bjb"
    berjasa("backup", str(backup), "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE, check=True)
    faker = EnrollmentFaker(A, seed=61)
    people = [faker.enrollment() for _ in range(4)]
    server = _serve(folder)
    try:
        for person in people:
            assert _post(server.url, "enumerator", "/api/v1/enrollments",
                         person).status_code == 201
            answer = _post(server.url, "supervisor", f"/api/v1/enrollments/{person['id']}/review",
                           {"decision": "approve"})
            assert answer.status_code == 200, answer.text
    finally:
        server.stop()
    assert "0 masih menunggu" in _run(folder)
    for person in people[:2]:
        berjasa("central", "privacy", "erase", person["nik"], "--reason", "Surat 55/PDP/2026",
                data_dir=central.data_dir, check=True)
    berjasa("restore", str(backup), "--force", "--passphrase-stdin", "--data-dir", str(folder),
            stdin=PASSPHRASE, check=True)

    server = _serve(folder)
    try:
        # before anything is synced: the laptop cannot know yet, the copy is taken
        erased_copy = people[1]
        assert _post(server.url, "enumerator", "/api/v1/enrollments",
                     erased_copy).status_code == 201
        assert _post(server.url, "supervisor", f"/api/v1/enrollments/{erased_copy['id']}/review",
                     {"decision": "approve"}).status_code == 200
        said = _run(folder)
        # central answered "erased": the copy is erased here, nothing of it is kept
        assert _row(folder, erased_copy["id"]) is None
        assert not h.kelurahan_rows(folder, "SELECT id FROM enrollments WHERE nik = ?",
                                    (erased_copy["nik"],))
        [erasure] = h.kelurahan_rows(folder, "SELECT origin, central_result FROM privacy_erasures"
                                     " WHERE record_id = ?", (erased_copy["id"],))
        assert erasure == {"origin": "central", "central_result": "erased"}
        assert "pusat memegang 2 data yang tidak ada di laptop ini" in said, said

        # one lost record re-sent by a phone (same id): no longer counted as missing
        assert _post(server.url, "enumerator", "/api/v1/enrollments",
                     people[2]).status_code == 201
        status = json.loads(berjasa("sync", "status", "--json", "--data-dir", str(folder),
                                    check=True).stdout)
        assert status["central_only"]["records"] == 1
        assert "pusat memegang 1 data yang tidak ada di laptop ini" in _run(folder)

        done = berjasa("sync", "recover", "--json", "--data-dir", str(folder))
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["recovered"] == 1 and summary["erasures_noted"] in ([], [people[0]["id"]])
        [noted] = h.kelurahan_rows(folder, "SELECT origin, enumerator FROM privacy_erasures"
                                   " WHERE record_id = ?", (people[0]["id"],))
        assert noted == {"origin": "central", "enumerator": "enumerator"}
        # the phone's outbox copy of the person erased at central: refused, not stored
        again = _post(server.url, "enumerator", "/api/v1/enrollments", people[0])
        assert again.status_code == 409 and again.json()["code"] == "erased", again.text
        assert _row(folder, people[0]["id"]) is None
        status = json.loads(berjasa("sync", "status", "--json", "--data-dir", str(folder),
                                    check=True).stdout)
        assert status["central_only"]["records"] == 0
    finally:
        server.stop()
    assert berjasa("audit", "verify", "--data-dir", str(folder)).returncode == 0
